"""Lesson 1 · Load the data: checks for lessons/01_load_data/load_data.py."""

import io

import numpy as np
import pytest
from PIL import Image

from course.checking import FigureView, describe, expect, given, import_lesson, judge
from course.checking.properties import counterexample, hnp, st

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(1)


@pytest.fixture(scope="module")
def loaded(lesson, mnist_file):
    """What the learner's load_mnist() returns for the course's MNIST file (called once)."""
    return lesson.load_mnist(mnist_file)


def unpack(result):
    """Split the classic tuple, or fail with a message that shows what came back."""
    ok = (
        isinstance(result, tuple)
        and len(result) == 2
        and all(isinstance(pair, tuple) and len(pair) == 2 for pair in result)
    )
    expect(
        ok,
        "load_mnist() should return two pairs",
        expected="((x_train, y_train), (x_test, y_test))",
        found=describe(result),
        hint="Build the tuple with parentheses: (a, b), (c, d) is a tuple of two tuples.",
    )
    return result


@pytest.mark.todo(1)
def test_returns_classic_tuple(loaded):
    """load_mnist() returns ((x_train, y_train), (x_test, y_test))"""
    (x_train, y_train), (x_test, y_test) = unpack(loaded)
    for name, value in (("x_train", x_train), ("y_train", y_train), ("x_test", x_test), ("y_test", y_test)):
        expect(
            isinstance(value, np.ndarray),
            f"{name} should be a NumPy array",
            expected="numpy.ndarray",
            found=describe(value),
        )


def expect_split(images, labels, split, count, file_pair):
    """One pair of the tuple: `count` uint8 images of 28 x 28 and `count` labels, the file's own arrays."""
    x, y = f"x_{split}", f"y_{split}"
    expect(
        images.shape == (count, 28, 28),
        f"{x} has the wrong shape",
        expected=(count, 28, 28),
        found=images.shape,
    )
    expect(
        images.dtype == np.uint8,
        f"{x} has the wrong dtype",
        expected="uint8",
        found=images.dtype,
    )
    expect(
        labels.shape == (count,),
        f"{y} has the wrong shape",
        expected=(count,),
        found=labels.shape,
    )
    expect(
        np.array_equal(images, file_pair[0]),
        f"{x} is not the file's {x}",
        expected=f"the array named {x}",
        found="different pixels",
    )
    expect(
        np.array_equal(labels, file_pair[1]),
        f"{y} is not the file's {y}",
        expected=f"the array named {y}",
        found="different labels",
    )


@pytest.mark.hint("Check the order: the training pair comes first, images before labels.")
@pytest.mark.todo(1)
def test_training_arrays(loaded, mnist):
    """training set: 60,000 images of 28 x 28 uint8 pixels and 60,000 labels"""
    (x_train, y_train), _ = unpack(loaded)
    expect_split(x_train, y_train, "train", 60000, mnist[0])


@pytest.mark.hint("Check the order: the test pair comes second, images before labels.")
@pytest.mark.todo(1)
def test_test_arrays(loaded, mnist):
    """test set: 10,000 images of 28 x 28 uint8 pixels and 10,000 labels"""
    _, (x_test, y_test) = unpack(loaded)
    expect_split(x_test, y_test, "test", 10000, mnist[1])


@pytest.mark.todo(1)
def test_reads_the_given_path(lesson, outputs, rng):
    """load_mnist(path) reads the file it is given"""
    small = {
        "x_train": rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 12).astype(np.uint8),
        "x_test": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 5).astype(np.uint8),
    }
    written = io.BytesIO()
    np.savez(written, **small)
    path = outputs / "tiny_mnist.npz"
    given.write_bytes(path, written.getvalue())
    (x_train, _y_train), (_x_test, y_test) = unpack(lesson.load_mnist(path))
    expect(
        x_train.shape == (12, 28, 28)
        and np.array_equal(x_train, small["x_train"])
        and np.array_equal(y_test, small["y_test"]),
        "load_mnist(path) should read the file at `path`",
        expected="the 12 training images of a small test file",
        found=f"x_train of shape {getattr(x_train, 'shape', None)}",
        hint="Use the `path` variable in np.load, not a file name typed in by hand.",
    )


@pytest.mark.todo(2)
def test_class_counts(lesson, mnist):
    """class_counts() counts how often each digit appears"""
    y_train = mnist[0][1]
    counts = lesson.class_counts(y_train)
    expect(
        isinstance(counts, np.ndarray),
        "class_counts() should return a NumPy array",
        expected="numpy.ndarray",
        found=describe(counts),
    )
    expected = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    expect(
        np.issubdtype(counts.dtype, np.integer),
        "counts are whole numbers",
        expected="an integer array (int64)",
        found=f"dtype {counts.dtype}",
        hint="np.zeros(10) is float64; np.bincount (or np.zeros(10, dtype=int)) counts in whole numbers.",
    )
    expect(
        counts.shape == (10,),
        "class_counts() should give one count per digit",
        expected="shape (10,)",
        found=f"shape {counts.shape}",
    )
    expect(
        counts.tolist() == expected,
        "wrong counts for the training labels",
        expected=expected,
        found=counts.tolist(),
    )
    few = lesson.class_counts(np.array([3, 3, 7], dtype=np.uint8))
    expect(
        np.asarray(few).tolist() == [0, 0, 0, 2, 0, 0, 0, 1, 0, 0],
        "class_counts([3, 3, 7]) should still give 10 counts",
        expected=[0, 0, 0, 2, 0, 0, 0, 1, 0, 0],
        found=np.asarray(few).tolist(),
        hint="Digits that never appear still need their 0. What does np.bincount's minlength do?",
    )


def shown(array) -> str:
    """A small array as a learner would type it; a big one as its shape and first values."""
    values = np.asarray(array).ravel().tolist()
    if len(values) <= 12:
        return str(np.asarray(array).tolist())
    return f"an array of shape {np.shape(array)} starting {values[:8]}"


@pytest.mark.todo(2)
def test_class_counts_for_any_labels(lesson):
    """class_counts() counts every label it is given, for any labels: a few, many, with digits missing"""
    labels = hnp.arrays(np.uint8, st.integers(1, 400), elements=st.integers(0, 9))

    def counts_right(values):
        return np.asarray(lesson.class_counts(values)).tolist() == np.bincount(values, minlength=10).tolist()

    example = counterexample(labels, counts_right)
    if example is not None:
        found = lesson.class_counts(example)
        expect(
            False,
            f"class_counts() miscounts the labels {shown(example)}",
            expected=np.bincount(example, minlength=10).tolist(),
            found=np.asarray(found).tolist() if isinstance(found, np.ndarray) else describe(found),
            hint="Does it count every label it is given, not the first few or a fixed number of them?",
        )


@pytest.mark.todo(3)
def test_pixel_range(lesson, mnist):
    """pixel_range() gives the smallest and largest pixel value"""
    result = lesson.pixel_range(mnist[0][0])
    expect(
        result == (0, 255),
        "wrong range for the training images",
        expected=(0, 255),
        found=describe(result),
    )
    expect(
        all(type(value) is int for value in result),
        "pixel_range() should return plain ints",
        expected="(int, int)",
        found=tuple(type(v).__name__ for v in result),
        hint="int(x) turns a NumPy number into a plain Python int.",
    )
    sample = np.array([[[3, 90], [200, 17]]], dtype=np.uint8)
    other = lesson.pixel_range(sample)
    expect(
        other == (3, 200),
        "pixel_range() should look at the images it is given",
        expected=(3, 200),
        found=describe(other),
    )
    stacks = hnp.arrays(np.uint8, st.tuples(st.integers(2, 6), st.integers(1, 5), st.integers(1, 5)))
    example = counterexample(
        stacks, lambda images: lesson.pixel_range(images) == (int(images.min()), int(images.max()))
    )
    if example is not None:
        expect(
            False,
            f"pixel_range() of {len(example)} small images, {shown(example)}",
            expected=(int(example.min()), int(example.max())),
            found=describe(lesson.pixel_range(example)),
            hint="Does it look at every image, not only the first one?",
        )


@pytest.fixture
def figure(lesson, mnist, outputs):
    """The learner's grid for a 2 x 4 layout, and where it was saved."""
    (x_train, y_train), _ = mnist
    path = outputs / "grid.png"
    fig = lesson.plot_samples(x_train[:8], y_train[:8], path, n_rows=2, n_cols=4)
    yield fig, path
    given.close_figures()


@pytest.mark.todo(4)
def test_figure_is_saved_as_png(figure):
    """plot_samples() saves a real PNG file"""
    _, path = figure
    expect(
        path.exists(),
        "plot_samples() should save the figure",
        expected=f"a file at {path.name}",
        found="no file",
        hint="Which method of the figure writes it to a file?",
    )
    header = path.read_bytes()[:8]
    expect(
        header == PNG_SIGNATURE,
        "the saved file is not a PNG",
        expected="a PNG file",
        found=f"a file starting with {header!r}",
    )
    with Image.open(io.BytesIO(path.read_bytes())) as image:
        width, height = image.size
    expect(
        width >= 200 and height >= 100,
        "the picture is too small to see the digits",
        expected="at least 200 x 100 pixels",
        found=f"{width} x {height}",
    )
    facts = judge.image_facts(path.read_bytes())  # a process that never ran your code looks at the picture
    expect(
        facts["dark"] > 0.15,
        "the saved picture shows no digits (it is almost all white)",
        expected="8 digits, white on black, filling much of the picture",
        found=f"{facts['dark']:.0%} of it dark",
        hint="Is the figure saved after the digits are drawn, or right after plt.subplots?",
    )


@pytest.mark.hint("Use plt.subplots(n_rows, n_cols), then imshow(images[i]) and set_title(str(labels[i])) on axes i.")
@pytest.mark.todo(4)
def test_figure_shows_grid(figure, mnist):
    """the figure is a grid of the first digits, each titled with its label"""
    fig, _ = figure
    (x_train, y_train), _ = mnist
    expect(
        isinstance(fig, FigureView),
        "plot_samples() should return the Figure",
        expected="a matplotlib Figure",
        found=describe(fig),
    )
    panels = [ax for ax in fig.axes if ax.images]
    expect(
        len(panels) == 8,
        "wrong number of digits in a 2 x 4 grid",
        expected="8 axes with an image",
        found=len(panels),
    )
    rows = sorted({round(ax.get_position().y0, 3) for ax in panels})
    columns = sorted({round(ax.get_position().x0, 3) for ax in panels})
    expect(
        (len(rows), len(columns)) == (2, 4),
        "the digits should be laid out in n_rows x n_cols",
        expected="2 rows x 4 columns",
        found=f"{len(rows)} rows x {len(columns)} columns",
    )
    for index, ax in enumerate(panels):
        shown = np.asarray(ax.images[0].get_array())
        expect(
            np.array_equal(shown, x_train[index]),
            f"panel {index + 1} does not show image {index}",
            expected=f"images[{index}]",
            found="another picture",
        )
        title = ax.get_title().strip()
        expect(
            title == str(y_train[index]),
            f"panel {index + 1} has the wrong title",
            expected=repr(str(y_train[index])),
            found=repr(title),
        )
    colours = sorted({ax.images[0].get_cmap().name for ax in panels})
    expect(
        colours == ["gray"],
        "the digits should be shown in gray, as the TODO asks",
        expected="imshow(..., cmap='gray')",
        found=f"colour map {', '.join(colours)}",
        hint="Without a cmap, imshow colours a one-channel picture yellow and purple (viridis).",
    )
    with_ticks = [index + 1 for index, ax in enumerate(panels) if ax.axison]
    expect(
        not with_ticks,
        "hide the ticks and frame of every panel",
        expected="ax.axis('off') on every panel",
        found=f"ticks on panel(s) {with_ticks[:5]}",
    )
