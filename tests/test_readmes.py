"""Sentences that cannot go stale: the lessons' figures come from the code that measures them.

A measured figure in a lesson README stands in a block that `make
readme-figures` writes, stamped with a fingerprint of the code it came from;
these tests fail when that code changed since (regenerate the block), when a
decimal percentage is typed into a README's prose by hand, or when a fact about
the data that a README states is not what the data says.
"""

import re

import numpy as np
import pytest

from course.bench.figures import BLOCK, BY_NAME, stale_blocks
from course.lessons import LESSONS_DIR, all_lessons

READMES = [LESSONS_DIR / lesson.dir / "README.md" for lesson in all_lessons()]
FENCE = re.compile(r"```.*?```", re.S)


def prose(text: str) -> str:
    """A README without its figure blocks and its code blocks (examples of output are not claims)."""
    return FENCE.sub("", BLOCK.sub("", text))


def test_every_figure_block_has_a_producer_and_is_current():
    problems = stale_blocks()
    assert not problems, "\n".join(problems)
    found = {match["name"]: match["body"] for path in READMES for match in BLOCK.finditer(path.read_text())}
    assert set(found) == set(BY_NAME), "each producer has its block, and each block its producer"
    assert all(body.strip() for body in found.values()), "no empty block: run make readme-figures"


@pytest.mark.parametrize("path", READMES, ids=lambda path: path.parent.name)
def test_no_measured_percentage_is_typed_into_a_lessons_prose(path):
    typed = re.findall(r"\b\d+\.\d+ ?%", prose(path.read_text()))
    assert not typed, f"{path.parent.name}/README.md states {typed} by hand: put it in a figures block"


def test_the_data_facts_lesson_1_states_are_the_datas():
    from course.mnist_file import load_mnist

    (x_train, y_train), (x_test, _) = load_mnist()
    counts = np.bincount(y_train, minlength=10)
    text = (LESSONS_DIR / "01_load_data" / "README.md").read_text()
    rarest, commonest = int(counts.argmin()), int(counts.argmax())
    assert f"the rarest digit ({rarest}) has {counts[rarest]:,} examples" in text
    assert f"the most common ({commonest}) has {counts[commonest]:,}" in text
    assert f"{len(x_train):,} for training and {len(x_test):,} for testing" in text


def check_names(lesson) -> list[str]:
    """The names `make check-lessonN` prints: each check's docstring's first line, in the file's order."""
    import ast

    tree = ast.parse(lesson.checks_path.read_text())
    return [
        ast.get_docstring(node).splitlines()[0]
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_") and ast.get_docstring(node)
    ]


def test_the_check_output_shown_in_readmes_is_what_the_checks_print():
    """Every `make check-lessonN` example in a README names real checks, in order, and counts all of them."""
    from course.lessons import ROOT, get_lesson

    shown = 0
    for path in [ROOT / "README.md", *READMES]:
        for block in re.findall(r"\$ make check-lesson(\d)\n(.*?)(?:\n\s*\n|```)", path.read_text(), re.S):
            lesson = get_lesson(int(block[0]))
            names = check_names(lesson)
            lines = [line.strip() for line in block[1].splitlines()]
            printed = [
                re.sub(r"^[✓✗…] ", "", line).split(": not done yet")[0] for line in lines if line and line[0] in "✓✗…"
            ]
            cut = "..." in lines  # an example cut short: the checks it shows, in order
            within = iter(names)
            shows = all(name in within for name in printed) if cut else printed == names
            assert shows, (
                f"{path.parent.name}/{path.name}: the example of make check-lesson{lesson.id} is not what it prints"
            )
            total = [line for line in lines if "checks passed" in line]
            assert total and total[0].endswith(f"/{len(names)} checks passed"), (path.name, total)
            shown += 1
    assert shown >= 3
