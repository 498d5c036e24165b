"""Checking a learner's code: the check API, the pytest plugin, and the runner behind ``make check-lessonN``.

Who may import what:

* ``checks/`` (the instructor's checks) import ``expect``, ``describe`` and
  ``import_lesson`` from here, and nothing else of the course's grading code.
* Lesson files never import from here (the tamper scan flags it); they use
  ``course.helpers``.

The modules:

* ``api``: ``expect`` / ``describe`` / ``import_lesson``, what a check calls.
* ``plugin``: the pytest plugin, one plain line per check and a summary.
* ``items``: what a check carries: its name, points, TODOs, hidden or not.
* ``explain``: errors turned into a few lines a beginner can act on.
* ``summary``: the last lines: the count, where the learner is stuck, what next.
* ``control``: control checks that reveal switched-off checks when grading.
* ``runner``: one lesson's checks in a process of their own, with time and memory limits.
* ``standins``: the course's own earlier lessons, so each lesson is graded on its own.
"""

from course.checking.api import CheckFailed, describe, expect, folder, fresh_worker, given, import_lesson, is_a
from course.checking.views import FigureView, HistoryView

__all__ = [
    "CheckFailed",
    "FigureView",
    "HistoryView",
    "describe",
    "expect",
    "folder",
    "fresh_worker",
    "given",
    "import_lesson",
    "is_a",
]
