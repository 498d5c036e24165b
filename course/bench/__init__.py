"""Benchmarks and the made-up classes they grade: for ``make bench-*`` and the project's own tests.

Not for lesson code or checks. ``attacks`` builds submissions that try to cheat
(the red-team tests grade them).
"""
