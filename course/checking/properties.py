"""Checks by property: random inputs the learner's code has never seen, and the smallest one that breaks it.

A check that tries one fixed input can be fooled by code that happens to give
the same answer there (a statistic over the first thousand labels, a shuffle
that keeps the first element in place, counts that are multiples of ten). A
property check asks ``hypothesis`` for inputs (``strategies``), tries the
learner's function on each, and when one breaks the property, shrinks it to
the simplest input that still does: the check then fails on that input, with
a beginner's message built from it (``counterexample`` returns it).

Runs are repeatable (``derandomize``: the same inputs every time, so a grade
never depends on luck) and short (``EXAMPLES`` inputs, each a call into the
worker). An error in the learner's code is a counterexample too; the check
calls the function again on it, and the error reaches the learner as usual.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from hypothesis.extra import numpy as hnp

from course.checking.budget import CheckTimeout
from course.checking.remote import WorkerGone

__all__ = ["EXAMPLES", "counterexample", "hnp", "st"]

EXAMPLES = 40


def counterexample(strategy, holds, examples: int = EXAMPLES):
    """The simplest input drawn from ``strategy`` for which ``holds(input)`` is false, or None if none was found."""

    def breaks(value) -> bool:
        try:
            return not holds(value)
        except (CheckTimeout, WorkerGone):
            raise
        except Exception:  # an error is a counterexample: the check runs it again and the learner sees the error
            return True

    options = settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    try:
        return find(strategy, breaks, settings=options)
    except NoSuchExample:
        return None
