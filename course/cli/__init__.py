"""The one command line behind the Makefile: ``python -m course <command>``.

Each command is its options and one call into the module that does the work.
The commands come in three groups, by who runs them: ``learners``;
``instructors`` (and anyone serving the app); and course ``makers``.
``python -m course --help`` lists them by group; ``make help`` lists the same
commands as make targets. For ``course/__main__.py`` and the project's tests.
"""

from course.cli.registry import build_parser, main

__all__ = ["build_parser", "main"]
