"""Commands for instructors handing the course out: the learners' copy, and the graders platforms run.

Left out of learners' copies (``make release``), like ``course/handout/`` that does the work.
"""

from __future__ import annotations

from pathlib import Path

from course.cli.registry import HIDDEN_FOLDER, INSTRUCTORS, command, option


@command(
    INSTRUCTORS,
    "release",
    "write the learners' repository: stubs, public checks, no solutions/ (make release DEST=dir)",
    option("dest", help="a new folder for the learners' repository"),
    option(
        "--platform",
        choices=("classroom50", "gradescope"),
        default="classroom50",
        help="where learners hand in: their README says how",
    ),
)
def release(args):
    from course.handout.release import release_and_say

    return release_and_say(Path(args.dest), args.platform)


@command(
    INSTRUCTORS,
    "classroom50",
    "write the Classroom 50 autograder bundle (make classroom50)",
    option("--dest", default=None, help="folder for the bundle (default: dist/classroom50)"),
)
def classroom50(args):
    from course.handout.classroom50 import build_and_say

    return build_and_say(Path(args.dest) if args.dest else None)


@command(INSTRUCTORS, "gradescope", "build dist/autograder.zip for Gradescope (make gradescope)", HIDDEN_FOLDER)
def gradescope(args):
    from course.grading.gradescope import build_and_say

    return build_and_say(Path(args.hidden) if args.hidden else None)
