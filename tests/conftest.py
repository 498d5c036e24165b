"""Helpers for the project's own tests: run the real `make` commands a learner types."""

import json
import os
import subprocess
from dataclasses import dataclass

import pytest

from course.lessons import ROOT

# The project's tests never download anything: MNIST comes from MNIST_NPZ
# (set by the Makefile and .ci/run), data/ or the Keras cache.
os.environ["MNIST_OFFLINE"] = "1"
if not os.environ.get("MNIST_NPZ") and (ROOT.parent / "shared" / "data" / "mnist.npz").is_file():
    os.environ["MNIST_NPZ"] = str(ROOT.parent / "shared" / "data" / "mnist.npz")  # as the Makefile does
if not os.environ.get("PENDIGITS") and (ROOT.parent / "shared" / "data" / "pendigits-orig.tra").is_file():
    os.environ["PENDIGITS"] = str(ROOT.parent / "shared" / "data" / "pendigits-orig.tra")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass
class MakeResult:
    returncode: int
    output: str
    results: dict  # lesson id -> the grader's JSON results (when checks ran)

    def statuses(self, lesson_id):
        return [check["status"] for check in self.results[lesson_id]["checks"]]


def make_runner(tmp_path):
    """A function that runs `make ARGS...` in the course root, as a learner would, and returns a MakeResult."""

    def run(*args, env=None, timeout=600):
        results_dir = tmp_path / f"results-{len(list(tmp_path.iterdir()))}"
        results_dir.mkdir()
        environment = {key: value for key, value in os.environ.items() if key != "VERBOSE"}
        environment.update({"COURSE_RESULTS": str(results_dir), "NO_COLOR": "1", **(env or {})})
        completed = subprocess.run(
            ["make", "--no-print-directory", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        results = {}
        for path in results_dir.glob("lesson*.json"):
            data = json.loads(path.read_text())
            results[data["lesson"]] = data
        return MakeResult(completed.returncode, completed.stdout + completed.stderr, results)

    return run


@pytest.fixture
def make(tmp_path):
    """Run `make ARGS...` in the course root, as a learner would; returns a MakeResult."""
    return make_runner(tmp_path)


@pytest.fixture(scope="module")
def make_once(tmp_path_factory):
    """``make``, for a module that shares one run of a command among its tests."""
    return make_runner(tmp_path_factory.mktemp("make"))


@pytest.fixture(scope="session")
def reference_model(tmp_path_factory):
    """The reference model, trained once per test session exactly as `make train` does (about a minute)."""
    from course.pipeline import train_pipeline

    path = tmp_path_factory.mktemp("reference") / "digit_classifier.h5"
    summary = train_pipeline("solutions", model_path=path, verbose=0)
    assert summary["test_accuracy"] >= 0.992, f"the reference model reached only {summary['test_accuracy']:.2%}"
    return path


@pytest.fixture(scope="session")
def reference_app_module():
    """The solution's app.py, imported the way the grader imports lessons."""
    import importlib

    from course.lessons import SOLUTIONS_DIR, add_stage_paths
    from course.quiet import import_tensorflow

    import_tensorflow()
    add_stage_paths(SOLUTIONS_DIR)
    return importlib.import_module("app")
