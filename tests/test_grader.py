"""The grader's output for the ways learner code goes wrong: what a beginner sees."""

import ast
import re
import shutil

import pytest

from course.lessons import CHECKS_DIR, SOLUTIONS_DIR, all_lessons, get_lesson


def test_every_assertion_in_checks_has_a_message():
    """The message is the feedback: a bare `assert x` would tell a beginner nothing."""
    bare = []
    for path in CHECKS_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assert) and node.msg is None:
                bare.append(f"{path.name}:{node.lineno}")
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "expect"
                and len(node.args) + len(node.keywords) < 2
            ):
                bare.append(f"{path.name}:{node.lineno} (expect without a description)")
    assert not bare, f"assertions without a message: {bare}"


@pytest.fixture
def solved_tree(tmp_path):
    """A copy of solutions/ that a test may break on purpose."""
    return shutil.copytree(SOLUTIONS_DIR, tmp_path / "tree")


def break_file(tree, old, new):
    path = tree / "02_preprocess" / "preprocess.py"
    source = path.read_text()
    assert old in source
    path.write_text(source.replace(old, new, 1))
    return path


def test_syntax_error_shows_file_and_line(make, solved_tree):
    path = break_file(
        solved_tree, "def one_hot(labels, num_classes=NUM_CLASSES):", "def one_hot(labels, num_classes=NUM_CLASSES)"
    )
    line = next(
        number for number, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("def one_hot")
    )
    result = make("check-lesson2", f"TARGET={solved_tree}")
    assert result.returncode != 0
    assert f"SyntaxError in {path}, line {line}" in result.output, result.output
    assert "Traceback" not in result.output
    assert result.output.count("(the same problem as above)") >= 5, "the same error should not be repeated in full"


def test_error_in_learner_code_shows_their_line(make, solved_tree):
    path = break_file(
        solved_tree,
        'return np.eye(num_classes, dtype="float32")[labels.astype(int)]',
        "return np.eye(num_classes)[labels.astype(int)] + undefined_name",
    )
    result = make("check-lesson2", f"TARGET={solved_tree}")
    assert result.returncode != 0
    assert f"your code raised an error in {path}, line" in result.output, result.output
    assert "NameError: name 'undefined_name' is not defined" in result.output
    assert "site-packages" not in result.output and "Traceback" not in result.output
    # the preprocess_images checks still pass: one broken function costs only its own checks
    assert "✓ images reshaped to (N, 28, 28, 1)" in result.output
    verbose = make("check-lesson2", f"TARGET={solved_tree}", env={"VERBOSE": "1"})
    assert "undefined_name" in verbose.output and "test_lesson02.py" in verbose.output


def test_wrong_value_shows_expected_and_found(make, solved_tree):
    break_file(solved_tree, 'return (images.astype("float32") / 255.0)', 'return (images.astype("float32") / 1.0)')
    result = make("check-lesson2", f"TARGET={solved_tree}")
    assert "✗ pixels scaled to [0, 1]: 0 stays 0, 255 becomes 1.0" in result.output
    assert "expected max 1.0, found max 255.0" in result.output
    assert "hint: Convert to float32 first, then divide by 255.0." in result.output
    total = len(re.findall(r"^def test_", get_lesson(2).checks_path.read_text(), re.M))
    assert f"Lesson 2 · Preprocess: {total - 3}/{total} checks passed" in result.output, result.output  # 3 on scaling
    assert result.output.count("fails too; TODO 2 already fails above") == 2, result.output  # one root cause, told once


def test_a_rate_dropped_by_compile_model_is_blamed_on_todo_1_alone(make, solved_tree):
    """build_baseline and build_model hand the rate on; compile_model drops it: their hints must not say they don't."""
    path = solved_tree / "03_build_cnn" / "model.py"
    source = path.read_text()
    path.write_text(source.replace("Adadelta(learning_rate=learning_rate)", "Adadelta()", 1))
    output = make("check-lesson3", f"TARGET={solved_tree}").output
    assert "hint: Is the learning_rate argument passed on to Adadelta" in output, output  # TODO 1's own check
    assert output.count("compile_model (TODO 1) does not train at the rate it is given") == 2, output
    assert "Does build_baseline hand learning_rate on" not in output and "Does build_model hand" not in output
    assert "fails too; TODOs 1 and 3 already fail above" in output, output


def test_hanging_code_times_out_and_the_run_goes_on(make, solved_tree):
    break_file(
        solved_tree,
        "    labels = np.asarray(labels)\n",
        "    labels = np.asarray(labels)\n    while True:\n        pass\n",
    )
    result = make("check-lesson2", f"TARGET={solved_tree}", env={"COURSE_TIMEOUT_S": "2"})
    assert result.returncode != 0
    assert "stopped after 2 s: the check took too long" in result.output, result.output
    statuses = result.statuses(2)
    hanging = len(re.findall(r"@pytest.mark.todo\(3\)", get_lesson(2).checks_path.read_text()))  # one_hot's checks
    assert statuses.count("timeout") == hanging and statuses.count("passed") == len(statuses) - hanging, statuses


def test_missing_file_is_named(make, tmp_path):
    (tmp_path / "tree").mkdir()
    result = make("check-lesson1", f"TARGET={tmp_path / 'tree'}")
    assert result.returncode != 0
    assert "your lesson 1 file is missing" in result.output and "01_load_data/load_data.py" in result.output


def test_run_lesson_says_not_done_yet(make):
    result = make("run-lesson2")
    assert result.returncode != 0
    assert "Not done yet: load_mnist() (TODO 1) in lessons/01_load_data/load_data.py" in result.output
    assert "make check-lesson1" in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """Outputs and the model of `make run-lessonN TARGET=solutions` (lesson 5 evaluates lesson 4's model)."""
    return tmp_path_factory.mktemp("run")


@pytest.mark.parametrize(
    "lesson", [lesson for lesson in all_lessons() if not lesson.serves], ids=lambda lesson: f"lesson{lesson.id}"
)
def test_run_lesson_solution(make, lesson, run_folder):
    env = {
        "COURSE_OUTPUTS": str(run_folder),
        "MODEL_PATH": str(run_folder / "digit_classifier.h5"),
        "EPOCHS": "1",
        "TRAIN_SIZE": "2000",
        # Lesson 4's experiments, smaller: test_experiments runs them as the README does, with three CNNs.
        "OVERFIT_DIGITS": "100",
        "LEARNING_RATES": "1",
    }  # lesson 4 trains; one epoch on 2,000 digits will do
    result = make(f"run-lesson{lesson.id}", "TARGET=solutions", env=env)
    assert result.returncode == 0, result.output
    assert "Traceback" not in result.output and "oneDNN" not in result.output, result.output


def test_make_app_serves_the_page(reference_model):
    """`make app` (the lesson 6 script, Flask's server) starts, serves the page and /healthz, and stops."""
    import os
    import signal
    import subprocess
    import urllib.request

    from course.bench.servers import free_port, wait_until_healthy
    from course.lessons import ROOT

    port = free_port()
    env = {**os.environ, "MODEL_PATH": str(reference_model)}
    process = subprocess.Popen(
        ["make", "--no-print-directory", "app", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = wait_until_healthy(port, process)
        assert '"model_loaded":true' in health.replace(" ", "")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert b'id="pad"' in response.read()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    assert f"open http://127.0.0.1:{port}" in output and "Traceback" not in output, output


def test_summary_says_how_to_see_the_traceback_only_when_it_is_not_shown():
    """After an error the summary points at VERBOSE=1, unless VERBOSE=1 already shows the traceback."""
    from course.checking.explain import VERBOSE_NOTE
    from course.checking.summary import summary_lines
    from course.lessons import get_lesson

    lesson = get_lesson(2)
    results = [
        {"status": "passed", "hidden": False, "todos": [1]},
        {"status": "error", "hidden": False, "todos": [3]},
    ]
    quiet = summary_lines(lesson, results, False, "lessons/02_preprocess/preprocess.py", verbose=False)
    assert quiet[0] == "Lesson 2 · Preprocess: 1/2 checks passed" and quiet[-1] == VERBOSE_NOTE
    shown = summary_lines(lesson, results, False, "lessons/02_preprocess/preprocess.py", verbose=True)
    assert VERBOSE_NOTE not in shown and shown == quiet[:-1]
    passed = summary_lines(lesson, results[:1], True, "lessons/02_preprocess/preprocess.py", verbose=False)
    assert passed[1].startswith("Next: lesson 3")


def test_a_check_of_two_todos_blames_the_one_whose_own_checks_did_not_pass():
    """Lesson 3's "it learns" grades TODOs 1 and 3: with compile_model's own checks passed, the line names TODO 3."""
    from course.checking.summary import summary_lines
    from course.lessons import get_lesson

    lesson = get_lesson(3)
    learns = {"status": "failed", "hidden": False, "todos": [1, 3], "name": "it learns", "message": "found 11%"}
    results = [
        {"status": "passed", "hidden": False, "todos": [1]},
        learns,
        {"status": "passed", "hidden": False, "todos": [3]},
    ]
    (line,) = [
        line for line in summary_lines(lesson, results, False, "model.py", verbose=False) if line.startswith("Stuck")
    ]
    assert line.startswith("Stuck on TODO 3 in build_model()?"), line
    results[0]["status"] = "failed"  # TODO 1's own check failed too: TODO 1, the first, is where to start
    (line,) = [
        line for line in summary_lines(lesson, results, False, "model.py", verbose=False) if line.startswith("Stuck")
    ]
    assert line.startswith("Stuck on TODO 1 in compile_model()?"), line
