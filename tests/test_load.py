"""An honest grade does not depend on how busy the grading machine is.

Budgets count the CPU seconds the graded code used (read from the kernel), and
the learner's code reads a clock only the checks move: the solutions of all
eight lessons, graded while a class is graded two at a time beside them
(TensorFlow work on both cores) and with the grader held to half a CPU (a CPU
quota, where a control group can be made), get every point, check by check:
the verdicts an idle machine gives (the other tests grade the solutions idle).
The class beside them keeps its own honest grades, and its endless loop is
stopped either way. One run holds both burdens at once: the harsher case, in
the time of one.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

from course.bench import sample_class
from course.lessons import ROOT, all_lessons

KINDS = ("complete", "stub", "infinite_loop")
TOTAL = sum(lesson.points for lesson in all_lessons())


def grade_solutions(out, preexec_fn=None):
    completed = subprocess.run(
        ["make", "--no-print-directory", "grade", "TARGET=solutions", f"OUT={out}", "HIDDEN_CHECKS="],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        preexec_fn=preexec_fn,
    )
    return json.loads((out / "grade.json").read_text()), completed.stdout + completed.stderr


def grade_class(folder, out):
    """A class graded two at a time (the TensorFlow work beside the solutions' grading)."""
    grade_all = ["make", "--no-print-directory", "grade-all", f"SUBMISSIONS={folder}", "LESSONS=1,2,3", f"OUT={out}"]
    limits = ["HIDDEN_CHECKS=", "JOBS=2", "TIME_LIMIT=20"]  # CPU seconds per lesson: an honest lesson 3 uses about 10
    return subprocess.Popen(
        [*grade_all, *limits],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def half_a_cpu():
    """A control group holding what joins it to half a CPU (cgroup v2 cpu.max, or v1's CFS quota); None where none
    can be made here."""
    for folder, settings in (
        (Path("/sys/fs/cgroup/course-half-cpu"), {"cpu.max": "50000 100000"}),
        (Path("/sys/fs/cgroup/cpu/course-half-cpu"), {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "50000"}),
    ):
        try:
            folder.mkdir(exist_ok=True)
            if not all((folder / name).is_file() for name in ["cgroup.procs", *settings]):
                folder.rmdir()  # not a control group (a plain folder where no hierarchy is mounted)
                continue
            for name, value in settings.items():
                (folder / name).write_text(value)
        except OSError:
            continue
        return folder
    return None


def verdicts(grade):
    return [(check["nodeid"], check["status"]) for lesson in grade["lessons"] for check in lesson["checks"]]


@pytest.fixture(scope="module")
def loaded_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("load")
    names = sample_class.build_class(folder / "class", kinds=KINDS)
    group = half_a_cpu()
    join = (lambda: (group / "cgroup.procs").write_text(str(os.getpid()))) if group is not None else None
    beside = grade_class(folder / "class", folder / "class-out")
    try:
        loaded, said = grade_solutions(folder / "loaded", join)
    finally:
        if group is not None:
            for pid in (group / "cgroup.procs").read_text().split():
                with open(group.parent / "cgroup.procs", "w") as procs:
                    procs.write(pid)
            group.rmdir()
    class_output = beside.communicate(timeout=1800)[0]
    assert beside.returncode == 0, class_output
    the_class = json.loads((folder / "class-out" / "gradebook.json").read_text())["grades"]
    return (loaded, said), names, {grade["submission"]: grade for grade in the_class}


def test_the_solutions_get_every_point_beside_other_work_on_half_a_cpu(loaded_run):
    (loaded, said), _names, _class = loaded_run
    assert loaded["score"] == TOTAL, said
    assert {status for _nodeid, status in verdicts(loaded)} == {"passed"}, said


def test_the_class_beside_keeps_its_honest_grades_and_its_endless_loop_is_stopped(loaded_run):
    *_, names, grades = loaded_run
    for name, kind in names.items():
        lessons = {lesson["id"]: lesson["score"] for lesson in grades[name]["lessons"]}
        if kind == "complete":
            assert grades[name]["score"] == grades[name]["max_score"], grades[name]["reasons"]
        elif kind == "stub":
            assert grades[name]["score"] == 0
        else:
            assert any("used up its 20 s of computing" in reason for reason in grades[name]["reasons"]), lessons
