"""Every lesson's checks pass on solutions/ and fail on the stub, and on a gutted stub.

A check that cannot fail is a defect: so besides the whole lesson failing, every
single check must fail on the untouched stub and on the "gutted" stub (each TODO
body replaced by `pass`, as a learner who deletes the `raise` would have it).
The real `make check-lessonN` commands are run, so the output a learner sees is
what gets tested.
"""

import pytest

from course.authoring import stubs
from course.lessons import all_lessons

LESSONS = [pytest.param(lesson, id=f"lesson{lesson.id}") for lesson in all_lessons()]


@pytest.fixture(scope="session")
def gutted_tree(tmp_path_factory):
    return stubs.write_tree(tmp_path_factory.mktemp("gutted"), gutted=True)


@pytest.fixture(scope="module")
def solutions_checked(make_once):
    """`make check TARGET=solutions`: every lesson, one run (its exit status 0 only if every check passed)."""
    result = make_once("check", "TARGET=solutions")
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
