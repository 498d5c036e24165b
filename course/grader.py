"""The grader: a pytest plugin that talks to beginners.

Each check prints one line, ✓ or ✗ and its name in plain words (the first line
of the check's docstring). A failed check shows what was expected, what was
found and a hint; an unfinished TODO shows as "not done yet"; a real error in
the learner's code shows their own file and line, not pytest's or Keras's
insides. ``VERBOSE=1`` adds the full traceback.

The checks themselves use ``expect(...)`` (or a plain ``assert`` with a
message): the message *is* the feedback.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
from pathlib import Path

import pytest

from course.lessons import display_path, get_lesson, resolve_target

TODO_MESSAGE = re.compile(r"TODO (?P<number>\d+): (?P<function>[\w.]+)\(\) is not done yet")


class CheckFailed(AssertionError):
    """A check's expectation was not met. Carries what was expected, what was found and a hint."""

    def __init__(self, what: str, expected=None, found=None, hint: str | None = None):
        self.what, self.expected, self.found, self.hint = what, expected, found, hint
        lines = [what]
        if expected is not None or found is not None:
            lines.append(f"expected {expected}, found {found}")
        super().__init__("\n".join(lines))


def expect(condition, what: str, expected=None, found=None, hint: str | None = None) -> None:
    """Fail the check with a beginner-readable message unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(what, expected, found, hint)


def describe(value) -> str:
    """A short description of a value for "found ..." messages."""
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return f"an array of shape {tuple(shape)} and dtype {value.dtype}"
    if value is None:
        return "None (did the function forget to return?)"
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


# ---------------------------------------------------------------------------
# Importing the learner's code


def target_dir() -> Path:
    return resolve_target(os.environ.get("COURSE_TARGET"))


def import_lesson(lesson_id: int):
    """Import lesson ``lesson_id``'s file from the tree being graded."""
    import importlib

    from course.lessons import add_stage_paths

    lesson = get_lesson(lesson_id)
    target = target_dir()
    path = lesson.stub_path(target)
    expect(path.is_file(), f"your lesson {lesson.id} file is missing", expected=display_path(path), found="no file")
    add_stage_paths(target)
    from course.quiet import import_tensorflow, uses_tensorflow

    if uses_tensorflow(path):
        import_tensorflow()  # before the learner's file, so TensorFlow's start-up notices stay hidden
    module = importlib.import_module(lesson.module_name)
    loaded_from = Path(module.__file__).resolve()
    expect(
        loaded_from == path.resolve(),
        f"`import {lesson.module_name}` found another file first",
        expected=display_path(path),
        found=display_path(loaded_from),
        hint=f"Rename or remove {display_path(loaded_from)}.",
    )
    return module


# ---------------------------------------------------------------------------
# Turning an exception into a few plain lines


def _learner_frames(tb, target: Path):
    """The traceback entries that are in the learner's own files."""
    frames = []
    for frame in traceback.extract_tb(tb):
        try:
            Path(frame.filename).resolve().relative_to(target)
        except ValueError:
            continue
        frames.append(frame)
    return frames


def explain(excinfo, target: Path, timeout_s: float | None) -> tuple[str, list[str]]:
    """Return (status, message lines) for a failed check."""
    error = excinfo.value
    kind = type(error).__name__
    mine = _learner_frames(excinfo.tb, target)

    if isinstance(error, NotImplementedError) and mine:
        match = TODO_MESSAGE.search(str(error))
        if match:
            return "todo", [f"not done yet: {match['function']}() (TODO {match['number']})"]
        return "todo", [f"not done yet: {mine[-1].name}()"]

    if kind == "Failed" and str(error).startswith("Timeout"):
        where = f", last seen at {display_path(Path(mine[-1].filename))} line {mine[-1].lineno}" if mine else ""
        return "timeout", [
            f"stopped after {timeout_s:g} s: the check took too long{where}",
            "hint: is there a loop that never ends, or work on all 60,000 images where a few would do?",
        ]

    if isinstance(error, AssertionError):
        lines = [line for line in str(error).splitlines() if line.strip()] or ["the check failed"]
        hint = getattr(error, "hint", None)
        if hint:
            lines.append(f"hint: {hint}")
        return "failed", lines

    if isinstance(error, SyntaxError) and error.filename:
        return "error", [
            f"your code has a {kind} in {display_path(Path(error.filename))}, line {error.lineno}:",
            f"    {(error.text or '').strip()}",
            f"{kind}: {error.msg}",
        ]

    if mine:
        frame = mine[-1]
        return "error", [
            f"your code raised an error in {display_path(Path(frame.filename))}, line {frame.lineno}, in {frame.name}:",
            f"    {(frame.line or '').strip()}",
            f"{kind}: {error}",
        ]

    check_frames = [frame for frame in traceback.extract_tb(excinfo.tb) if "/checks/" in frame.filename]
    where = f" (in {display_path(Path(check_frames[-1].filename))}, line {check_frames[-1].lineno})" if check_frames else ""
    return "error", [
        f"the check could not use what your code gave it{where}:",
        f"{kind}: {error}",
        "hint: does every function return what its docstring promises?",
    ]


# ---------------------------------------------------------------------------
# The plugin

SYMBOLS = {"passed": "✓", "failed": "✗", "error": "✗", "timeout": "✗", "todo": "…"}
COLOURS = {"passed": "\033[32m", "failed": "\033[31m", "error": "\033[31m", "timeout": "\033[31m", "todo": "\033[33m"}


def check_name(item) -> str:
    doc = getattr(item, "obj", None).__doc__ if hasattr(item, "obj") else None
    if doc and doc.strip():
        return doc.strip().splitlines()[0].rstrip(".")
    return item.name.removeprefix("test_").replace("_", " ")


def pytest_addoption(parser):
    group = parser.getgroup("course", "the course's grader")
    group.addoption("--lesson", default=None, help="lesson id being graded (for the summary line)")
    group.addoption("--results", default=None, help="write the results as JSON to this file")
    group.addoption("--list-checks", default=None, help="with --collect-only: write the checks found as JSON to this file")


def pytest_configure(config):
    from course.sandbox import install_from_environment

    # The results file is opened before the sandbox is installed: when grading it lies outside
    # the submission's folder, where the submission's own code may not write.
    results = config.getoption("results", None)
    config.course_results_file = open(results, "w") if results else None
    install_from_environment()  # make grade / grade-all: before any learner code is imported
    config.addinivalue_line("markers", "hint(text): a hint shown when this check fails")
    config.addinivalue_line("markers", "points(n): what this check is worth (default 1)")
    if config.pluginmanager.has_plugin("course-grader"):
        return
    config.pluginmanager.register(Reporter(config), "course-grader")


class Reporter:
    def __init__(self, config):
        self.config = config
        self.results: list[dict] = []
        self.verbose = os.environ.get("VERBOSE", "") not in ("", "0")
        self.colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self.lesson = get_lesson(config.getoption("lesson")) if config.getoption("lesson") else None
        self.target = target_dir()
        self.last_message: list[str] | None = None
        self.started = time.monotonic()
        self.collect_errors: list[str] = []

    # -- output -------------------------------------------------------------
    def write(self, line: str = "") -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line, flush=True)

    def paint(self, status: str, text: str) -> str:
        return f"{COLOURS[status]}{text}\033[0m" if self.colour else text

    # -- hooks ----------------------------------------------------------------
    def pytest_report_teststatus(self, report, config):
        return report.outcome, "", ""  # silence pytest's own dots and letters

    def pytest_collection_finish(self, session):
        listing = self.config.getoption("list_checks")
        if listing:
            checks = [
                {"nodeid": item.nodeid, "name": check_name(item), "points": _points(item), "hidden": is_hidden(item.nodeid)}
                for item in session.items
            ]
            Path(listing).write_text(json.dumps(checks, indent=2))
        if self.lesson is not None:
            self.write(self.paint("todo", f"{self.lesson.label}") + f"   ({display_path(self.lesson.stub_path(self.target))})")

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(str(report.longrepr))
            self.write(self.paint("error", "✗ the checks themselves could not be loaded (tell your instructor):"))
            self.write(str(report.longrepr)[-2000:])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        report.check_name = check_name(item)
        marker = item.get_closest_marker("hint")
        report.check_hint = marker.args[0] if marker else None
        report.check_points = _points(item)
        if call.excinfo is not None and report.failed:
            timeout = item.config.getoption("timeout", None)
            report.check_status, report.check_message = explain(call.excinfo, self.target, timeout)
            report.check_error = error_facts(call.excinfo, self.target)

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.failed and report.when == "setup"):
            status = "passed" if report.passed else getattr(report, "check_status", "error")
            message = getattr(report, "check_message", None) or []
            if status == "failed" and report.check_hint and not any(line.startswith("hint:") for line in message):
                message = [*message, f"hint: {report.check_hint}"]
            self.show(report, status, message)
        elif report.when == "teardown" and report.failed and self.verbose:
            self.write(report.longreprtext)

    def show(self, report, status, message):
        name = report.check_name
        recorded = message
        if status == "todo":
            self.write(self.paint(status, f"  {SYMBOLS[status]} {name}: {message[0]}"))
            message = []
        else:
            self.write(self.paint(status, f"  {SYMBOLS[status]}") + f" {name}")
        if message and message == self.last_message:
            self.write("      (the same problem as above)")
        else:
            for line in message:
                self.write(f"      {line}")
        if message:
            self.last_message = message
        if self.verbose and report.failed:
            self.write(report.longreprtext)
        self.results.append(
            {
                "name": name,
                "nodeid": report.nodeid,
                "status": status,
                "points": report.check_points if status == "passed" else 0,
                "max_points": report.check_points,
                "message": "\n".join(recorded),
                "seconds": round(report.duration, 3),
                "hidden": is_hidden(report.nodeid),
                "error": getattr(report, "check_error", None) if status != "passed" else None,
            }
        )

    def pytest_sessionfinish(self, session, exitstatus):
        passed = sum(result["status"] == "passed" for result in self.results)
        total = len(self.results)
        if self.lesson is None:
            return
        all_passed = total > 0 and passed == total and not self.collect_errors
        summary = f"{self.lesson.label}: {passed}/{total} checks passed"
        hidden = [result for result in self.results if result["hidden"]]
        if hidden:  # never "all passed" while a hidden check fails: the public and hidden counts, separately
            public_passed = passed - sum(result["status"] == "passed" for result in hidden)
            hidden_passed = sum(result["status"] == "passed" for result in hidden)
            summary = (
                f"{self.lesson.label}: public checks {public_passed}/{total - len(hidden)} · "
                f"hidden checks {hidden_passed}/{len(hidden)}"
            )
        self.write(self.paint("passed" if all_passed else "failed", summary))
        if all_passed:
            self.write(f"Next: {next_step(self.lesson)}")
        else:
            stub = display_path(self.lesson.stub_path(self.target))
            if any(result["status"] != "todo" for result in self.results if result["status"] != "passed"):
                self.write(f"Stuck? {self.lesson.hint} (`make hint-lesson{self.lesson.id}` gives a hint)")
            if os.environ.get("COURSE_WATCH"):
                self.write(f"Next: edit {stub} and save it; it is graded again straight away.")
            else:
                self.write(f"Next: edit {stub}, then run `make check-lesson{self.lesson.id}` again.")
            if not self.verbose and any(result["status"] == "error" for result in self.results):
                self.write("(VERBOSE=1 shows the full traceback.)")
        results_file = getattr(self.config, "course_results_file", None)
        if results_file is not None:
            results_file.seek(0)
            results_file.truncate()
            results_file.write(
                json.dumps(
                    {
                        "lesson": self.lesson.id,
                        "title": self.lesson.title,
                        "target": str(self.target),
                        "passed": passed,
                        "total": total,
                        "seconds": round(time.monotonic() - self.started, 2),
                        "checks": self.results,
                        "collect_errors": [error[-2000:] for error in self.collect_errors],
                        "sandbox": _sandbox_violations(),
                    },
                    indent=2,
                )
            )
            results_file.close()


def error_facts(excinfo, target: Path) -> dict:
    """What went wrong, for the grade's reasons: the error's type, detail, and the learner's file and line."""
    error = excinfo.value
    facts = {"type": type(error).__name__, "detail": str(getattr(error, "name", None) or error)[:300]}
    if isinstance(error, SyntaxError) and error.filename:
        facts.update(file=display_path(Path(error.filename)), line=error.lineno)
    else:
        mine = _learner_frames(excinfo.tb, target)
        if mine:
            facts.update(file=display_path(Path(mine[-1].filename)), line=mine[-1].lineno)
    return facts


def _points(item) -> float:
    marker = item.get_closest_marker("points")
    return marker.args[0] if marker else 1


def is_hidden(nodeid: str) -> bool:
    """Hidden checks are graded from a ``hidden/`` folder beside the public ones (see course/grading.py)."""
    return nodeid.startswith("hidden/")


def _sandbox_violations() -> list[dict]:
    from course import sandbox

    return list(sandbox.violations)


def next_step(lesson) -> str:
    from course.lessons import all_lessons, course_info

    later = [other for other in all_lessons() if other.id > lesson.id]
    if later:
        return f"lesson {later[0].id}, {later[0].title}: lessons/{later[0].dir}/README.md"
    return course_info()["course"]["finished"]
