"""How a grade is made: read once, at the command line, and handed down (never read from the environment deeper in).

``course.cli.registry.grading_settings(args)`` builds it from the options of
``make grade`` / ``make grade-all`` / the Gradescope and Classroom commands, and
the few environment variables that tune grading for tests and special
machines: ``COURSE_ISOLATION`` (a weaker isolation level than the machine
allows, for testing), ``COURSE_TIMEOUT_S`` (CPU seconds per check), ``VERBOSE``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from course.grading.isolation import Limits
from course.lessons import HiddenChecks

DEADLINE_S = 900.0  # wall-clock seconds one whole submission may take (every lesson, public and hidden)


@dataclass(frozen=True)
class GradingSettings:
    lesson_ids: tuple[int, ...] | None = None  # None: every lesson
    hidden: HiddenChecks | None = None  # None: the class's setting (HIDDEN_CHECKS or lessons.toml)
    time_limit: float | None = None  # CPU seconds one lesson may use (None: the lesson's own: 60 + 10 checks)
    deadline: float = DEADLINE_S  # wall-clock seconds for a whole submission
    jobs: int | None = None  # submissions graded at once (None: one per CPU core)
    isolation: str | None = None  # a weaker level than the machine allows ("user", "none"), for testing
    trust: bool = False  # grade where code cannot be isolated
    check_seconds: float | None = None  # CPU seconds one check may use (None: the lesson's timeout_s)
    verbose: bool = False
    cgroups: bool = True  # False: rlimits only, as where the grader cannot make control groups (COURSE_CGROUPS=0)
    limits: Limits = field(default_factory=Limits)
