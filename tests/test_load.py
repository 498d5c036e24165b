"""An honest grade does not depend on how busy the grading machine is.

Budgets count the CPU seconds the graded code used, not the time on the wall:
the same small class graded on an idle machine, and again with three CPU
burners running and the grader pinned to one core, gets identical points,
check by check, for every honest submission. (The endless loop is stopped
either way.)
"""

import json
import os
import shutil
import subprocess

import pytest

from course.bench import sample_class
from course.lessons import ROOT

KINDS = ("complete", "stub", "infinite_loop")


def grade_class(folder, out, pinned=False):
    command = [
        "make",
        "--no-print-directory",
        "grade-all",
        f"SUBMISSIONS={folder}",
        "LESSONS=1,2,3",
        f"OUT={out}",
        "HIDDEN_CHECKS=",
        "JOBS=2",
        "TIME_LIMIT=20",  # CPU seconds per lesson: an honest lesson 3 uses about 10
    ]
    if pinned:
        command = ["taskset", "-c", "0", *command]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    grades = json.loads((out / "gradebook.json").read_text())["grades"]
    return {grade["submission"]: grade for grade in grades}


def verdicts(grade):
    return [
        (check["nodeid"], check["status"], check["score"]) for lesson in grade["lessons"] for check in lesson["checks"]
    ]


@pytest.fixture(scope="module")
def idle_and_loaded(tmp_path_factory):
    assert shutil.which("taskset"), "taskset (util-linux) pins the grader to one core"
    folder = tmp_path_factory.mktemp("load")
    names = sample_class.build_class(folder / "class", kinds=KINDS)
    idle = grade_class(folder / "class", folder / "idle")
    burners = [subprocess.Popen(["sh", "-c", "while :; do :; done"], start_new_session=True) for _ in range(3)]
    try:
        loaded = grade_class(folder / "class", folder / "loaded", pinned=True)
    finally:
        for burner in burners:
            os.killpg(burner.pid, 9)
            burner.wait()
    return names, idle, loaded


def test_honest_grades_are_the_same_idle_and_under_load(idle_and_loaded):
    names, idle, loaded = idle_and_loaded
    for name, kind in names.items():
        if kind == "infinite_loop":
            continue
        assert verdicts(loaded[name]) == verdicts(idle[name]), (kind, loaded[name]["reasons"])
        assert loaded[name]["score"] == idle[name]["score"]


def test_the_endless_loop_is_stopped_both_ways(idle_and_loaded):
    names, idle, loaded = idle_and_loaded
    (name,) = [name for name, kind in names.items() if kind == "infinite_loop"]
    for grades in (idle, loaded):
        assert grades[name]["score"] < grades[name]["max_score"]
        assert any("used up its 20 s of computing" in reason for reason in grades[name]["reasons"]), grades[name][
            "reasons"
        ]
