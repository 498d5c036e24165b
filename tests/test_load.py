"""An honest grade does not depend on how busy the grading machine is.

Budgets count the CPU seconds the graded code used (read from the kernel), and
the learner's code reads a clock only the checks move: the solutions of all
eight lessons, graded on an idle machine, again while a class is graded two at
a time beside them (TensorFlow work on both cores), and again with the grader
held to half a CPU (a CPU quota, where a control group can be made), get
identical verdicts, check by check, every point each time. The class beside
them keeps its own honest grades, and its endless loop is stopped either way.
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
def three_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("load")
    idle, said = grade_solutions(folder / "idle")
    assert idle["score"] == TOTAL, said
    names = sample_class.build_class(folder / "class", kinds=KINDS)
    beside = grade_class(folder / "class", folder / "class-out")
    loaded, said_loaded = grade_solutions(folder / "loaded")
    class_output = beside.communicate(timeout=1800)[0]
    assert beside.returncode == 0, class_output
    group = half_a_cpu()
    halved = None
    if group is not None:
        try:
            halved, _ = grade_solutions(
                folder / "halved", lambda: (group / "cgroup.procs").write_text(str(os.getpid()))
            )
        finally:
            for pid in (group / "cgroup.procs").read_text().split():
                with open(group.parent / "cgroup.procs", "w") as procs:
                    procs.write(pid)
            group.rmdir()
    the_class = json.loads((folder / "class-out" / "gradebook.json").read_text())["grades"]
    return idle, (loaded, said_loaded), halved, names, {grade["submission"]: grade for grade in the_class}


def test_the_solutions_get_every_point_idle_beside_other_work_and_on_half_a_cpu(three_runs):
    idle, (loaded, said_loaded), halved, _names, _class = three_runs
    assert loaded["score"] == TOTAL, said_loaded
    assert verdicts(loaded) == verdicts(idle)
    if halved is not None:  # where a CPU quota could be made (root, cgroups): the same again on half a CPU
        assert halved["score"] == TOTAL and verdicts(halved) == verdicts(idle)


def test_the_class_beside_keeps_its_honest_grades_and_its_endless_loop_is_stopped(three_runs):
    *_, names, grades = three_runs
    for name, kind in names.items():
        lessons = {lesson["id"]: lesson["score"] for lesson in grades[name]["lessons"]}
        if kind == "complete":
            assert grades[name]["score"] == grades[name]["max_score"], grades[name]["reasons"]
        elif kind == "stub":
            assert grades[name]["score"] == 0
        else:
            assert any("used up its 20 s of computing" in reason for reason in grades[name]["reasons"]), lessons
