"""The pytest plugin behind ``make check-lessonN`` and grading: checks that talk to beginners.

Each check prints one line, ✓ or ✗ and its name in plain words (the first line
of the check's docstring). A failed check shows what was expected, what was
found and a hint (``explain``); an unfinished TODO shows as "not done yet".
The summary line counts public and hidden checks apart and says what to do
next. The results go to a JSON file (``make check``, ``make progress``) or,
when grading, one line per check down a pipe only the grader reads.

Loaded with ``pytest -p course.checking.plugin`` (``runner.pytest_command``).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

import pytest

from course.checking import session
from course.checking.budget import Clock
from course.checking.control import MESSAGE_LIMIT, insert_control_checks, read_sentinels
from course.checking.explain import error_facts, fallback_report, safe_explain
from course.checking.items import check_name, is_hidden, points_of, todos_of
from course.checking.session import time_spent
from course.checking.summary import summary_lines
from course.checking.telling import Telling, printed_lines
from course.lessons import display_path, get_lesson, tree_path


def pytest_addoption(parser):
    group = parser.getgroup("course", "the course's grader")
    group.addoption("--lesson", default=None, help="lesson id being graded (for the summary line)")
    group.addoption("--results", default=None, help="write the results as JSON to this file")
    group.addoption(
        "--list-checks", default=None, help="with --collect-only: write the checks found as JSON to this file"
    )
    group.addoption("--results-fd", type=int, default=None, help="grading: stream one JSON line per check to this pipe")
    group.addoption(
        "--sentinels-fd", type=int, default=None, help="grading: read the two control checks' names from this pipe"
    )
    group.addoption(
        "--broker-fd", type=int, default=None, help="grading: ask the grader for sandboxed workers on this socket"
    )
    group.addoption("--check-seconds", type=float, default=None, help="CPU seconds one check may use")
    group.addoption("--course-verbose", action="store_true", help="show full tracebacks too")
    group.addoption("--no-colour", action="store_true", help="no colours, even on a terminal")
    group.addoption("--watching", action="store_true", help="under make watch: the learner saves to re-grade")
    group.addoption("--target", default=None, help="the tree whose code is checked")


def pytest_configure(config):
    from course.checking.spawn import BrokerSpawner, LocalSpawner

    # Opened before anything runs: the results file (make check), or the pipe the grader
    # reads (make grade), and the control checks' names, read and closed at once.
    results = config.getoption("results", None)
    config.course_results_file = open(results, "w") if results else None  # noqa: SIM115 (closed at the end)
    stream = config.getoption("results_fd", None)
    config.course_stream = os.fdopen(stream, "w", buffering=1) if stream is not None else None
    config.course_sentinels = read_sentinels(config.getoption("sentinels_fd", None))
    broker = config.getoption("broker_fd", None)
    if not config.getoption("collectonly", False):
        basetemp = config.getoption("basetemp", None)
        spawner = (
            BrokerSpawner(broker)
            if broker is not None
            else LocalSpawner(Path(basetemp).parent / "workers" if basetemp else None)
        )
        lesson = get_lesson(config.getoption("lesson")) if config.getoption("lesson") else None
        session.open_session(tree_path(config.getoption("target", None)), spawner, lesson)
    config.addinivalue_line("markers", "hint(text): a hint shown when this check fails")
    config.addinivalue_line("markers", "points(n): what this check is worth (default 1)")
    config.addinivalue_line("markers", "todo(n, ...): the TODOs of the lesson's file this check grades")
    config.addinivalue_line("markers", "timeout(seconds): CPU seconds this check may use (instead of the lesson's)")
    if config.pluginmanager.has_plugin("course-grader"):
        return
    config.pluginmanager.register(Reporter(config), "course-grader")


class Reporter:
    def __init__(self, config):
        self.config = config
        self.results: list[dict] = []
        self.verbose = bool(config.getoption("course_verbose", False))
        self.colour = sys.stdout.isatty() and not config.getoption("no_colour", False)
        self.watching = bool(config.getoption("watching", False))
        self.lesson = get_lesson(config.getoption("lesson")) if config.getoption("lesson") else None
        self.target = tree_path(config.getoption("target", None))
        self.telling = Telling(self.verbose, self.colour)
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
        return self.telling.paint(status, text)

    # -- hooks ----------------------------------------------------------------
    def pytest_report_teststatus(self, report, config):
        return report.outcome, "", ""  # silence pytest's own dots and letters

    def pytest_collection_finish(self, session):
        listing = self.config.getoption("list_checks")
        if listing:
            checks = [
                {
                    "nodeid": item.nodeid,
                    "name": check_name(item),
                    "points": points_of(item),
                    "hidden": is_hidden(item.nodeid),
                }
                for item in session.items
            ]
            Path(listing).write_text(json.dumps(checks, indent=2))
        if self.lesson is not None:
            self.write(
                self.paint("todo", f"{self.lesson.label}") + f"   ({display_path(self.lesson.file_in(self.target))})"
            )

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(str(report.longrepr))
            self.write(self.paint("error", "✗ the checks themselves could not be loaded (tell your instructor):"))
            self.write(str(report.longrepr)[-2000:])

    def clock(self, item) -> Clock | None:
        """The check's clock (CPU seconds of this process and its workers), made at its first phase."""
        limit = item.config.getoption("check_seconds", None)
        marker = item.get_closest_marker("timeout")  # a check that needs more than the lesson's limit says so
        if marker is not None and marker.args:
            limit = float(marker.args[0])
        if not limit:
            return None
        if not hasattr(item, "course_clock"):
            item.course_clock = Clock(limit, session.pool())
        return item.course_clock

    def timed(self, item):
        clock = self.clock(item)
        return clock.running() if clock is not None else contextlib.nullcontext()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item):
        self.first_check = getattr(self, "first_check", None) or time.time()
        with self.timed(item):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        with self.timed(item):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        with self.timed(item):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        try:
            report = yield
        except Exception as problem:  # pytest could not describe the failure itself (see fallback_report)
            report = fallback_report(item, call, problem)
        report.check_name = check_name(item)
        marker = item.get_closest_marker("hint")
        report.check_hint = marker.args[0] if marker else None
        report.check_points = points_of(item)
        report.check_todos = todos_of(item)
        report.course_sentinel = getattr(item, "course_sentinel", False)
        if call.excinfo is not None and report.failed:
            report.check_status, report.check_message = safe_explain(call.excinfo, self.target)
            report.check_error = error_facts(call.excinfo, self.target)
        return report

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.failed and report.when == "setup"):
            status = "passed" if report.passed else getattr(report, "check_status", "error")
            message = getattr(report, "check_message", None) or []
            if status == "failed" and report.check_hint and not any(line.startswith("hint:") for line in message):
                message = [*message, f"hint: {report.check_hint}"]
            self.show(report, status, message)
        elif report.when == "teardown" and report.failed and self.verbose:
            self.write(report.longreprtext)

    def pytest_collection_modifyitems(self, session, config, items):
        insert_control_checks(items, getattr(config, "course_sentinels", None))

    def violations(self) -> list[dict]:
        """What the worker's guard refused (grading), each cut to MESSAGE_LIMIT characters."""
        try:
            found = session.pool().violations()
        except RuntimeError:
            return []
        return [{key: str(value)[:MESSAGE_LIMIT] for key, value in violation.items()} for violation in found[:20]]

    def stream(self, record: dict) -> None:
        """Grading: send one line to the grader, which reads the other end of the pipe."""
        stream = getattr(self.config, "course_stream", None)
        if stream is not None:
            with contextlib.suppress(OSError, ValueError, TypeError):
                stream.write(json.dumps(record) + "\n")

    def show(self, report, status, message):
        name = report.check_name
        if getattr(report, "course_sentinel", False):
            self.stream({"type": "check", "nodeid": report.nodeid, "status": status})
            return
        recorded = message
        todos = getattr(report, "check_todos", []) or []
        printed = printed_lines(report) if status in ("failed", "error") else []
        for line in self.telling.lines(name, status, message, todos, printed):
            self.write(line)
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
                "todos": getattr(report, "check_todos", []),
                "error": getattr(report, "check_error", None) if status != "passed" else None,
            }
        )
        self.stream({"type": "check", **self.results[-1], "message": self.results[-1]["message"][:MESSAGE_LIMIT]})

    def pytest_sessionfinish(self, session, exitstatus):
        import signal

        signal.setitimer(signal.ITIMER_REAL, 0)  # no time-limit alarm may go off while the results are written
        violations = self.violations()
        spent = time_spent(getattr(self, "first_check", None))
        self.stream(
            {
                "type": "done",
                "sandbox": violations,
                "collect_errors": [error[-MESSAGE_LIMIT:] for error in self.collect_errors],
                "seconds": round(time.monotonic() - self.started, 2),
                "timings": spent,
            }
        )
        if self.lesson is None:
            return
        passed = sum(result["status"] == "passed" for result in self.results)
        total = len(self.results)
        all_passed = total > 0 and passed == total and not self.collect_errors
        lesson_file = display_path(self.lesson.file_in(self.target))
        first, *rest = summary_lines(self.lesson, self.results, all_passed, lesson_file, self.verbose, self.watching)
        self.write(self.paint("passed" if all_passed else "failed", first))
        for line in rest:
            self.write(line)
        if self.verbose:
            self.write("Time: " + " · ".join(f"{name} {seconds:.1f} s" for name, seconds in spent.items()))
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
                        "collect_errors": [error[-MESSAGE_LIMIT:] for error in self.collect_errors],
                        "sandbox": violations,
                        "timings": spent,
                    },
                    indent=2,
                )
            )
            results_file.close()


def pytest_unconfigure(config):
    session.close_session()  # the workers go with the checks
