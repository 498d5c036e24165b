"""A made-up class of submissions, built from the solutions and the stubs.

The project's class-grading test and ``make bench-grade`` grade such a class
and check (or time) what ``make grade-all`` makes of it. Each kind of
submission is a learner we know: one who finished, one who is halfway, one
whose code is broken in one of the ways the grader must survive.

``EXPECTED`` says, per kind, which lessons should score full points and what
the reason for a broken lesson must mention, when lessons 1 and 2 are graded
(as the class test does). Graded on every lesson, a break in lesson 1 or 2
also costs lesson 6's capstone check, which runs the learner's whole pipeline.
"""

from __future__ import annotations

import ast
import shutil
import zipfile
from pathlib import Path

from course.authoring import stubs
from course.lessons import SOLUTIONS_DIR, all_lessons, get_lesson


def _solution_tree(destination: Path) -> Path:
    shutil.copytree(SOLUTIONS_DIR, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.h5"))
    return destination


def _edit(tree: Path, lesson_id: int, change) -> None:
    path = get_lesson(lesson_id).file_in(tree)
    path.write_text(change(path.read_text()))


def _inside_function(source: str, function: str, lines: list[str]) -> str:
    """Insert ``lines`` as the first statements of ``function`` (after its docstring)."""
    tree = ast.parse(source)
    node = next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == function)
    first = node.body[0]
    has_docstring = (
        isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    )
    at = first.end_lineno if has_docstring else first.lineno - 1
    indent = " " * first.col_offset
    text = source.splitlines(keepends=True)
    return "".join(text[:at] + [f"{indent}{line}\n" for line in lines] + text[at:])


def make_submission(kind: str, destination: Path, escape_target: Path | None = None) -> Path:
    """Write one submission of ``kind`` (see KINDS) to ``destination``; returns its path."""
    lessons = destination / "lessons" if kind in ("clone_with_edited_checks",) else destination
    if kind == "stub":
        stubs.write_tree(destination)
    elif kind == "partial":  # lessons 1 and 2 done, the rest untouched
        stubs.write_tree(destination)
        for lesson_id in (1, 2):
            lesson = get_lesson(lesson_id)
            shutil.copy(lesson.file_in(SOLUTIONS_DIR), lesson.file_in(destination))
    elif kind == "empty":
        destination.mkdir(parents=True)
        (destination / "notes.txt").write_text("I will submit tomorrow.\n")
    elif kind == "zip":
        tree = _solution_tree(destination.with_name(destination.name + "-tree"))
        with zipfile.ZipFile(destination.with_suffix(".zip"), "w") as bundle:
            for path in sorted(tree.rglob("*")):
                bundle.write(path, Path("my-course") / "lessons" / path.relative_to(tree))
        shutil.rmtree(tree)
        return destination.with_suffix(".zip")
    else:
        _solution_tree(lessons)
        if kind == "syntax_error":
            _edit(lessons, 2, lambda text: text.replace("def one_hot(", "def one_hot(:", 1))
        elif kind == "missing_file":
            get_lesson(2).file_in(lessons).unlink()
        elif kind == "infinite_loop":
            _edit(lessons, 1, lambda text: _inside_function(text, "load_mnist", ["while True:", "    pass"]))
        elif kind == "missing_package":
            _edit(
                lessons,
                2,
                lambda text: text.replace("import numpy as np", "import numpy as np\nimport torchvision_for_digits", 1),
            )
        elif kind == "writes_outside":
            target = escape_target or Path("/tmp/course-escape.txt")
            _edit(
                lessons,
                1,
                lambda text: _inside_function(text, "load_mnist", [f"open({str(target)!r}, 'w').write('was here')"]),
            )
        elif kind == "public_only":  # passes every public check; the example hidden check catches it
            _edit(
                lessons,
                1,
                lambda text: text.replace("np.bincount(np.asarray(labels).ravel()", "np.bincount(labels.ravel()", 1),
            )
        elif kind == "silenced":  # every TODO of lesson 2 wrapped so its NotImplementedError never shows
            solution = get_lesson(2).file_in(SOLUTIONS_DIR).read_text()
            silenced = (
                stubs.make_stub(solution)
                .replace("raise NotImplementedError(", "try:\n        raise NotImplementedError(")
                .replace('is not done yet")\n', 'is not done yet")\n    except NotImplementedError:\n        pass\n')
            )
            get_lesson(2).file_in(lessons).write_text(silenced)
        elif kind == "clone_with_edited_checks":  # a whole clone whose checks/ was "fixed" to pass anything
            checks = destination / "checks"
            checks.mkdir()
            (checks / "test_lesson01.py").write_text("def test_anything():\n    assert True\n")
            stubs.write_tree(lessons)
            for lesson_id in (1,):
                lesson = get_lesson(lesson_id)
                shutil.copy(lesson.file_in(SOLUTIONS_DIR), lesson.file_in(lessons))
        elif kind != "complete":
            raise ValueError(f"unknown kind of submission: {kind}")
    return destination


KINDS = (
    "complete",
    "partial",
    "stub",
    "syntax_error",
    "missing_file",
    "infinite_loop",
    "missing_package",
    "writes_outside",
    "silenced",
    "clone_with_edited_checks",
    "empty",
    "zip",
    "public_only",
)

# kind -> (lessons that should score full points, {lesson: words its reason must contain}).
# "public_only" loses one hidden check of lesson 1 when graded with checks/hidden_example.
ALL = tuple(lesson.id for lesson in all_lessons())


def _all_but(lesson_id: int) -> tuple[int, ...]:
    return tuple(i for i in ALL if i != lesson_id)


EXPECTED = {
    "complete": (ALL, {}),
    "zip": (ALL, {}),
    "partial": ((1, 2), {}),
    "stub": ((), {}),
    "clone_with_edited_checks": ((1,), {}),
    "public_only": (_all_but(1), {}),
    "syntax_error": (_all_but(2), {2: "SyntaxError in lessons/02_preprocess/preprocess.py"}),
    "missing_file": (_all_but(2), {2: "02_preprocess/preprocess.py is missing"}),
    "infinite_loop": (_all_but(1), {1: "ran past the"}),
    "missing_package": (_all_but(2), {2: "does not install (torchvision_for_digits)"}),
    "writes_outside": (_all_but(1), {1: "tried writing outside its folder"}),
    "silenced": (_all_but(2), {2: "catches NotImplementedError"}),
    "empty": ((), {}),
}


def build_class(folder: Path, kinds=KINDS, copies: int = 1, escape_target: Path | None = None) -> dict[str, str]:
    """Write ``copies`` submissions of each kind into ``folder``; returns {submission name: kind}."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for copy in range(copies):
        for kind in kinds:
            name = f"{kind}-{copy + 1:02d}" if copies > 1 else kind
            path = make_submission(kind, folder / name, escape_target)
            names[path.stem if path.suffix == ".zip" else path.name] = kind
    return names
