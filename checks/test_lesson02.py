"""Lesson 2 · Preprocess: checks for lessons/02_preprocess/preprocess.py.

The images and labels come from the course's own loader (the `mnist`
fixture), not from lesson 1, so this lesson can be graded on its own.
"""

import numpy as np
import pytest

from course.checking import InputChanged, describe, expect, import_lesson, last_call
from course.checking.properties import counterexample, hnp, st


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(2)


@pytest.fixture(scope="module")
def sample(mnist):
    """The first 100 training images and labels."""
    (x_train, y_train), _ = mnist
    return x_train[:100], y_train[:100]


def as_array(value, function):
    expect(
        isinstance(value, np.ndarray),
        f"{function} should return a NumPy array",
        expected="numpy.ndarray",
        found=describe(value),
    )
    return value


@pytest.mark.hint("reshape(-1, 28, 28, 1) adds the channel axis; -1 means 'as many images as there are'.")
@pytest.mark.todo(2)
def test_image_shape(lesson, sample):
    """images reshaped to (N, 28, 28, 1)"""
    images = as_array(lesson.preprocess_images(sample[0]), "preprocess_images()")
    expect(
        images.shape == (100, 28, 28, 1),
        "wrong shape for 100 images",
        expected=(100, 28, 28, 1),
        found=images.shape,
    )


@pytest.mark.todo(2)
def test_image_dtype(lesson, sample):
    """pixels converted to float32"""
    images = as_array(lesson.preprocess_images(sample[0]), "preprocess_images()")
    expect(
        images.dtype == np.float32,
        "wrong dtype",
        expected="float32",
        found=images.dtype,
        hint='.astype("float32") converts; float64 doubles the memory for nothing.',
    )


@pytest.mark.hint("Convert to float32 first, then divide by 255.0.")
@pytest.mark.todo(2)
def test_image_scaling(lesson, sample):
    """pixels scaled to [0, 1]: 0 stays 0, 255 becomes 1.0"""
    images = as_array(lesson.preprocess_images(sample[0]), "preprocess_images()")
    expect(
        float(images.max()) == 1.0,
        "the brightest pixel should become 1.0",
        expected="max 1.0",
        found=f"max {float(images.max())}",
    )
    expect(
        float(images.min()) == 0.0,
        "the darkest pixel should stay 0.0",
        expected="min 0.0",
        found=f"min {float(images.min())}",
    )
    wanted = sample[0].astype(np.float32)[..., np.newaxis] / 255.0
    if images.shape == wanted.shape:
        worst = float(np.abs(images - wanted).max())
        expect(
            worst < 1e-6,
            "every pixel should be divided by 255",
            expected="pixel / 255",
            found=f"values off by up to {worst:.3f}",
            hint="Integer division (//) or dividing a uint8 array keeps whole numbers.",
        )


def preprocess_watched(lesson, images, hint):
    """preprocess_images(images), and the names of the arguments its result is (or shares memory with)."""
    try:
        result = lesson.preprocess_images(images)
    except InputChanged as error:
        expect(
            False,
            error.what,
            expected=error.expected,
            found=error.found,
            hint=hint,
        )
    return as_array(result, "preprocess_images()"), last_call().get("aliases", [])


@pytest.mark.todo(2)
def test_input_not_changed(lesson, sample, draw):
    """a new array is returned and the input is left unchanged"""
    images = sample[0][draw.permutation(len(sample[0]))[: int(draw.integers(3, len(sample[0])))]]
    _, aliases = preprocess_watched(
        lesson, images, "Work on a new array (astype makes one) rather than changing the input in place."
    )
    expect(
        not aliases,
        "preprocess_images() should return a new array",
        expected="a new float32 array",
        found="the input array itself (or a view of its memory)",
    )
    floats = images[:3].astype(np.float32)  # pixels that are float32 already (a second pass, say)
    _, aliases = preprocess_watched(
        lesson,
        floats,
        "astype(..., copy=False) and /= reuse the input when it is float32 already: is that what you want?",
    )
    expect(
        not aliases,
        "preprocess_images() should return a new array, whatever the input's dtype",
        expected="a new float32 array",
        found="the caller's float32 array itself (or a view of its memory)",
        hint="astype(..., copy=False) and reshape give back the input (or a view of it) when nothing needs to change.",
    )


@pytest.mark.todo(2)
def test_single_and_full(lesson, mnist):
    """works for one image (N = 1) and for all 60,000"""
    (x_train, _), _ = mnist
    one = as_array(lesson.preprocess_images(x_train[:1]), "preprocess_images()")
    expect(
        one.shape == (1, 28, 28, 1),
        "wrong shape for a single image",
        expected=(1, 28, 28, 1),
        found=one.shape,
    )
    full = as_array(lesson.preprocess_images(x_train), "preprocess_images()")
    expect(
        full.shape == (60000, 28, 28, 1),
        "wrong shape for the whole training set",
        expected=(60000, 28, 28, 1),
        found=full.shape,
    )
    expect(
        full.dtype == np.float32 and float(full.max()) == 1.0,
        "the whole set should be float32 in [0, 1]",
        expected="float32, max 1.0",
        found=f"{full.dtype}, max {float(full.max())}",
    )


def shown(array) -> str:
    """A small array as a learner would type it; a big one as its shape and first values."""
    values = np.asarray(array).ravel().tolist()
    if len(values) <= 12:
        return str(np.asarray(array).tolist())
    return f"an array of shape {np.shape(array)} starting {values[:8]}"


@pytest.mark.todo(2)
def test_scaling_for_any_pixels(lesson):
    """preprocess_images() divides every pixel by 255, for any images: faint, bright, black, one or many"""
    pictures = hnp.arrays(np.uint8, st.tuples(st.integers(1, 5), st.just(28), st.just(28)))

    def scaled(images):
        result = np.asarray(lesson.preprocess_images(images))
        wanted = images.astype(np.float32)[..., np.newaxis] / 255.0
        return result.shape == wanted.shape and result.dtype == np.float32 and np.allclose(result, wanted, atol=1e-6)

    example = counterexample(pictures, scaled)
    if example is not None:
        result = as_array(lesson.preprocess_images(example), "preprocess_images()")
        wanted = example.astype(np.float32)[..., np.newaxis] / 255.0
        worst = float(np.nanmax(np.abs(result - wanted))) if result.shape == wanted.shape else None
        expect(
            False,
            f"preprocess_images() of {len(example)} image(s) whose brightest pixel is {int(example.max())}",
            expected=f"every pixel / 255 (so {int(example.max())} becomes {example.max() / 255:.3f})",
            found=f"values off by up to {worst:.3f}" if worst is not None else describe(result),
            hint="255 is the brightest a pixel can be, whatever the brightest pixel of this batch is.",
        )


@pytest.mark.hint(
    "Does your code look at images.ndim and images.shape[1:] before anything else, "
    "and does its ValueError say which shape it found?"
)
@pytest.mark.todo(1)
def test_bad_shape_raises(lesson):
    """a wrongly shaped input raises ValueError with a clear message"""
    draw = np.random.default_rng()  # sizes new each run: every axis wrong on its own, and one axis too many
    n, wrong = int(draw.integers(1, 6)), int(draw.choice([*range(5, 28), *range(29, 60)]))
    shapes = [(n, 784), (n, 27, 27), (n, 28, wrong), (n, wrong, 28), (n, 28, 28, 1), (28, 28)]
    for bad in [draw.integers(0, 256, shape, dtype=np.uint8) for shape in shapes]:
        try:
            result = lesson.preprocess_images(bad)
        except ValueError as error:
            message = str(error)
            expect(
                str(tuple(bad.shape)) in message,
                "the ValueError should say which shape it found",
                expected=f"a message containing {tuple(bad.shape)}",
                found=repr(message),
            )
            continue
        expect(
            False,
            f"an input of shape {bad.shape} should raise ValueError",
            expected="ValueError",
            found=f"it returned {describe(result)}",
        )


@pytest.mark.todo(3)
def test_one_hot_shape(lesson, sample):
    """one_hot() gives float32 rows of length 10"""
    labels = as_array(lesson.one_hot(sample[1]), "one_hot()")
    expect(
        labels.shape == (100, 10),
        "wrong shape for 100 labels",
        expected=(100, 10),
        found=labels.shape,
    )
    expect(
        labels.dtype == np.float32,
        "wrong dtype",
        expected="float32",
        found=labels.dtype,
    )


@pytest.mark.hint("Row k of np.eye(10) is the one-hot row for label k.")
@pytest.mark.todo(3)
def test_one_hot_values(lesson, sample):
    """one_hot(): a single 1.0 in each row, at the label's index"""
    labels = as_array(lesson.one_hot(sample[1]), "one_hot()")
    expect(
        set(np.unique(labels).tolist()) <= {0.0, 1.0},
        "one-hot rows hold only 0.0 and 1.0",
        expected="only 0.0 and 1.0",
        found=np.unique(labels).tolist()[:6],
    )
    sums = labels.sum(axis=1)
    expect(
        np.all(sums == 1.0),
        "each row should hold exactly one 1.0",
        expected="row sums of 1.0",
        found=f"row sums {sorted(set(sums.tolist()))[:5]}",
    )
    wrong = int(np.sum(labels.argmax(axis=1) != sample[1]))
    expect(
        wrong == 0,
        "the 1.0 should sit at the label's index",
        expected="argmax(row) == label for all 100",
        found=f"{wrong} rows pointing at the wrong digit",
    )
    three = as_array(lesson.one_hot(np.array([3])), "one_hot()")
    expect(
        three.tolist() == [[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]],
        "one_hot([3])",
        expected="[[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]]",
        found=three.tolist(),
    )
    twelve = as_array(lesson.one_hot(np.array([11, 0]), num_classes=12), "one_hot(..., num_classes=12)")
    expect(
        twelve.shape == (2, 12) and twelve[0, 11] == 1.0 and twelve[1, 0] == 1.0,
        "one_hot(labels, num_classes=12) should give rows of 12",
        expected="shape (2, 12) with the 1.0s at 11 and 0",
        found=describe(twelve),
        hint="Is num_classes used, or the number 10 typed in (or NUM_CLASSES)?",
    )


@pytest.mark.todo(3)
def test_one_hot_for_any_labels(lesson):
    """one_hot() puts a single 1.0 at each label's index, for any labels and any num_classes"""
    cases = st.integers(2, 12).flatmap(
        lambda classes: st.tuples(
            st.just(classes),
            hnp.arrays(st.sampled_from([np.uint8, np.int64]), st.integers(1, 40), elements=st.integers(0, classes - 1)),
        )
    )

    def right(case):
        classes, labels = case
        rows = np.asarray(lesson.one_hot(labels, num_classes=classes))
        return rows.dtype == np.float32 and np.array_equal(rows, np.eye(classes, dtype=np.float32)[labels])

    example = counterexample(cases, right)
    if example is not None:
        classes, labels = example
        rows = lesson.one_hot(labels, num_classes=classes)
        expect(
            False,
            f"one_hot({shown(labels)}, num_classes={classes})",
            expected=shown(np.eye(classes, dtype=np.float32)[labels]),
            found=shown(rows) if isinstance(rows, np.ndarray) else describe(rows),
        )


@pytest.mark.todo(3)
def test_one_hot_single_and_full(lesson, mnist):
    """one_hot() works for one label (N = 1) and for all 60,000"""
    (_, y_train), _ = mnist
    one = as_array(lesson.one_hot(y_train[:1]), "one_hot()")
    expect(
        one.shape == (1, 10),
        "wrong shape for a single label",
        expected=(1, 10),
        found=one.shape,
    )
    full = as_array(lesson.one_hot(y_train), "one_hot()")
    expect(
        full.shape == (60000, 10),
        "wrong shape for all training labels",
        expected=(60000, 10),
        found=full.shape,
    )
    expect(
        np.array_equal(full.argmax(axis=1), y_train),
        "argmax of each row should equal its label",
        expected="all 60,000 equal",
        found="some differ",
    )
