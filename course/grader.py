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

MESSAGE_LIMIT = 2000  # characters of a message that leave the checks' process when grading
TODO_MESSAGE = re.compile(r"TODO (?P<number>\d+): (?P<function>[\w.]+)\(\) is not done yet")

# Errors beginners meet often, and the question that untangles each (shown under the error).
ERROR_HINTS = (
    (re.compile(r"is not JSON serializable"), "JSON knows no NumPy types: which of your values is a NumPy number or array? int(...), float(...) and .tolist() convert them."),
    (re.compile(r"'NoneType' object|NoneType' object is not|cannot unpack non-iterable NoneType"), "Something is None where a value was expected: does every function end with `return ...`?"),
    (re.compile(r"out of bounds for axis \d+ with size 0|zero-size array|float NaN|division by zero"), "An empty array (or a division by zero) makes this: is a slice one short (a[first:last] leaves `last` out)?"),
)


def error_hint(error: BaseException) -> str | None:
    """A hint for a familiar error, or None."""
    text = f"{type(error).__name__}: {error}"
    return next((hint for pattern, hint in ERROR_HINTS if pattern.search(text)), None)


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
    from course import standins
    from course.quiet import import_tensorflow, uses_tensorflow

    standins.install(lesson)  # earlier lessons it imports: the course's own, so this lesson is graded on its own

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

    hint = error_hint(error)
    if mine:
        frame = mine[-1]
        return "error", [
            f"your code raised an error in {display_path(Path(frame.filename))}, line {frame.lineno}, in {frame.name}:",
            f"    {(frame.line or '').strip()}",
            f"{kind}: {error}",
            *([f"hint: {hint}"] if hint else []),
        ]

    check_frames = [frame for frame in traceback.extract_tb(excinfo.tb) if "/checks/" in frame.filename]
    where = f" (in {display_path(Path(check_frames[-1].filename))}, line {check_frames[-1].lineno})" if check_frames else ""
    return "error", [
        f"the check could not use what your code gave it{where}:",
        f"{kind}: {error}",
        f"hint: {hint or 'does every function return what its docstring promises?'}",
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
    group.addoption("--results-fd", type=int, default=None, help="grading: stream one JSON line per check to this pipe")
    group.addoption("--sentinels-fd", type=int, default=None, help="grading: read the two control checks' names from this pipe")


def pytest_configure(config):
    from course.grading.audit import install_from_environment

    # Opened before any learner code runs: the results file (make check), or the pipe the grader
    # reads (make grade), and the control checks' names, read and closed at once.
    results = config.getoption("results", None)
    config.course_results_file = open(results, "w") if results else None
    stream = config.getoption("results_fd", None)
    config.course_stream = os.fdopen(stream, "w", buffering=1) if stream is not None else None
    config.course_sentinels = _read_sentinels(config.getoption("sentinels_fd", None))
    install_from_environment()  # grading: the audit hook, before any learner code is imported
    config.addinivalue_line("markers", "hint(text): a hint shown when this check fails")
    config.addinivalue_line("markers", "points(n): what this check is worth (default 1)")
    config.addinivalue_line("markers", "todo(n, ...): the TODOs of the lesson's file this check grades")
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

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        """Make the time limit's alarm repeat every 2 s while the check runs.

        The limit (pytest-timeout, signal method) fires once. If it lands while
        Python runs a finalizer (an object freed inside the learner's loop), the
        exception is printed and swallowed, and an endless loop goes on: the
        repeats stop it. They are switched off as soon as the check returns, so
        no alarm can interrupt the reporting that follows."""
        import signal

        remaining, _ = signal.getitimer(signal.ITIMER_REAL) if hasattr(signal, "setitimer") else (0.0, 0.0)
        if remaining > 0:
            signal.setitimer(signal.ITIMER_REAL, remaining, 2.0)
        try:
            return (yield)
        finally:
            if remaining > 0:
                signal.setitimer(signal.ITIMER_REAL, 0)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item, call):
        try:
            report = yield
        except Exception as problem:  # pytest could not describe the failure itself (see fallback_report)
            report = fallback_report(item, call, problem)
        report.check_name = check_name(item)
        marker = item.get_closest_marker("hint")
        report.check_hint = marker.args[0] if marker else None
        report.check_points = _points(item)
        report.check_todos = todos_of(item)
        report.course_sentinel = getattr(item, "course_sentinel", False)
        if call.excinfo is not None and report.failed:
            timeout = item.config.getoption("timeout", None)
            report.check_status, report.check_message = safe_explain(call.excinfo, self.target, timeout)
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
        """Grading: the must-pass control check goes at a random place, the must-fail one last.

        Last, because code that no-ops the checks when it is first imported
        (which may be after a randomly placed control check has run) is still
        in force at the end of the run."""
        names = getattr(config, "course_sentinels", None)
        if not names or not items:
            return
        import random

        chooser = random.SystemRandom()
        module = items[0].module
        for name, passes in ((names["pass"], True), (names["fail"], False)):
            item = pytest.Function.from_parent(items[0].parent, name=name, callobj=_control_check(module, name, passes))
            item.course_sentinel = True
            items.insert(chooser.randint(0, len(items)) if passes else len(items), item)

    def stream(self, record: dict) -> None:
        """Grading: send one line to the grader, which reads the other end of the pipe."""
        stream = getattr(self.config, "course_stream", None)
        if stream is not None:
            try:
                stream.write(json.dumps(record) + "\n")
            except (OSError, ValueError, TypeError):
                pass

    def show(self, report, status, message):
        name = report.check_name
        if getattr(report, "course_sentinel", False):
            self.stream({"type": "check", "nodeid": report.nodeid, "status": status})
            return
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
                "todos": getattr(report, "check_todos", []),
                "error": getattr(report, "check_error", None) if status != "passed" else None,
            }
        )
        self.stream({"type": "check", **self.results[-1], "message": self.results[-1]["message"][:MESSAGE_LIMIT]})

    def pytest_sessionfinish(self, session, exitstatus):
        import signal

        signal.setitimer(signal.ITIMER_REAL, 0)  # no time-limit alarm may go off while the results are written
        self.stream(
            {
                "type": "done",
                "sandbox": _sandbox_violations(),
                "collect_errors": [error[-MESSAGE_LIMIT:] for error in self.collect_errors],
                "seconds": round(time.monotonic() - self.started, 2),
            }
        )
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
            stuck = next((result for result in self.results if result["status"] in ("failed", "error", "timeout")), None)
            if stuck is not None:
                self.write(stuck_line(self.lesson, stuck["todos"]))
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
    try:
        return _error_facts(excinfo, target)
    except Exception:
        return {"type": type(excinfo.value).__name__, "detail": str(excinfo.value)[:300]}


def _error_facts(excinfo, target: Path) -> dict:
    error = excinfo.value
    facts = {"type": type(error).__name__, "detail": str(getattr(error, "name", None) or error)[:300]}
    if isinstance(error, SyntaxError) and error.filename:
        facts.update(file=display_path(Path(error.filename)), line=error.lineno)
    else:
        mine = _learner_frames(excinfo.tb, target)
        if mine:
            facts.update(file=display_path(Path(mine[-1].filename)), line=mine[-1].lineno)
    return facts


def fallback_report(item, call, problem: Exception):
    """A failed report built by hand, for when pytest's own report could not be made.

    Interrupting code at an instruction without a line number (an endless
    ``while`` loop stopped by the time limit can be) leaves a traceback entry
    whose ``tb_lineno`` is None, and pytest's ``_getreprcrash`` then raises a
    TypeError while describing the failure. The check still failed; only its
    long description is lost, so the learner's summary stays complete.
    """
    from _pytest.reports import TestReport

    error = call.excinfo.value if call.excinfo is not None else problem
    return TestReport(
        item.nodeid,
        item.location,
        dict.fromkeys(item.keywords, 1),
        "failed",
        f"{type(error).__name__}: {error}",
        call.when,
        duration=call.duration,
        start=call.start,
        stop=call.stop,
        user_properties=item.user_properties,
    )


def safe_explain(excinfo, target: Path, timeout_s: float | None) -> tuple[str, list[str]]:
    """``explain``, and never a crash of the grader if explaining itself goes wrong."""
    try:
        return explain(excinfo, target, timeout_s)
    except Exception:  # the explanation is best effort; the verdict is not
        error = excinfo.value
        return "error", [f"{type(error).__name__}: {str(error)[:300]}", "(VERBOSE=1 shows the full traceback.)"]


def todos_of(item) -> list[int]:
    """The TODOs a check grades (``@pytest.mark.todo(3)``), to point a stuck learner at the right one."""
    marker = item.get_closest_marker("todo")
    return list(marker.args) if marker else []


def _points(item) -> float:
    marker = item.get_closest_marker("points")
    return marker.args[0] if marker else 1


def is_hidden(nodeid: str) -> bool:
    """Hidden checks are graded from a ``hidden/`` folder beside the public ones (see course/grading.py)."""
    return nodeid.startswith("hidden/")


def _sandbox_violations() -> list[dict]:
    from course.grading import audit

    return [{key: str(value)[:MESSAGE_LIMIT] for key, value in violation.items()} for violation in audit.violations[:20]]


def _read_sentinels(fd: int | None) -> dict | None:
    """The control checks' names, from a pipe the grader wrote and closed (None outside grading)."""
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read(4096)
    try:
        names = json.loads(data)
    except ValueError:
        return None
    return names if isinstance(names, dict) and {"pass", "fail"} <= set(names) else None


def _control_check(module, name: str, passes: bool):
    """A control check that lives in a check module like any other check, and uses that module's ``expect``.

    Code that turns the module's checks, or ``expect``, into no-ops turns this one too, and then the
    one that must fail passes: the grader sees it.
    """
    source = f"def {name}():\n    expect(sum(range(10)) == {45 if passes else 46}, 'a control check')\n"
    module.__dict__.setdefault("expect", expect)
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module.__dict__[name]


def stuck_line(lesson, todos: list[int]) -> str:
    """A question to think about, for the TODO of the first failing check (the lesson's own question otherwise)."""
    from course.learner import lesson_hints

    try:
        hints = [hint for hint in lesson_hints(lesson) if hint.todo in todos]
    except (OSError, ValueError):  # no lessons/.hints.json in this copy
        hints = []
    if not hints:
        return f"Stuck? {lesson.hint} (`make hint-lesson{lesson.id}` gives a hint)"
    first = hints[0]
    return (
        f"Stuck on TODO {first.todo} in {first.function}()? {first.text} "
        f"(`make hint-lesson{lesson.id} TODO={first.todo}` gives more hints)"
    )


def next_step(lesson) -> str:
    from course.lessons import all_lessons, course_info

    later = [other for other in all_lessons() if other.id > lesson.id]
    if later:
        return f"lesson {later[0].id}, {later[0].title}: lessons/{later[0].dir}/README.md"
    return course_info()["course"]["finished"]
