"""An example of hidden checks for lesson 1 (INSTRUCTORS.md, "Hidden checks").

Hidden checks are ordinary checks kept out of the learners' repository: put
files named test_lessonNN_<anything>.py in the folder that
``[grading] hidden_checks`` in lessons/lessons.toml names (or HIDDEN_CHECKS=dir),
and `make grade` / `make grade-all` grade them with lesson NN's public checks.
They may use the public checks' fixtures (checks/conftest.py) and helpers
(course.checking). The project's tests grade a class with this folder.
"""

from pathlib import Path

import numpy as np
import pytest

from course.checking import expect, import_lesson


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(1)


def test_path_as_text_or_path(lesson, mnist_file):
    """load_mnist() takes the file's path as a str or as a pathlib.Path"""
    from_text = lesson.load_mnist(str(mnist_file))
    from_path = lesson.load_mnist(Path(mnist_file))
    same = all(np.array_equal(a, b) for pair_a, pair_b in zip(from_text, from_path) for a, b in zip(pair_a, pair_b))
    expect(
        same,
        "load_mnist(str) and load_mnist(Path) should give the same arrays",
        expected="equal arrays",
        found="different arrays",
    )


def test_counts_of_a_plain_list(lesson):
    """class_counts() also counts a plain Python list of labels"""
    counts = lesson.class_counts([1, 1, 2])
    expect(
        np.asarray(counts).tolist() == [0, 2, 1, 0, 0, 0, 0, 0, 0, 0],
        "class_counts([1, 1, 2]) is wrong",
        expected=[0, 2, 1, 0, 0, 0, 0, 0, 0, 0],
        found=np.asarray(counts).tolist(),
        hint="np.asarray(labels) turns a list into an array first.",
    )
