"""The one command line behind the Makefile: ``python -m course <command>``.

Each command is its options and one call into the module that does the work.
The commands come in three groups, by who runs them: ``learners``;
``instructors`` (and anyone serving the app); and course ``makers``.
``python -m course --help`` lists them by group; ``make help`` lists the same
commands as make targets. For ``course/__main__.py`` and the project's tests.
"""

import argparse

from course.cli.registry import COMMANDS

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    import importlib.util

    # Each module registers its commands, in this order. Learners' copies (make release) leave the
    # instructors' packaging and the course makers' tools out: their commands are then not offered.
    for name in ("learners", "instructors", "handout", "makers"):
        if importlib.util.find_spec(f"course.cli.{name}") is not None:
            importlib.import_module(f"course.cli.{name}")

    groups = {}
    for entry in COMMANDS:
        groups.setdefault(entry.group, []).append(f"  {entry.name:20} {entry.help}")
    listing = "\n\n".join(f"{group}:\n" + "\n".join(lines) for group, lines in groups.items())
    parser = argparse.ArgumentParser(
        prog="python -m course",
        usage="python -m course <command> [options]   (python -m course <command> --help: its options)",
        description="The course's commands (the Makefile runs them: `make help`).",
        epilog=listing,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command", help=argparse.SUPPRESS)
    for entry in COMMANDS:
        sub = commands.add_parser(entry.name, description=entry.help)
        for flags, keywords in entry.options:
            sub.add_argument(*flags, **keywords)
        sub.set_defaults(call=entry.call)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from course.checking.runner import stop_on_sigterm

    stop_on_sigterm()  # `make watch` or a grader stopped with SIGTERM takes its checks' processes with it
    return args.call(args) or 0
