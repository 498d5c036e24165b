"""Grading for instructors: one tree (``make grade``), a whole class (``make grade-all``), Gradescope, Classroom.

For instructors' tools and the course's own command line. Two pieces serve
others too: ``audit`` is installed in the checks' own process by the pytest
plugin (``course.checking``) when grading, and ``checkset.HiddenChecks`` tells
``make check`` whether a class has hidden checks. Lesson files never import
from here (the tamper scan flags it); checks use ``course.checking``.

Every grade comes from the same steps:

1. **The instructor's checks, verified** (``checkset``): ``checks/`` is compared with
   ``checks/manifest.json`` (``integrity``); if anything that decides a grade was
   changed there is no grade, only "checks modified". The public checks and the
   hidden ones are copied into two separate read-only folders, and every check is
   listed once, by a collection that runs no learner code.
2. **The submission, copied** (``submission``): a ``lessons/`` tree, a clone or a
   .zip; a symlink that points outside it is refused, never followed.
3. **Each lesson in a sandbox of its own** (``isolation``, ``lessonrun``): a fresh
   scratch copy of the submission, bubblewrap namespaces, an unprivileged user,
   memory / CPU / process limits and a time budget per lesson. The hidden checks
   run in a second sandbox whose output nobody sees. Verdicts leave through a
   pipe the grader owns; sentinel checks with random names detect tampering.
4. **Points and reasons** (``scoring``): ``Grade`` / ``LessonScore`` /
   ``CheckResult``, with ``to_dict`` / ``from_dict`` (grade.json); ``reports``
   renders a Grade as Gradescope's results.json and a text report.
5. **A class** (``gradebook``): gradebook CSV and JSON, a histogram of scores.

``grade`` runs these steps for one tree or a class; ``classroom`` and
``gradescope`` package them for GitHub Classroom and Gradescope.
"""
