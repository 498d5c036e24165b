"""Grading for instructors: one tree (``make grade``), a whole class (``make grade-all``), Gradescope, Classroom.

For instructors' tools and the course's own command line; it may use
``course.checking`` (the runner's pytest arguments, the checks' items) and the
flat modules. Lesson files never import from here (the tamper scan flags it);
checks use ``course.checking``.

Every grade comes from the same steps, in ``grade.grade_submission``, which
returns a ``Grade`` and never raises for what a submission holds:

1. **The instructor's checks, verified** (``checkset``): ``checks/`` is compared with
   ``checks/manifest.json`` (``integrity``); if anything that decides a grade was
   changed there is no grade, only "checks modified". The public and hidden checks
   are copied into two folders only the checks' user can read, and every check is
   listed once, by a collection that runs no learner code.
2. **The submission, taken in** (``submission``): copied first (bounded: depth,
   files, bytes; links and special files never followed), then found (a ``lessons/``
   tree, a clone, a .zip, a flat upload); only the copy is scanned and hashed.
3. **Each lesson, two kinds of sandbox** (``lessonrun``, ``sandboxes``, ``isolation``,
   ``cgroups``): the checks in one, as the checks' user; each worker that runs the
   learner's code in another, as the job slot's user, started by the grader when the
   checks ask. Budgets in CPU seconds, a wall-clock backstop, a submission deadline.
   Verdicts leave through a pipe the grader owns (``verdicts``).
4. **Points and reasons** (``scoring``): ``Grade`` / ``LessonScore`` / ``CheckResult``,
   with ``to_dict`` / ``from_dict`` (grade.json); ``reports`` renders a Grade as
   Gradescope's results.json and a text report.
5. **A class** (``class_grading``, ``gradebook``): in parallel, one job slot each;
   gradebook CSV and JSON and a histogram, always written.

``settings.GradingSettings`` is read once at the command line and handed down;
``classroom50`` and ``gradescope`` package the same steps for Classroom 50 and Gradescope.
"""
