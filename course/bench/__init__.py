"""Benchmarks and the made-up classes they grade: for ``make bench-*`` and the project's own tests.

Not for lesson code or checks.

* ``train``, ``app``, ``grade``, ``handwriting``: ``make bench-train``,
  ``bench-app``, ``bench-grade``, ``bench-handwriting``; each prints its figures
  and a ratio against a baseline measured in the same run.
* ``limits``: ``make bench-limits``: which limits hold at each isolation level, measured.
* ``servers``: the app as ``make serve`` runs it, on a free port (the browser
  test and ``bench-app``).
* ``sample_class``: a made-up class built from the solutions and the stubs.
* ``attacks``, ``attack_code`` and ``attack_judge``: submissions that try to cheat or take what the
  machine has, or judge from inside the learner's world (the red-team tests grade them).
"""
