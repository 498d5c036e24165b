"""`make gradescope`'s dist/autograder.zip, run in a local stand-in for Gradescope's /autograder.

The package is unpacked into a temporary folder (AUTOGRADER_ROOT), its setup.sh
checks it (the install steps are skipped: the project's own .venv stands in for
the one setup.sh would make), and run_autograder grades uploads the way
Gradescope hands them over: a lessons/ tree, the lesson files uploaded flat, a
.zip, untouched stubs, and a submission that tries to cheat. Each
results.json is checked against the fields Gradescope documents.
"""

import json
import os
import shutil
import subprocess
import zipfile

import pytest

from course.bench import attacks, sample_class
from course.grading.gradescope import build_package
from course.lessons import ROOT, all_lessons

HIDDEN_EXAMPLE = ROOT / "checks" / "hidden_example"
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    root = tmp_path_factory.mktemp("autograder")
    package = build_package(root / "autograder.zip", hidden=HIDDEN_EXAMPLE)
    with zipfile.ZipFile(package) as bundle:
        names = bundle.namelist()
        bundle.extractall(root / "source")
    assert "setup.sh" in names and "run_autograder" in names and "data/mnist.npz" in names
    assert not any(name.startswith("solutions/") for name in names), "the solutions must never ship"
    assert "hidden_checks/test_lesson01_hidden.py" in names
    makers = ("course/bench/", "course/authoring/", "course/handout/", "checks/learner_bugs", "checks/mutants")
    assert not [name for name in names if name.startswith(makers)], "only what grading needs ships"
    for name in ("setup.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    (root / "source" / ".venv").symlink_to(ROOT / ".venv")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "COURSE_SETUP_OFFLINE": "1"}
    env.pop("MNIST_NPZ", None)  # the package's own data/mnist.npz
    completed = subprocess.run(
        ["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0 and "the autograder is ready" in completed.stdout, (
        completed.stdout + completed.stderr
    )
    return root, env


def run_autograder(autograder, fill, lessons="1,2"):
    root, env = autograder
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    fill(submission)
    completed = subprocess.run(
        [str(root / "source" / "run_autograder")],
        env={**env, "GRADE_LESSONS": lessons} if lessons else env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert_gradescope_format(results)
    return results, completed.stdout


def assert_gradescope_format(results):
    """The fields of Gradescope's results.json specification, with their types."""
    assert isinstance(results["score"], (int, float)) and isinstance(results["execution_time"], int)
    assert isinstance(results["output"], str) and results["output_format"] == "text"
    assert results["visibility"] in VISIBILITY and results["stdout_visibility"] in VISIBILITY
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["status"] in ("passed", "failed")
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert test["visibility"] in VISIBILITY and isinstance(test["output"], str) and test["output_format"] == "text"
    assert sum(test["score"] for test in results["tests"]) == pytest.approx(results["score"], abs=0.01)


def test_a_complete_submission_gets_every_point(autograder):
    results, stdout = run_autograder(
        autograder, lambda folder: sample_class.make_submission("complete", folder), lessons=None
    )
    total = sum(lesson.points for lesson in all_lessons())
    assert results["score"] == total, results["output"]
    assert "All checks passed" in results["output"] and "isolation: bwrap" in stdout


def test_untouched_stubs_get_nothing(autograder):
    results, _ = run_autograder(autograder, lambda folder: sample_class.make_submission("stub", folder / "lessons"))
    assert results["score"] == 0 and len(results["tests"]) > 10


def flat(folder):
    """The lesson files uploaded one by one, as Gradescope puts them: all in one folder."""
    folder.mkdir(parents=True)
    tree = sample_class.make_submission("complete", folder.parent / "tree")
    for lesson in all_lessons():
        shutil.copy(lesson.file_in(tree), folder / lesson.stub)
    shutil.rmtree(tree)


def test_files_uploaded_flat_are_matched_to_their_lessons(autograder):
    results, _ = run_autograder(autograder, flat)
    assert results["score"] == 20, results["output"]


def test_a_zip_is_unpacked(autograder):
    def zipped(folder):
        folder.mkdir(parents=True)
        sample_class.make_submission("zip", folder / "mine")

    results, _ = run_autograder(autograder, zipped)
    assert results["score"] == 20, results["output"]


def test_an_attack_earns_nothing(autograder):
    results, _ = run_autograder(autograder, lambda folder: attacks.build("forges_everything", folder))
    assert results["score"] == 0, results["output"]
    hidden = [test for test in results["tests"] if "(hidden)" in test["name"]]
    assert hidden and all(test["visibility"] == "after_published" for test in hidden)


def test_hidden_checks_stay_closed_at_the_user_level(autograder):
    """Gradescope's containers often allow no namespaces: graded as unprivileged users, the learner's code looks
    for the hidden checks beside the Python it runs (the autograder's source) and finds nothing."""
    root, env = autograder
    for folder in (root, *root.parents):  # the graded code's users pass through to the package's Python
        folder.chmod(folder.stat().st_mode | 0o001)
    results, stdout = run_autograder(
        (root, {**env, "COURSE_ISOLATION": "user"}),
        lambda folder: attacks.build("reads_hidden_checks", folder),
        lessons="1",
    )
    assert "isolation: user" in stdout
    assert "HIDDEN CHECKS FOUND" not in results["output"] and results["score"] == 10, results["output"]
    assert (root / "source" / "hidden_checks").stat().st_mode & 0o077 == 0, "setup.sh closes the source to others"
