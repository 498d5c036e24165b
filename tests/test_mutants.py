"""Mutation testing of the checks (`make mutants`): the mutator, the reviewed list, and a fixed sample.

The full run takes about a quarter of an hour, so `make test` runs the fixed
sample in checks/mutants.toml (a few mutants per lesson, the hardest to catch):
if a check is weakened, the sample shows it.
"""

import pytest

from course.authoring import learner_bugs, mutants, stubs
from course.authoring.mutate import Mutant
from course.authoring.mutation_report import Outcome, score
from course.lessons import all_lessons

SOURCE = '''\
def crop(pixels, rows, columns, scale=2):
    """A toy solution."""
    width = 10
    # BEGIN TODO 1: Crop.
    # HINT: Slices leave their end out?
    if rows.size == 0 or columns.size == 0:
        return None
    cropped = pixels[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    total = cropped.sum(axis=1) / width * scale
    return cropped, total
    # END TODO
'''


@pytest.fixture
def toy():
    """Mutants of SOURCE, as if it were lesson 1's solution."""
    return mutants.mutants_of(1, source=SOURCE)


def test_only_the_todo_region_is_mutated(toy):
    todo = stubs.parse(SOURCE)[0]
    assert toy
    for mutant in toy:
        assert todo.start < mutant.line < todo.end, mutant.description
        changed = [
            number for number, (a, b) in enumerate(zip(SOURCE.splitlines(), mutant.source.splitlines()), 1) if a != b
        ]
        assert all(todo.start < number < todo.end for number in changed), mutant.description
        compile(mutant.source, "mutant.py", "exec")  # every mutant is valid Python


def test_the_operators_learners_slip_on(toy):
    changes = {(mutant.operator.split(" ")[0], mutant.after) for mutant in toy}
    afters = {mutant.after for mutant in toy}
    assert "rows[-1]" in afters, "an off-by-one slice end"
    assert ("comparison", "(rows.size != 0)") in changes
    assert any(mutant.operator == "boolean operator" for mutant in toy)
    assert any(mutant.operator == "dropped keyword axis=" for mutant in toy)
    assert not any(mutant.after == mutant.before for mutant in toy), "no change is never a mutant"
    assert any(mutant.operator == "ignored argument" and mutant.after == "2" for mutant in toy), (
        "scale replaced by its default"
    )
    assert any(mutant.operator == "swapped pair" for mutant in toy), "(cropped, total) returned the other way round"
    assert any(mutant.operator == "dropped if" for mutant in toy)
    assert any(mutant.operator == "number" and mutant.before == "1" and mutant.after == "2" for mutant in toy)


def test_ids_are_unique_and_stable(toy):
    assert len({mutant.id for mutant in toy}) == len(toy)
    again = mutants.mutants_of(1, source=SOURCE)
    assert [mutant.id for mutant in again] == [mutant.id for mutant in toy]
    shifted = mutants.mutants_of(1, source="import numpy as np\n\n\n" + SOURCE)  # unrelated lines above
    assert {mutant.id for mutant in shifted} == {mutant.id for mutant in toy}


def test_every_lesson_has_mutants():
    for lesson in all_lessons():
        found = mutants.mutants_of(lesson.id)
        assert len(found) >= 10, f"lesson {lesson.id}: only {len(found)} mutants"
        assert all(f"L{lesson.id}-" in mutant.id for mutant in found)


def test_reviewed_list_names_real_mutants_with_reasons():
    """checks/mutants.toml: every equivalent mutant exists and has a reason; the sample exists and is not equivalent."""
    review = mutants.reviewed()
    known = {mutant.id for lesson in all_lessons() for mutant in mutants.mutants_of(lesson.id)}
    stale = [mutant_id for mutant_id in review["equivalent"] if mutant_id not in known]
    known |= {bug.id for bug in learner_bugs.load()}
    assert not stale, f"checks/mutants.toml lists mutants that no longer exist: {stale}"
    assert all(len(reason) > 10 for reason in review["equivalent"].values())
    sample = review["sample"]
    assert sample and all(mutant_id in known for mutant_id in sample)
    assert not set(sample) & set(review["equivalent"])
    lessons = {int(mutant_id[1:].split("-")[0]) for mutant_id in sample}
    assert lessons == {lesson.id for lesson in all_lessons()}, "the sample should cover every lesson"


def test_the_learner_bug_catalogue_applies_and_covers_every_lesson():
    """checks/learner_bugs.toml: at least 10 bugs per lesson, each inside a TODO region of today's solution,
    each with a kind and one line of what the learner did; a harmless one says why."""
    from collections import Counter

    bugs = learner_bugs.load()  # raises CatalogueError for a patch that no longer applies
    per_lesson = Counter(bug.lesson for bug in bugs)
    for lesson in all_lessons():
        assert per_lesson[lesson.id] >= 10, f"lesson {lesson.id}: only {per_lesson[lesson.id]} learner bugs"
    assert all(bug.kind in learner_bugs.KINDS and len(bug.what) > 15 for bug in bugs)
    assert all(len(bug.harmless) > 30 for bug in bugs if bug.harmless)
    assert len({bug.id for bug in bugs}) == len(bugs)


def test_scores_count_caught_mutants_over_non_equivalent_ones():
    make = lambda status: Outcome(Mutant(1, 1, "f", 1, "number", "1", "2", ""), status, 0.0)
    outcomes = [make("killed")] * 8 + [make("timed out"), make("survived"), make("equivalent"), make("equivalent")]
    assert score(outcomes) == {
        "mutants": 12,
        "equivalent": 2,
        "killed": 8,
        "timed_out": 1,
        "survived": 1,
        "score": 90.0,
    }


def test_the_fixed_sample_is_caught(make):
    """`make mutants MUTANTS=sample`: every mutant of the sample fails its lesson's checks."""
    completed = make("mutants", "MUTANTS=sample")
    output = completed.output
    assert completed.returncode == 0, output
    assert "✗ survived" not in output
    count = len(mutants.reviewed()["sample"])
    assert f"{count}/{count} sample mutants caught" in output, output
