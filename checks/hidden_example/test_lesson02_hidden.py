"""An example of a hidden check for lesson 2 (see test_lesson01_hidden.py)."""

import numpy as np
import pytest

from course.checking import expect, import_lesson


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(2)


@pytest.mark.points(2)
def test_read_only_input(lesson):
    """preprocess_images() works on a read-only array and leaves it as it was (worth 2)"""
    images = np.full((3, 28, 28), 255, dtype=np.uint8)
    images.setflags(write=False)
    result = lesson.preprocess_images(images)
    expect(
        result is not None and float(np.max(result)) == 1.0,
        "a read-only input should be scaled like any other",
        expected=1.0,
        found=None if result is None else float(np.max(result)),
    )
    expect(
        int(images.max()) == 255,
        "the input array was changed",
        expected=255,
        found=int(images.max()),
    )
