"""Handing the course out: the learners' copy stands on its own, and Classroom 50's bundle grades it.

`make release` is run as an instructor would; then, in the release, a learner's
finished work (the solutions' code put into its lessons) passes `make check`,
trains with `make train TARGET=lessons` and is served by `make app`, all without
solutions/. `make classroom50`'s autograder.py is run as Classroom 50's runner
runs it (in the learner's checkout, with the runner's variables), on that work
and on the untouched stubs, and its result.json is held to Classroom 50's
contract.
"""

import ast
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from course import drawings
from course.lessons import ROOT, SOLUTIONS_DIR, all_lessons

LEFT_OUT = (
    "solutions",
    "tests",
    "INSTRUCTORS.md",
    "BENCHMARKS.md",
    ".ci",
    "checks/hidden_example",
    "checks/learner_bugs.toml",
    "checks/mutants.toml",
    "course/bench",
    "course/authoring",
    "course/handout",
    "course/cli/makers.py",
    "course/cli/handout.py",
)
RUNNER = {
    "CLASSROOM": "ml-101",
    "ASSIGNMENT": "digits",
    "SUBMISSION_TAG": "submit/2026-11-30T12-00-00Z-abc1234",
    "COMMIT_URL": "https://github.com/ml-101/digits-ada/commit/abc1234",
    "RELEASE_URL": "https://github.com/ml-101/digits-ada/releases/tag/submit%2F2026-11-30T12-00-00Z-abc1234",
    "USERNAME": "ada",
    "OWNER": "ada",
    "ASSIGNMENT_TYPE": "individual",
}


def run(command, cwd, env=None, timeout=600, check=True):
    completed = subprocess.run(
        command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout
    )
    if check:
        said = f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
        assert completed.returncode == 0, f"{command}: exit {completed.returncode}\n{said}"
    return completed


def make_release(folder):
    run([sys.executable, "-m", "course", "release", str(folder)], cwd=ROOT)
    return folder


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A fresh learners' copy, as `make release` writes it."""
    return make_release(tmp_path_factory.mktemp("release") / "digits")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A learner's copy with every lesson done (the solutions' code in its lessons), the course's .venv linked in."""
    folder = make_release(tmp_path_factory.mktemp("finished") / "digits")
    for lesson in all_lessons():
        shutil.copy(lesson.file_in(SOLUTIONS_DIR), lesson.file_in(folder / "lessons"))
    (folder / ".venv").symlink_to(ROOT / ".venv")
    return folder


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classroom50") / "digits"
    run([sys.executable, "-m", "course", "classroom50", "--dest", str(folder)], cwd=ROOT)
    return folder


def test_the_release_holds_what_learners_need_and_nothing_only_instructors_need(release):
    present = [name for name in LEFT_OUT if (release / name).exists()]
    assert not present, f"in the learners' copy: {present}"
    for lesson in all_lessons():
        stub = lesson.file_in(release / "lessons")
        assert stub.read_bytes() == lesson.file_in(ROOT / "lessons").read_bytes(), f"{stub} is not the stub"
        assert (stub.parent / "README.md").is_file()
    for name in ("checks/manifest.json", "lessons/.hints.json", "lessons/.originals.json", "app_template"):
        assert (release / name).exists(), name
    assert not re.search(r"\bsolutions/", (release / "README.md").read_text()), "the README sends learners nowhere"
    from course.handout.release import NOT_FOR_LEARNERS

    for page in [release / "README.md", *sorted((release / "lessons").glob("*/README.md"))]:
        for number, line in enumerate(page.read_text().splitlines(), 1):
            named = [words for words in NOT_FOR_LEARNERS if words in line]
            assert not named, (
                f"{page.relative_to(release)}:{number} names {named} (learners have no solutions/): {line}"
            )
    log = run(["git", "log", "--oneline"], cwd=release).stdout.splitlines()
    assert len(log) == 1 and not run(["git", "status", "--porcelain"], cwd=release).stdout, "one clean commit"
    assert run(["git", "ls-files"], cwd=release).stdout.count("\n") > 100


def test_every_command_and_link_the_learners_readme_names_is_there(release):
    makefile = (release / "Makefile").read_text()
    assert "bench-" not in makefile and "mutants" not in makefile and "stubs:" not in makefile
    targets = set(re.findall(r"^([a-z0-9-]+%?):", makefile, flags=re.M))
    readme = (release / "README.md").read_text()
    for page in [release / "README.md", *sorted((release / "lessons").glob("*/README.md"))]:
        for name in set(re.findall(r"`(?:[A-Z_]+=\S+ )*make ([a-z0-9-]+)", page.read_text())):
            known = name in targets or any(t.endswith("%") and name.startswith(t[:-1]) for t in targets)
            assert known, f"{page.relative_to(release)} names `make {name}`, which the learners' Makefile lacks"
    for link in re.findall(r"\]\(([^)#:]+)\)", readme):
        assert (release / link).exists(), f"README.md links to {link}, which the release does not have"
    shown = run([sys.executable, "-m", "course", "--help"], cwd=release).stdout
    assert "course makers:" not in shown and "\n  release " not in shown and "\n  check " in shown
    helped = run(["make", "--no-print-directory", "help"], cwd=release).stdout
    assert "make check-lessonN" in helped and "instructors and course makers" not in helped


def a_one():
    """A 1 drawn on a transparent 280 x 280 canvas, as the page sends it."""
    from PIL import Image, ImageDraw

    canvas = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).line([(140, 50), (140, 230)], fill=(0, 0, 0, 255), width=18)
    return canvas


def test_the_finished_release_grades_trains_and_serves_the_learners_own_code(finished):
    checked = run(["make", "--no-print-directory", "check"], cwd=finished, env={"TARGET": "lessons"}, check=False)
    assert checked.returncode == 0, checked.stdout[-4000:]
    for lesson in all_lessons():
        assert f"{lesson.label}: " in checked.stdout
    trained = run(["make", "--no-print-directory", "train", "TARGET=lessons", "EPOCHS=1", "TRAIN_SIZE=2000"], finished)
    assert "Training with the code in lessons/" in trained.stdout
    assert (finished / "lessons" / "digit_classifier.h5").is_file()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["make", "--no-print-directory", "app", f"PORT={port}"],
        cwd=finished,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        answer = None
        for _ in range(120):
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/predict",
                    data=json.dumps({"image": drawings.data_url(a_one())}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                answer = json.load(urllib.request.urlopen(request, timeout=10))
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()[-3000:]
                time.sleep(1)
        assert answer is not None and answer["digit"] in range(10) and len(answer["probabilities"]) == 10
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


PEN_DRAWINGS = """
import sys
import numpy as np
import course.pendigits as pendigits
from course.lessons import tree_path
from course.pipeline import add_pen_drawings, load_steps
everyone = pendigits.load_pendigits()
pendigits.load_pendigits = lambda: [d for d in everyone if d.writer in (1, 2, 25)][:120]
steps = load_steps(tree_path("lessons"))
x, y = np.zeros((10, 28, 28, 1), "float32"), np.eye(10, dtype="float32")
mixed, _ = add_pen_drawings(steps, x, y, seed=0)
np.save(sys.argv[1], mixed)
"""


TRANSPOSED = """

_their_to_mnist = to_mnist


def to_mnist(image):
    prepared = _their_to_mnist(image)
    return None if prepared is None else prepared.T
"""


def test_the_training_drawings_come_from_the_learners_own_to_mnist(finished, tmp_path):
    """Lesson 6's to_mnist prepares lesson 7's drawings: change it and what `make train` learns from changes."""
    app = finished / "lessons" / "06_flask_app" / "app.py"
    original = app.read_text()
    python = str(finished / ".venv" / "bin" / "python")
    run([python, "-c", PEN_DRAWINGS, str(tmp_path / "before.npy")], cwd=finished)
    try:
        app.write_text(original + TRANSPOSED)
        run([python, "-c", PEN_DRAWINGS, str(tmp_path / "after.npy")], cwd=finished)
    finally:
        app.write_text(original)
    before, after = np.load(tmp_path / "before.npy"), np.load(tmp_path / "after.npy")
    assert len(before) == len(after) > 10
    pen_before = before[before.reshape(len(before), -1).any(axis=1)]  # the MNIST stand-ins here are all zeros
    pen_after = after[after.reshape(len(after), -1).any(axis=1)]
    assert not np.array_equal(pen_before, pen_after), "the drawings did not change with to_mnist"
    assert np.allclose(np.sort(pen_before.ravel()), np.sort(pen_after.ravel())), "the same pixels, transposed"


def validate_result(result, expected_max):
    """Classroom 50's result.json contract (its wiki's "The result.json contract"): types, sums and identity."""
    assert result["schema"] == "classroom50/result/v1"
    assert result["classroom"] == RUNNER["CLASSROOM"] and result["assignment"] == RUNNER["ASSIGNMENT"]
    assert result["submission"] == RUNNER["SUBMISSION_TAG"] and result["commit"] == RUNNER["COMMIT_URL"]
    for field in ("release", "review", "datetime"):
        assert isinstance(result[field], str) and result[field], field
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["datetime"])
    for holder in (result, *result["tests"]):
        for field in ("score", "max-score"):
            assert type(holder[field]) is int and holder[field] >= 0, (field, holder)
        assert holder["score"] <= holder["max-score"]
    for test in result["tests"]:
        assert isinstance(test["test-name"], str) and test["test-name"] and type(test["passed"]) is bool
    assert result["score"] == sum(test["score"] for test in result["tests"])
    assert result["max-score"] == sum(test["max-score"] for test in result["tests"]) == expected_max


def run_bundle(bundle, checkout):
    env = {**RUNNER, "COURSE_PYTHON": str(ROOT / ".venv" / "bin" / "python")}
    run([sys.executable, str(bundle / "autograder.py")], cwd=checkout, env=env, timeout=900)
    return json.loads((checkout / "result.json").read_text())


def test_the_classroom50_bundle_gives_finished_work_every_point_check_by_check(bundle, finished):
    assert not (bundle / "grader" / "solutions").exists() and not (bundle / "grader" / "course" / "bench").exists()
    result = run_bundle(bundle, finished)
    points = sum(lesson.points for lesson in all_lessons())
    validate_result(result, expected_max=points * 100)
    assert result["score"] == points * 100 and all(test["passed"] for test in result["tests"])
    assert len(result["tests"]) > 3 * len(all_lessons()), "one test per check"
    assert "100/100 points" in (finished / "release-body.md").read_text()


def test_the_classroom50_bundle_gives_the_stubs_nothing_and_says_why(bundle, release, tmp_path):
    checkout = shutil.copytree(release, tmp_path / "checkout", symlinks=True)
    result = run_bundle(bundle, checkout)
    validate_result(result, expected_max=sum(lesson.points for lesson in all_lessons()) * 100)
    assert result["score"] == 0 and not any(test["passed"] for test in result["tests"])
    assert all("not done yet" in test["message"] or test["message"] for test in result["tests"])


# Modules that name solutions/ on purpose, and why; every other module of what learners, checks and graders run
# never does (course makers' tools, benchmarks and the instructors' packaging may: make release leaves them out).
NAMES_SOLUTIONS = {
    "course/lessons.py": "defines the tree names: TARGET=solutions, and app_tree_name() (solutions/ only if present)",
    "course/model_file.py": "the reference's model lives at the top of the course, not in solutions/",
    "course/grading/grade.py": "closes solutions/ to graded code at the user level, where it exists",
}


def names_solutions(path):
    """Lines of ``path`` that name solutions/: the SOLUTIONS_DIR constant, or "solutions" as a tree or a path."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        named = (isinstance(node, ast.Name) and node.id == "SOLUTIONS_DIR") or (
            isinstance(node, ast.alias) and node.name == "SOLUTIONS_DIR"
        )
        spelled = isinstance(node, ast.Constant) and isinstance(node.value, str)
        if named or (spelled and (node.value == "solutions" or node.value.startswith(("solutions/", "/solutions")))):
            found.append(getattr(node, "lineno", 0))
    return sorted(set(found))


def test_nothing_learners_checks_or_graders_run_opens_solutions():
    """Grep-level: outside the three modules above, no module a learner's copy holds names solutions/ at all."""
    from course.grading.shipping import course_files

    shipped = [ROOT / name for name in course_files() if name.suffix == ".py"]
    shipped += sorted((ROOT / "checks").glob("*.py")) + [lesson.file_in(ROOT / "lessons") for lesson in all_lessons()]
    found = {
        str(path.relative_to(ROOT)): lines
        for path in shipped
        if (lines := names_solutions(path)) and str(path.relative_to(ROOT)) not in NAMES_SOLUTIONS
    }
    assert not found, f"these name solutions/ (file: lines): {found}"
    assert names_solutions(ROOT / "course" / "bench" / "handwriting.py"), "the scan finds what it looks for"


def try_this_commands():
    """Every `make ...` command the lessons' "Try this" sections give, in order, by lesson."""
    found = []
    for lesson in all_lessons():
        text = (ROOT / "lessons" / lesson.dir / "README.md").read_text()
        section = text[text.index("## Try this") :] if "## Try this" in text else ""
        section = section[: section.find("\n## ", 3)] if "\n## " in section[3:] else section
        found += [(lesson.id, command) for command in re.findall(r"`(make [^`]+)`", section)]
    return found


def test_every_try_this_command_names_a_learners_target_and_variables_the_code_reads(release):
    """As written: a target the learners' Makefile has, and variables something in their copy reads."""
    makefile = (release / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z0-9-]+%?):", makefile, flags=re.M))
    code = "\n".join(
        path.read_text() for path in [*(release / "course").rglob("*.py"), *(release / "lessons").rglob("*.py")]
    )
    commands = try_this_commands()
    assert len(commands) >= 8
    for lesson_id, command in commands:
        words = command.split()[1:]
        target = next(word for word in words if "=" not in word)
        assert target in targets or any(t.endswith("%") and target.startswith(t[:-1]) for t in targets), command
        for name in (word.split("=")[0] for word in words if "=" in word):
            assert f'"{name}"' in code or f"$({name})" in makefile, f"lesson {lesson_id}: nothing reads {name}"


def test_every_try_this_command_runs_on_the_learners_finished_tree(finished):
    """Each command as the README writes it, in a learner's finished copy (TRAIN_SIZE keeps trainings short)."""
    for lesson_id, command in try_this_commands():
        if "run-lesson4" in command:
            continue  # its experiments take minutes: run by test_experiments with three CNNs instead
        completed = run(["bash", "-c", command], finished, env={"TRAIN_SIZE": "1500"}, timeout=900, check=False)
        assert completed.returncode == 0, f"lesson {lesson_id}: {command}\n{completed.stdout[-3000:]}"
        for word in command.split():
            name, _, value = word.partition("=")
            if name in ("LEARNING_RATE", "BASELINE_UNITS", "AUGMENT", "PEN_RENDERINGS") and value:
                assert f"Trying {name}={value}" in completed.stdout or name == "PEN_RENDERINGS", command
