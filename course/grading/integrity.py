"""Tamper evidence: is the grading machinery as shipped, and does learner code play fair?

Two questions, answered before any points are given:

* **Are the checks as the instructor wrote them?** ``checks/manifest.json``
  holds a SHA-256 of every file that decides a grade: the checks, their
  pytest settings, the course's support package and the lesson list.
  ``make grade`` compares them and reports "checks modified" instead of a
  grade when they differ. ``make manifest`` writes it (instructors, after
  changing a check); the project's tests fail while it is out of date.

* **Does the learner's code dodge the checks?** A lesson's file that catches
  ``NotImplementedError``, swallows errors with ``except ...: pass``, or reaches
  into the grader (importing pytest, the grader or any ``course`` module other than
  ``course.helpers``, touching ``sys.modules``,
  ``builtins`` or audit hooks, exiting the process) earns 0 points for that
  lesson, with the line named.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from course.grading.shipping import NOT_GRADING
from course.lessons import ROOT, display_path, report_problems

MANIFEST = ROOT / "checks" / "manifest.json"
GUARDED = ("checks/*.py", "checks/pytest.ini", "course/**/*.py", "lessons/lessons.toml")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def current_hashes(root: Path = ROOT) -> dict[str, str]:
    """SHA-256 of every file that decides a grade under ``root``, keyed by its path relative to ``root``.

    Only regular files are read (a link is never followed), and only what grading uses
    (``course.grading.shipping``): editing a benchmark, a course maker's tool or the instructors'
    packaging leaves every grade's fingerprint as it was.
    """
    files = sorted(
        {
            path
            for pattern in GUARDED
            for path in root.glob(pattern)
            if path.is_file()
            and not path.is_symlink()
            and not path.relative_to(root).as_posix().startswith(NOT_GRADING)
        }
    )
    return {path.relative_to(root).as_posix(): _sha256(path) for path in files}


def fingerprint(hashes: dict[str, str]) -> str:
    """One short string that names a set of checks (printed on every grade report)."""
    return hashlib.sha256(json.dumps(hashes, sort_keys=True).encode()).hexdigest()[:12]


def write_manifest() -> dict[str, str]:
    hashes = current_hashes()
    MANIFEST.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n")
    return hashes


def record_manifest() -> int:
    """`make manifest`: record the grading files' hashes (instructors, after changing a check)."""
    hashes = write_manifest()
    print(f"✓ {display_path(MANIFEST)}: {len(hashes)} grading files recorded (checks {fingerprint(hashes)})")
    return 0


def check_manifest() -> int:
    """`make manifest-check`: do the grading files match checks/manifest.json?"""
    return report_problems(
        modified_files(),
        "checks/manifest.json matches the grading files.",
        "These grading files differ from checks/manifest.json: restore them, or (instructors) run `make manifest`.",
    )


def modified_files(root: Path = ROOT, manifest: Path = MANIFEST, found: dict[str, str] | None = None) -> list[str]:
    """Guarded files that differ from the manifest, are missing, or were added (empty when all is as shipped).

    ``found`` is ``current_hashes(root)`` when the caller has already computed it.
    """
    try:
        expected = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return [f"{display_path(manifest)} (missing or unreadable)"]
    found = current_hashes(root) if found is None else found
    changed = [name for name, digest in expected.items() if found.get(name) != digest]
    added = [name for name in found if name not in expected]
    return sorted(changed + added)


# ---------------------------------------------------------------------------
# Learner code that dodges the checks


@dataclass(frozen=True)
class Flag:
    reason: str
    line: int

    def __str__(self) -> str:
        return f"{self.reason} (line {self.line})"


LESSON_API = "course.helpers"  # the one course module lesson files may import
SILENCED = {"Exception", "BaseException", "NotImplementedError", "AssertionError"}
GRADER_MODULES = ("pytest", "_pytest", "course.checking", "course.grading")
GRADER_NAMES = {
    ("sys", "modules"): "changes sys.modules",
    ("sys", "addaudithook"): "adds an audit hook",
    ("sys", "settrace"): "sets a trace function",
    ("sys", "setprofile"): "sets a profile function",
    ("os", "_exit"): "ends the process with os._exit",
    ("sys", "exit"): "ends the process with sys.exit",
    ("signal", "signal"): "changes signal handlers (the time limit uses them)",
    ("signal", "alarm"): "changes the alarm clock (the time limit uses it)",
    ("builtins", None): "changes builtins",
}


def _caught_names(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return {"BaseException"}
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "") for node in nodes}


def _does_nothing(body: list[ast.stmt]) -> bool:
    def empty(statement):
        if isinstance(statement, (ast.Pass, ast.Continue, ast.Break)):
            return True
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            return True  # a docstring or ...
        return isinstance(statement, ast.Return) and (
            statement.value is None or isinstance(statement.value, ast.Constant)
        )

    return all(empty(statement) for statement in body)


def _in_main_block(tree: ast.Module) -> set[int]:
    """Line numbers inside ``if __name__ == "__main__":`` (run by `make run-lessonN`, never by the checks)."""
    lines = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test):
            for child in ast.walk(node):
                if hasattr(child, "lineno"):
                    lines.add(child.lineno)
    return lines


def dodges(source: str, filename: str = "<lesson>") -> list[Flag]:
    """Ways a lesson's code gets around its checks, each with its line; empty for honest code."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError:
        return []  # the checks report syntax errors themselves
    except (RecursionError, MemoryError):  # one expression nested thousands deep: Python's parser gives up
        return [Flag("is nested too deeply for Python to read (an expression thousands of levels deep)", 1)]
    main_block = _in_main_block(tree)
    flags: list[Flag] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.ExceptHandler):
            caught = _caught_names(node)
            if "NotImplementedError" in caught:
                flags.append(Flag("catches NotImplementedError, so an unfinished TODO would look finished", line))
            elif caught & SILENCED and _does_nothing(node.body) and line not in main_block:
                what = "every error" if node.type is None else "/".join(sorted(caught & SILENCED))
                flags.append(Flag(f"silences {what} with an except clause that does nothing", line))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.module == "course":  # from course import grading
                names = [f"course.{alias.name}" for alias in node.names]
            for name in names:
                if name in GRADER_MODULES or any(name.startswith(module + ".") for module in GRADER_MODULES):
                    flags.append(Flag(f"imports the grader's own code ({name})", line))
                elif (name == "course" or name.startswith("course.")) and name != LESSON_API:
                    flags.append(
                        Flag(f"imports the course's own code ({name}); lesson files may import {LESSON_API} only", line)
                    )
                elif name == "builtins":
                    flags.append(Flag(GRADER_NAMES[("builtins", None)], line))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and line not in main_block:
            reason = GRADER_NAMES.get((node.value.id, node.attr))
            if reason:
                flags.append(Flag(reason, line))
        elif isinstance(node, ast.Name) and node.id == "__builtins__":
            flags.append(Flag(GRADER_NAMES[("builtins", None)], line))
    unique = {(flag.reason, flag.line): flag for flag in flags}
    return sorted(unique.values(), key=lambda flag: flag.line)
