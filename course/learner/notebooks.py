"""`make lab`: one Jupyter notebook per lesson, generated from the lesson's README and file.

The notebooks are build products (``notebooks/``, not committed), written
again by every ``make lab`` from what they show: the lesson's "Why", each
TODO's text read from the learner's own file, cells that import that file
(with autoreload), run it and show its pictures, and ``check(N)``, which
prints the same report as ``make check-lessonN``. Nothing in them is graded
and nothing needs keeping in sync by hand.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from course.lessons import ROOT, all_lessons, display_path, tree_path

NOTEBOOKS = ROOT / "notebooks"
TODO_LINE = re.compile(r"^\s*# TODO (\d+): (.*)$")
CONTINUATION = re.compile(r"^\s*#\s{2,}(.*)$")


def todos(path: Path) -> list[tuple[int, str, str]]:
    """(number, function, text) of every TODO in a lesson file, in order."""
    source = path.read_text()
    lines = source.splitlines()
    functions = [
        (node.lineno, node.end_lineno, node.name)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    found = []
    for index, line in enumerate(lines):
        match = TODO_LINE.match(line)
        if not match:
            continue
        text = [match.group(2).strip()]
        for following in lines[index + 1 :]:
            more = CONTINUATION.match(following)
            if not more:
                break
            text.append(more.group(1).strip())
        inside = [name for start, end, name in functions if start <= index + 1 <= end]
        found.append((int(match.group(1)), inside[-1] if inside else "", " ".join(text)))
    return found


def why(readme: Path) -> str:
    """The README's title and its first paragraph (the lesson's "Why")."""
    text = readme.read_text() if readme.is_file() else ""
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    title = paragraphs[0] if paragraphs else ""
    return "\n\n".join(paragraphs[:2]) if title.startswith("#") else ""


def notebook(lesson, target: Path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    stub = lesson.file_in(target)
    readme = stub.parent / "README.md"
    cells = [
        new_markdown_cell(
            (why(readme) or f"# Lesson {lesson.id} · {lesson.title}")
            + f"\n\nThe file you write is `{display_path(stub)}`: edit it in the editor, save, and the cells below use"
            " your latest version (autoreload). The notebook is for exploring; the file is what is graded."
        ),
        new_code_cell(f"from course.learner.lab import *\n\nlesson = open_lesson({lesson.id})"),
    ]
    items = todos(stub)
    if items:
        cells.append(
            new_markdown_cell("## Your TODOs\n\n" + "\n".join(f"{n}. **`{name}`**: {text}" for n, name, text in items))
        )
        for name in dict.fromkeys(name for _, name, _ in items if name and "." not in name):
            cells.append(new_code_cell(f"help(lesson.{name})  # its signature and docstring; try calling it here"))
    if lesson.serves:
        cells.append(
            new_markdown_cell(
                f"## Run it\n\nThis lesson starts a web server: "
                f"run `make app TARGET={display_path(target)}` in a terminal."
            )
        )
    else:
        cells.append(
            new_markdown_cell(f"## Run it\n\nWhat `make run-lesson{lesson.id}` does, with its pictures shown here.")
        )
        cells.append(new_code_cell(f"run_lesson({lesson.id})"))
    cells.append(new_markdown_cell(f"## Grade it\n\nThe same report as `make check-lesson{lesson.id}`."))
    cells.append(new_code_cell(f"check({lesson.id})"))
    book = new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.validate(book)
    return book


def build(target="lessons", folder: Path = NOTEBOOKS, lessons=None) -> list[Path]:
    """Write one notebook per lesson of ``target`` into ``folder``; return their paths."""
    import nbformat

    target = tree_path(target)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson in all_lessons():
        if lessons and lesson.id not in lessons:
            continue
        path = folder / f"lesson{lesson.id:02d}_{lesson.dir.split('_', 1)[1]}.ipynb"
        nbformat.write(notebook(lesson, target), path)
        written.append(path)
    return written


def write_notebooks(target: str) -> int:
    """`make lab`, first step: one notebook per lesson of ``target`` in notebooks/."""
    paths = build(target)
    print(f"✓ {len(paths)} notebooks in {display_path(NOTEBOOKS)}/ (one per lesson, for {target}/)")
    return 0
