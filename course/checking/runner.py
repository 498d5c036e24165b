"""Running one lesson's checks in a process of its own.

``make check-lessonN``, ``make progress``, ``make watch``, ``make grade`` and
``make grade-all`` all come through :func:`run_checks`: a fresh Python process
per lesson, pytest with the grader plugin, the lesson's time limit per check,
and an outer limit for the whole process (its whole process group is killed,
so nothing a submission started is left running).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from course.lessons import ROOT, display_path

CHECKS_INI = ROOT / "checks" / "pytest.ini"


@dataclass(frozen=True)
class CheckSettings:
    """How checks run for a learner, read once at the command line (``from_environment``) and handed down.

    ``check_seconds``: CPU seconds per check (COURSE_TIMEOUT_S; None: each lesson's ``timeout_s``);
    ``verbose``: full tracebacks too (VERBOSE=1); ``colour``: ✓ and ✗ in colour on a terminal (NO_COLOR
    unset); ``watching``: under ``make watch`` (say "save" rather than "run make check-lessonN");
    ``results_copy``: a folder to keep each lesson's results in as JSON (COURSE_RESULTS, for the tests).
    """

    check_seconds: float | None = None
    verbose: bool = False
    colour: bool = True
    watching: bool = False
    results_copy: Path | None = None

    @classmethod
    def from_environment(cls, environ=os.environ) -> CheckSettings:
        seconds, results = environ.get("COURSE_TIMEOUT_S"), environ.get("COURSE_RESULTS")
        return cls(
            check_seconds=float(seconds) if seconds else None,
            verbose=environ.get("VERBOSE", "") not in ("", "0"),
            colour=not environ.get("NO_COLOR"),
            results_copy=Path(results) if results else None,
        )

    def seconds_for(self, lesson) -> float:
        return float(self.check_seconds or lesson.timeout_s)

    def plugin_options(self) -> list[str]:
        return [*(["--course-verbose"] if self.verbose else []), *([] if self.colour else ["--no-colour"])] + (
            ["--watching"] if self.watching else []
        )


def check_environment(target: Path, extra: dict | None = None) -> dict:
    """The environment a graded run gets: the target, quiet TensorFlow, no windows, no downloads."""
    env = dict(os.environ)
    env.update(
        COURSE_TARGET=str(target),
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    env.setdefault("MNIST_OFFLINE", "1")  # grading never downloads
    env.update(extra or {})
    return env


def process_limit(lesson, settings: CheckSettings | None = None) -> float:
    """The outer wall-clock limit for a whole lesson's checks: start-up plus ten checks' worth of backstops."""
    from course.checking.budget import wall_backstop

    return 60 + 10 * wall_backstop((settings or CheckSettings()).seconds_for(lesson))


def plugin_arguments(
    lesson,
    check_files: list[Path],
    ini: Path,
    basetemp: Path | None = None,
    target: Path | None = None,
    settings: CheckSettings | None = None,
) -> list[str]:
    """pytest's arguments for one lesson's checks: the files, their settings, the plugin, the tree, the time limit.

    ``basetemp`` is where the checks' temporary files go (pytest's ``tmp_path``): never the
    system's shared ``pytest-of-<user>`` folder.
    """
    arguments = [*map(str, check_files), "-c", str(ini), "--rootdir", str(ini.parent), "-p", "course.checking.plugin"]
    settings = settings or CheckSettings()
    arguments += ["--lesson", str(lesson.id), "--check-seconds", f"{settings.seconds_for(lesson):g}"]
    arguments += ["-p", "no:timeout"]  # the course's own budget (course.checking.budget), not pytest-timeout's
    arguments += settings.plugin_options()
    arguments += ["--target", str(target)] if target is not None else []
    return arguments + (["--basetemp", str(basetemp)] if basetemp is not None else [])


def pytest_command(
    lesson,
    check_files: list[Path],
    ini: Path = CHECKS_INI,
    results_file: Path | None = None,
    extra: tuple = (),
    basetemp: Path | None = None,
    target: Path | None = None,
    settings: CheckSettings | None = None,
) -> list[str]:
    """``python -m pytest`` for one lesson's checks (``plugin_arguments``), writing results to ``results_file``."""
    settings = settings or CheckSettings()
    arguments = plugin_arguments(lesson, check_files, ini, basetemp, target, settings)
    command = [sys.executable, "-m", "pytest", *arguments, *extra]
    if results_file:
        command += ["--results", str(results_file)]
    if settings.verbose:
        command += ["--tb=long"]
    return command


_running: set[subprocess.Popen] = set()  # every checks' process now running, for stop_all()


def run_process(
    command: list[str], env: dict, limit: float, quiet: bool = False, cwd: Path = ROOT, output=None
) -> int | None:
    """Run ``command`` in a new session; None when it ran past ``limit`` seconds (it is then killed, children too).

    Its output goes to the terminal, nowhere (``quiet``) or to the open file ``output``.
    """
    output = subprocess.DEVNULL if quiet else output
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=output, start_new_session=True)
    _running.add(process)
    try:
        return process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        return None
    finally:
        _kill_group(process)
        process.wait()
        _running.discard(process)


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever the checked code started goes too


def stop_all() -> None:
    """Kill every checks' process (and what it started): for a grader that is itself being stopped."""
    for process in list(_running):
        _kill_group(process)


def stop_on_sigterm() -> None:
    """Make SIGTERM (and SIGHUP) end this process the way Ctrl+C does: children first, then us.

    The checks' processes run in sessions of their own (so that a time-out kills
    all they started), so a signal sent to the grader alone would orphan them.
    """

    def stop(signum, frame):
        stop_all()
        raise SystemExit(128 + signum)

    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, stop)


def scratch_folder(name: str) -> Path:
    """A fresh folder for one run's temporary files, under the course's outputs (removed by the caller)."""
    import tempfile

    base = Path(os.environ.get("COURSE_OUTPUTS") or ROOT / "outputs") / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))


def run_checks(
    lesson, target: Path, results_file: Path | None = None, quiet: bool = False, settings: CheckSettings | None = None
) -> int:
    """Grade one lesson of ``target`` with the course's checks; returns pytest's exit status."""
    import shutil

    basetemp = scratch_folder(f"lesson{lesson.id:02d}")
    command = pytest_command(
        lesson,
        [lesson.checks_path],
        results_file=results_file,
        basetemp=basetemp / "pytest",
        target=target,
        settings=settings,
    )
    limit = process_limit(lesson, settings)
    try:
        status = run_process(command, check_environment(target), limit, quiet=quiet)
    finally:
        shutil.rmtree(basetemp, ignore_errors=True)
    if status is None:
        print(f"✗ {lesson.label}: the checks were stopped after {limit:g} s. Is there a loop that never ends?")
        return 1
    if status == 5:  # pytest found no checks: never a pass
        print(f"✗ {lesson.label}: no checks were found in {display_path(lesson.checks_path)}.")
        return 1
    return status
