"""Every lesson's checks pass on solutions/ and fail on the stub, and on a gutted stub.

A check that cannot fail is a defect: so besides the whole lesson failing, every
single check must fail on the untouched stub and on the "gutted" stub (each TODO
body replaced by `pass`, as a learner who deletes the `raise` would have it).
The real `make check-lessonN` commands are run, so the output a learner sees is
what gets tested.
"""

import shutil

import pytest

from course.authoring import stubs
from course.lessons import SOLUTIONS_DIR, all_lessons, get_lesson

LESSONS = [pytest.param(lesson, id=f"lesson{lesson.id}") for lesson in all_lessons()]
CHAOS = {"COURSE_CLOCK_CHAOS": "11"}  # in every worker, the machine's clock jumps by up to 3 s at every reading


@pytest.fixture(scope="session")
def gutted_tree(tmp_path_factory):
    return stubs.write_tree(tmp_path_factory.mktemp("gutted"), gutted=True)


@pytest.fixture(scope="module")
def solutions_checked(make_once):
    """`make check TARGET=solutions`: every lesson, one run (its exit status 0 only if every check passed), with the
    machine's clock jumping by seconds at random: the learner's code reads the checks' clock, never the machine's."""
    result = make_once("check", "TARGET=solutions", env=CHAOS)
    assert result.returncode == 0, result.output
    assert sorted(result.results) == [lesson.id for lesson in all_lessons()]
    return result


@pytest.mark.parametrize("lesson", LESSONS)
def test_solution_passes(solutions_checked, lesson):
    result = solutions_checked
    statuses = result.statuses(lesson.id)
    assert statuses and set(statuses) == {"passed"}, result.output
    assert f"{lesson.label}: {len(statuses)}/{len(statuses)} checks passed" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("lesson", LESSONS)
def test_untouched_stub_fails_every_check(make, lesson):
    result = make(f"check-lesson{lesson.id}")
    assert result.returncode != 0, result.output
    statuses = result.statuses(lesson.id)
    assert statuses and "passed" not in statuses, f"checks that pass on the stub: {result.output}"
    assert "not done yet" in result.output
    assert "Traceback" not in result.output
    assert f"{lesson.label}: 0/{len(statuses)} checks passed" in result.output
    # A stub run fits on about a screen.
    assert len(result.output.splitlines()) <= 40, result.output


@pytest.mark.parametrize("lesson", LESSONS)
def test_gutted_stub_fails_every_check(make, lesson, gutted_tree):
    result = make(f"check-lesson{lesson.id}", f"TARGET={gutted_tree}")
    assert result.returncode != 0, result.output
    statuses = result.statuses(lesson.id)
    passing = [check["name"] for check in result.results[lesson.id]["checks"] if check["status"] == "passed"]
    assert statuses and not passing, f"checks that pass with every TODO replaced by `pass`: {passing}"
    assert "Traceback" not in result.output


def test_progress_table(make, tmp_path):
    result = make("progress", "TARGET=solutions")
    assert result.returncode == 0, result.output
    for lesson in all_lessons():
        line = next(
            line
            for line in result.output.splitlines()
            if line.strip().startswith(f"{lesson.id} ") and lesson.title in line
        )
        assert "✓ done" in line, result.output
    stub_result = make("progress")
    assert "not started" in stub_result.output
    assert "Next: lesson 1" in stub_result.output


TIMING_BUGS = {  # what a learner wrote instead of the solution's line, and the hint the check must give for it
    "a mean": ("float(np.median(durations))", "float(np.mean(durations))", "which statistic does not?"),
    "seconds": ("1000.0 * float(np.median(durations))", "float(np.median(durations))", "how many milliseconds"),
    "process_time": ("time.perf_counter()", "time.process_time()", "counts computing only, not waiting"),
}


@pytest.mark.parametrize("bug", list(TIMING_BUGS))
def test_timing_verdicts_do_not_move_with_the_machines_clock(make, tmp_path, bug):
    """Lesson 8's time_stages with a wrong statistic, unit or clock fails its checks with the hint for that
    mistake, and only those, while the machine's clock jumps by seconds at random (a correct one passes above)."""
    old, new, hint = TIMING_BUGS[bug]
    tree = shutil.copytree(SOLUTIONS_DIR, tmp_path / "tree")
    path = get_lesson(8).file_in(tree)
    path.write_text(path.read_text().replace(old, new))
    result = make("check-lesson8", f"TARGET={tree}", env=CHAOS)
    failed = {check["name"]: check["message"] for check in result.results[8]["checks"] if check["status"] != "passed"}
    assert failed and all("time_stages()" in name or "compare()" in name for name in failed), failed
    first = next(message for name, message in failed.items() if "time_stages()" in name)
    assert hint in first, first
