"""README figures written by the code that measures them: `make readme-figures` (course makers).

A lesson README shows a measured figure (an accuracy, a time, a count that a
run prints) only inside a marked block::

    <!-- figures: lesson4-experiments, sources 1a2b3c4d5e6f (make readme-figures) -->
    ...what the producer printed...
    <!-- end figures -->

Each block's name has a producer here, with the files its figures depend on.
`make readme-figures` runs the producers (all, or ``ONLY=name``) on the
reference and rewrites their blocks, stamped with a fingerprint of those
files; the project's tests fail while a stamp differs from the files (the
code changed: the figures may be stale) or a decimal percentage stands in a
lesson README's prose outside a block.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from course.lessons import LESSONS_DIR, ROOT, SOLUTIONS_DIR, display_path, get_lesson
from course.outputs import output_path

BLOCK = re.compile(
    r"<!-- figures: (?P<name>[\w-]+)(?:, sources (?P<stamp>[0-9a-f]+))?[^>]*-->\n(?P<body>.*?)<!-- end figures -->",
    re.S,
)


@dataclass(frozen=True)
class Figures:
    name: str
    lesson: int  # whose README holds the block
    sources: tuple[str, ...]  # files under the course root whose change may change the figures
    produce: Callable[[], str]
    pictures: tuple[tuple[str, str], ...] = ()  # (what the run saved in outputs/, the README's copy of it)

    def stamp(self) -> str:
        """A fingerprint of what the sources compute: their code, not their comments or docstrings."""
        digest = hashlib.sha256()
        for name in self.sources:
            digest.update(name.encode() + b"\0" + code_of(ROOT / name).encode())
        return digest.hexdigest()[:12]

    @property
    def readme(self) -> Path:
        return LESSONS_DIR / get_lesson(self.lesson).dir / "README.md"


def code_of(path: Path) -> str:
    """A Python file's syntax tree without its docstrings (comments are never in it): what the file computes."""
    import ast

    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _printed(call) -> list[str]:
    """What ``call()`` prints, line by line (the reference's lessons on the path, quietly)."""
    from course.lessons import add_stage_paths
    from course.pipeline import configure_tensorflow

    configure_tensorflow()
    add_stage_paths(SOLUTIONS_DIR)
    output_path("scores.json").unlink(missing_ok=True)  # a figure never says "(last time: ...)"
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        call()
    return captured.getvalue().splitlines()


def _console(lines: list[str]) -> str:
    return "```\n" + "\n".join(line.rstrip() for line in lines) + "\n```\n"


def lesson3_comparison() -> str:
    import importlib

    lines = _printed(lambda: importlib.import_module("model").main())
    start = next(index for index, line in enumerate(lines) if line.startswith("Two networks"))
    return _console(lines[start : start + 6])  # the table and the run's verdict on it


def lesson4_experiments() -> str:
    import importlib

    import keras

    train = importlib.import_module("train")
    keras.utils.set_random_seed(train.SEED)
    lines = _printed(lambda: train.run_experiments(importlib.import_module("model").build_model))
    return _console([line for line in lines if line.strip()])


def lesson6_drawn_digits() -> str:
    from course.bench.drawn import drawn_digits_accuracy

    measured = drawn_digits_accuracy(reference_model())
    return (
        f"On {measured['count']:,} MNIST test digits drawn at random sizes, places and pen widths, the course's\n"
        f"model reads **{measured['mnist_style']:.1%}** correctly with the preprocessing below and only\n"
        f"**{measured['naive']:.1%}** with a plain resize.\n"
    )


def reference_model() -> Path:
    """The reference's trained model (`make train`), trained first if there is none."""
    from course.model_file import default_model_path
    from course.pipeline import train

    path = default_model_path(SOLUTIONS_DIR)
    train(SOLUTIONS_DIR, model_path=path, if_missing=True)
    return path


def lesson5_report() -> str:
    from course.pipeline import evaluate_saved_model

    path = reference_model()
    lines = _printed(lambda: evaluate_saved_model(SOLUTIONS_DIR, path))
    start = next(index for index, line in enumerate(lines) if line.startswith("Evaluating"))
    return _console(lines[start:])


def lesson7_handwriting() -> str:
    from course.bench.handwriting import measured_table

    return measured_table()


def lesson8_versions() -> str:
    import importlib

    reference_model()  # make train first if there is no reference model (it also keeps a served version)
    lines = _printed(lambda: importlib.import_module("fast_and_small").main())
    start = next(index for index, line in enumerate(lines) if line.startswith("Your app's latency budget"))
    return _console([line for line in lines[start:] if line.strip() and not line.startswith(("Picture:", "Saved "))])


def lesson7_calibration() -> str:
    from course.bench.handwriting import calibration_table

    return calibration_table()


def _solutions(*ids: int) -> tuple[str, ...]:
    return tuple(get_lesson(lesson_id).file_in(SOLUTIONS_DIR).relative_to(ROOT).as_posix() for lesson_id in ids)


TRAINING = (*_solutions(1, 2, 3, 4, 7), "course/pipeline.py", "course/handwriting.py", "course/calibration.py")
FIGURES = (
    Figures(
        "lesson3-comparison",
        3,
        (*_solutions(3), "course/helpers.py", "course/pictures.py"),
        lesson3_comparison,
        (("lesson03_filters.png", "filters.png"), ("lesson03_feature_maps.png", "feature_maps.png")),
    ),
    Figures(
        "lesson4-experiments",
        4,
        (*_solutions(3, 4), "course/experiments.py"),
        lesson4_experiments,
        (("lesson04_overfitting.png", "overfitting.png"), ("lesson04_learning_rates.png", "learning_rates.png")),
    ),
    Figures(
        "lesson5-report",
        5,
        (*TRAINING, *_solutions(5)),
        lesson5_report,
        (("lesson05_confusion_matrix.png", "confusion_matrix.png"), ("lesson05_mistakes.png", "mistakes.png")),
    ),
    Figures("lesson6-drawn-digits", 6, (*TRAINING, *_solutions(6), "course/bench/drawn.py"), lesson6_drawn_digits),
    Figures(
        "lesson7-handwriting",
        7,
        (*TRAINING, *_solutions(6), "course/bench/handwriting.py"),
        lesson7_handwriting,
        (
            ("bench/handwriting_mistakes_mnist.png", "mistakes_mnist_only.png"),
            ("bench/handwriting_mistakes_reference.png", "mistakes_reference.png"),
        ),
    ),
    Figures("lesson7-calibration", 7, (*TRAINING, *_solutions(6), "course/bench/handwriting.py"), lesson7_calibration),
    Figures(
        "lesson8-versions",
        8,
        (*TRAINING, *_solutions(6, 8), "course/serving.py"),
        lesson8_versions,
        (("lesson08_versions.png", "versions.png"),),
    ),
)
BY_NAME = {figures.name: figures for figures in FIGURES}


def blocks(text: str) -> list[re.Match]:
    return list(BLOCK.finditer(text))


def write_block(figures: Figures, body: str) -> None:
    text = figures.readme.read_text()
    found = [match for match in blocks(text) if match["name"] == figures.name]
    if len(found) != 1:
        raise SystemExit(f"{display_path(figures.readme)} needs one `<!-- figures: {figures.name} -->` block.")
    head = f"<!-- figures: {figures.name}, sources {figures.stamp()} (make readme-figures) -->\n"
    match = found[0]
    figures.readme.write_text(text[: match.start()] + head + body + "<!-- end figures -->" + text[match.end() :])


def readme_figures(only: list[str] | None = None) -> int:
    """`make readme-figures [ONLY=name,...]`: run the producers on the reference and rewrite their blocks."""
    unknown = sorted(set(only or ()) - set(BY_NAME))
    if unknown:
        raise SystemExit(f"No README figures called {', '.join(unknown)}; there are: {', '.join(BY_NAME)}.")
    from course.lessons import add_stage_paths

    add_stage_paths(SOLUTIONS_DIR)  # the producers import the reference's lessons by their module names
    for figures in FIGURES:
        if only and figures.name not in only:
            continue
        print(f"{figures.name}: measuring ...", flush=True)
        body = figures.produce()
        write_block(figures, body if body.endswith("\n") else body + "\n")
        for made, shown in figures.pictures:
            copy = figures.readme.parent / "images" / shown
            copy.parent.mkdir(exist_ok=True)
            shutil.copyfile(output_path(made), copy)
        print(f"  ✓ {display_path(figures.readme)}" + "".join(f", images/{shown}" for _, shown in figures.pictures))
    return 0


def stale_blocks() -> list[str]:
    """Blocks whose sources changed since their figures were written, or that no producer knows."""
    problems = []
    for lesson_dir in sorted(LESSONS_DIR.iterdir()):
        readme = lesson_dir / "README.md"
        if not readme.is_file():
            continue
        for match in blocks(readme.read_text()):
            figures = BY_NAME.get(match["name"])
            where = f"{display_path(readme)}: {match['name']}"
            if figures is None:
                problems.append(f"{where} has no producer in course/authoring/figures.py")
            elif match["stamp"] != figures.stamp():
                problems.append(f"{where} is stale: run `make readme-figures ONLY={figures.name}`")
    return problems
