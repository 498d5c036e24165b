"""For whoever makes the course: stubs generated from the solutions, and mutation testing of the checks.

For the command line (``make stubs``, ``make mutants``), ``make reset-lessonN``
(a fresh stub, made as ``make stubs`` makes it), the benchmarks' made-up
classes and the project's tests. Neither lesson files nor checks import from here.

* ``stubs``: ``lessons/`` generated from ``solutions/`` by their TODO markers.
* ``mutate``: plausible slips made inside a solution's TODO regions.
* ``mutants``: each mutant graded like ``make check-lessonN``.
* ``mutation_report``: the score per lesson, and the survivors as diffs.
"""
