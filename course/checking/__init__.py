"""Checking a learner's code, from the trusted side: the check API, the pytest plugin, the runner.

The learner's code never runs in this process. ``import_lesson`` starts a worker
(``course.worker``) that imports the lesson file, and every call a check makes
crosses a pipe as data (``course.channel``): what comes back is plain data, a
description (a figure, a history), or a reference to an object that stays in
the worker (``refs.Ref``). Whatever the learner's code does, it cannot reach
the checks, the verdicts or the results pipe.

Who may import what:

* ``checks/`` (the instructor's checks) import ``expect``, ``describe``,
  ``import_lesson``, ``given``, ``judge``, ``folder``, ``last_call`` and ``is_a`` from
  here, and nothing else of the course's grading code.
* Lesson files never import from here (the tamper scan flags it); they use
  ``course.helpers``. This package imports no other package of the course.

The modules:

* ``api``: what a check calls; ``RemoteModule``, the learner's module seen from here.
* ``remote``: the worker seen from here (``Worker``); ``refs``: references to its objects (``Ref``).
* ``views``: a figure, a history, a path, a Flask app of the worker's, read from here.
* ``session``: the pool of workers of one checks' process; ``spawn``: starting them
  (forked from a template of ours, ``templates``, or by asking the grader for a sandboxed one).
* ``budget``: each check's time, in CPU seconds of both processes, with a wall-clock backstop.
* ``plugin``: the pytest plugin, one plain line per check and a summary.
* ``items``: what a check carries: its name, points, TODOs, hidden or not.
* ``explain``: errors turned into a few lines a beginner can act on.
* ``summary``: the last lines: the count, where the learner is stuck, what next.
* ``control``: control checks that reveal switched-off checks when grading.
* ``runner``: one lesson's checks in a process of their own, with a time limit.
"""

from course.checking.api import CheckFailed, describe, expect, folder, given, import_lesson, is_a, judge, last_call
from course.checking.remote import InputChanged
from course.checking.standins import Answer, Make, StandIn
from course.checking.views import FigureView, HistoryView

__all__ = [
    "Answer",
    "CheckFailed",
    "FigureView",
    "HistoryView",
    "InputChanged",
    "Make",
    "StandIn",
    "describe",
    "expect",
    "folder",
    "given",
    "import_lesson",
    "is_a",
    "judge",
    "last_call",
]
