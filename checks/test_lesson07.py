"""Lesson 7 · Real handwriting: checks for lessons/07_real_handwriting/real_handwriting.py.

Every input is made here and small: pen digits with made-up writers, a
linear model with fixed weights, arrays whose pixels say which label they
belong to. No pen-digit file and no trained model are needed, and every
expected value is computed here the slow obvious way.
"""

import numpy as np
import pytest

from course.checking import describe, expect, import_lesson, is_a
from course.checking.standins import RecordingModel
from course.pendigits import PenDigit


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(7)


def pen_digit(label, writer, serial):
    """A pen digit whose stroke also carries a serial number, so that each one can be told apart after a trip."""
    stroke = np.array([[0.0, 0.0], [10.0, 5.0 * label], [20.0, 3.0 * writer], [30.0, float(serial)]])
    return PenDigit(label=label, writer=writer, strokes=(stroke,))


@pytest.fixture(scope="module")
def digits():
    """60 pen digits by writers 1-30, two each, in an order that is neither by writer nor by label."""
    rng = np.random.default_rng(7)
    writers = rng.permutation(np.repeat(np.arange(1, 31), 2))
    labels = rng.integers(0, 10, 60)
    return [pen_digit(int(label), int(writer), serial) for serial, (label, writer) in enumerate(zip(labels, writers))]


def as_pairs(digits):
    return [(digit.label, digit.writer, float(digit.strokes[0][-1, 1])) for digit in digits]


@pytest.mark.todo(1)
def test_split_by_writer_holds_out_whole_writers(lesson, digits):
    """split_by_writer() puts every digit of writers 21-30 in the validation list, in order"""
    result = lesson.split_by_writer(digits)
    expect(
        isinstance(result, tuple) and len(result) == 2,
        "split_by_writer() should return (training digits, validation digits)",
        expected="a tuple of two lists",
        found=describe(result),
    )
    training, validation = (list(part) for part in result)
    wanted_training = [digit for digit in digits if digit.writer <= 20]
    wanted_validation = [digit for digit in digits if digit.writer > 20]
    expect(
        len(training) + len(validation) == len(digits),
        "every digit should land in exactly one of the two lists",
        expected=f"{len(digits)} digits in all",
        found=f"{len(training)} + {len(validation)}",
    )
    expect(
        {digit.writer for digit in validation} == set(range(21, 31)),
        "the validation list should hold the validation writers' digits",
        expected="writers 21 to 30",
        found=sorted({digit.writer for digit in validation}),
        hint="Which writers are in VALIDATION_WRITERS, and which list gets them?",
    )
    expect(
        as_pairs(training) == as_pairs(wanted_training) and as_pairs(validation) == as_pairs(wanted_validation),
        "each list should keep the digits in their original order",
        expected="the digits of writers 1-20, then of 21-30, each in the order given",
        found="another order or other digits",
    )


@pytest.mark.todo(1)
def test_split_by_writer_uses_its_argument(lesson, digits):
    """split_by_writer(digits, validation_writers=(3, 7, 30)) holds out exactly those writers"""
    training, validation = lesson.split_by_writer(digits, validation_writers=(3, 7, 30))
    expect(
        sorted({digit.writer for digit in validation}) == [3, 7, 30],
        "split_by_writer(..., validation_writers=(3, 7, 30)) should hold out writers 3, 7 and 30",
        expected=[3, 7, 30],
        found=sorted({digit.writer for digit in validation}),
        hint="Is the validation_writers argument used, or VALIDATION_WRITERS typed in?",
    )
    expect(
        not {digit.writer for digit in training} & {3, 7, 30} and len(training) == len(digits) - 6,
        "no held-out writer may be in the training list",
        expected=f"{len(digits) - 6} training digits, none by writers 3, 7 or 30",
        found=f"{len(training)} training digits by writers {sorted({digit.writer for digit in training})[:6]}...",
    )
    training, validation = lesson.split_by_writer(digits[:4], validation_writers=[])
    expect(
        len(validation) == 0 and len(training) == 4,
        "with no validation writers every digit is for training",
        expected="4 training, 0 validation",
        found=f"{len(training)} training, {len(validation)} validation",
    )


@pytest.fixture(scope="module")
def fixed_model(linear_softmax_model):
    """A linear softmax model with fixed random weights: its predictions are easy to compute with NumPy."""
    return linear_softmax_model(17)


@pytest.fixture(scope="module")
def measured(lesson, fixed_model, mnist):
    """measure() of the fixed model on 400 test digits, beside what it should say."""
    model, weights, bias = fixed_model
    images = mnist[1][0][:400].astype("float32") / 255.0
    labels = np.asarray(mnist[1][1][:400], dtype=int)
    labels[labels == 6] = 5  # no 6 among them: its accuracy must be 0.0, not a division by zero
    predicted = (images.reshape(400, 784) @ weights + bias).argmax(axis=1)
    result = lesson.measure(model, images, labels)
    return result, labels, predicted


@pytest.mark.todo(2)
def test_measure_accuracy_and_digits(measured):
    """measure() gives the overall accuracy and the accuracy of each digit (0.0 for a digit with no images)"""
    result, labels, predicted = measured
    expect(
        isinstance(result, dict) and {"accuracy", "per_digit", "confusions"} <= set(result),
        "measure() should return a dict",
        expected='{"accuracy": ..., "per_digit": [...], "confusions": [...]}',
        found=describe(result),
    )
    accuracy = sum(int(p == t) for p, t in zip(predicted, labels)) / len(labels)
    expect(
        isinstance(result["accuracy"], float) and abs(result["accuracy"] - accuracy) < 1e-9,
        "wrong accuracy",
        expected=round(accuracy, 4),
        found=describe(result["accuracy"]),
        hint="Are the images given a channel axis before predict, and is argmax taken over axis=1?",
    )
    per_digit = np.asarray(result["per_digit"], dtype=float)
    expect(
        per_digit.shape == (10,),
        "per_digit should hold one accuracy for each digit 0-9",
        expected=10,
        found=per_digit.shape,
    )
    wanted = [float(np.mean(predicted[labels == d] == d)) if np.any(labels == d) else 0.0 for d in range(10)]
    expect(
        per_digit[6] == 0.0,
        "a digit with no images should get 0.0",
        expected=0.0,
        found=per_digit[6],
        hint="np.mean of nothing is nan: check np.any(labels == d) first.",
    )
    expect(
        np.allclose(per_digit, wanted),
        "some digits' accuracies are wrong",
        expected=np.round(wanted, 3).tolist(),
        found=np.round(per_digit, 3).tolist(),
        hint="For digit d, look only at the images whose label is d: how many of them were predicted d?",
    )


@pytest.mark.todo(2)
def test_measure_confusions(measured):
    """measure()'s confusions: every (true, predicted) mistake with its count, most frequent first"""
    result, labels, predicted = measured
    counts = {}
    for t, p in zip(labels, predicted):
        if t != p:
            counts[(int(t), int(p))] = counts.get((int(t), int(p)), 0) + 1
    confusions = [tuple(int(v) for v in item) for item in result["confusions"]]
    expect(
        {(t, p): n for t, p, n in confusions} == counts,
        "the confusions should be every (true, predicted, count) of a mistake",
        expected=f"{len(counts)} pairs, e.g. {max(counts, key=counts.get)} x {max(counts.values())}",
        found=f"{len(confusions)} items, starting {confusions[:2]}",
        hint="Is each pair (true, predicted), in that order, and only for the mistakes?",
    )
    numbers = [n for _, _, n in confusions]
    expect(
        numbers == sorted(numbers, reverse=True),
        "the most frequent mistakes should come first",
        expected="counts in decreasing order",
        found=numbers[:8],
    )
    kinds = sorted({type(value).__name__ for item in result["confusions"] for value in item})
    expect(
        kinds == ["int"],
        "each confusion is three plain Python ints, so it prints as (4, 9, 7)",
        expected="(int, int, int)",
        found=f"values of type {', '.join(kinds)}",
        hint="int(...) turns a NumPy number into a plain Python int.",
    )


@pytest.mark.todo(2)
def test_measure_predicts_quietly_with_a_channel(lesson):
    """measure() adds the channel axis, predicts quietly (verbose=0) and counts the right answers"""
    recorder = RecordingModel(np.eye(10, dtype="float32")[4])  # a stand-in model that always says 4
    result = lesson.measure(recorder, np.zeros((3, 28, 28), "float32"), np.array([4, 4, 1]))
    calls = recorder.calls
    expect(
        len(calls) == 1 and calls[0]["shape"] == (3, 28, 28, 1),
        "the model wants images with a channel axis",
        expected="model.predict on shape (3, 28, 28, 1)",
        found=calls[0]["shape"] if calls else "no call",
    )
    expect(
        calls[0]["verbose"] in (0, False),
        "predicting should not print a progress bar",
        expected="verbose=0",
        found=f"verbose={calls[0]['verbose']!r}",
    )
    expect(
        abs(result["accuracy"] - 2 / 3) < 1e-9,
        "the accuracy of a model that always says 4, on labels [4, 4, 1], is 2 of 3",
        expected="accuracy 0.667",
        found=f"accuracy {float(result['accuracy']):.3f}",
    )


def labelled(count, first_label, classes=10):
    """Images whose every pixel is their own number, and labels derived from it.

    A pair can be told apart after any shuffle."""
    numbers = np.arange(first_label, first_label + count)
    images = np.broadcast_to(numbers[:, None, None, None], (count, 28, 28, 1)).astype("float32")
    labels = np.eye(classes, dtype="float32")[numbers % classes]
    return images, labels


@pytest.mark.todo(3)
def test_training_mix_keeps_every_pair(lesson):
    """training_mix() joins MNIST and the pen drawings, each image still with its own label"""
    mnist_x, mnist_y = labelled(47, 0)
    pen_x, pen_y = labelled(23, 1003)
    result = lesson.training_mix(mnist_x, mnist_y, pen_x, pen_y, seed=1)
    expect(
        isinstance(result, tuple) and len(result) == 2,
        "training_mix() should return (images, labels)",
        expected="a tuple of two arrays",
        found=describe(result),
    )
    images, labels = (np.asarray(part) for part in result)
    expect(
        images.shape == (70, 28, 28, 1) and labels.shape == (70, 10),
        "47 MNIST and 23 pen images should make 70",
        expected="(70, 28, 28, 1) and (70, 10)",
        found=f"{images.shape} and {labels.shape}",
        hint="np.concatenate([a, b]) joins along the first axis.",
    )
    numbers = images[:, 0, 0, 0].astype(int)
    expect(
        sorted(numbers.tolist()) == list(range(47)) + list(range(1003, 1026)),
        "every image should be there exactly once",
        expected="the 47 + 23 images given",
        found=f"{len(set(numbers.tolist()))} different images",
    )
    expect(
        np.array_equal(labels.argmax(axis=1), numbers % 10),
        "an image got separated from its label",
        expected="images and labels shuffled with the same permutation",
        found="labels in another order than their images",
        hint="Draw the permutation once and index both arrays with it.",
    )


@pytest.mark.todo(3)
def test_training_mix_shuffles_by_seed(lesson):
    """training_mix() shuffles, the same way for the same seed and another way for another seed"""
    mnist_x, mnist_y = labelled(47, 0)
    pen_x, pen_y = labelled(23, 1003)
    first = np.asarray(lesson.training_mix(mnist_x, mnist_y, pen_x, pen_y, seed=1)[0])[:, 0, 0, 0].astype(int)
    again = np.asarray(lesson.training_mix(mnist_x, mnist_y, pen_x, pen_y, seed=1)[0])[:, 0, 0, 0].astype(int)
    other = np.asarray(lesson.training_mix(mnist_x, mnist_y, pen_x, pen_y, seed=2)[0])[:, 0, 0, 0].astype(int)
    joined = list(range(47)) + list(range(1003, 1026))
    expect(
        first.tolist() != joined,
        "the mix should be shuffled: training batches would otherwise end with only pen drawings",
        expected="a shuffled order",
        found="MNIST first, then the pen drawings",
    )
    expect(
        np.array_equal(first, again),
        "the same seed should give the same order",
        expected="np.random.default_rng(seed).permutation(...)",
        found="two different orders for seed=1",
    )
    expect(
        not np.array_equal(first, other),
        "another seed should give another order",
        expected="the seed argument used",
        found="the same order for seeds 1 and 2",
        hint="Is the seed argument passed to np.random.default_rng?",
    )
    expected = np.random.default_rng(1).permutation(70)
    expect(
        np.array_equal(first, np.array(joined)[expected]),
        "join MNIST first, then shuffle with np.random.default_rng(seed).permutation(total)",
        expected=np.array(joined)[expected][:6].tolist(),
        found=first[:6].tolist(),
    )


def asymmetric_picture():
    picture = np.zeros((1, 28, 28, 1), "float32")
    picture[0, 6:22, 12:15, 0] = 1.0  # a tall bar
    picture[0, 6:9, 12:20, 0] = 1.0  # a flag to the right at the top
    return picture


def centre_of_mass(picture):
    pixels = np.asarray(picture)[0, ..., 0]
    rows, columns = np.indices(pixels.shape)
    return (rows * pixels).sum() / pixels.sum(), (columns * pixels).sum() / pixels.sum()


def slant(pictures):
    """Each picture's slant in degrees (the direction of its longest axis, from its second moments)."""
    pixels = np.asarray(pictures, dtype="float64")[..., 0]
    rows, columns = np.indices(pixels.shape[1:])
    mass = pixels.sum(axis=(1, 2))
    row_mean, column_mean = ((pixels * axis).sum(axis=(1, 2)) / mass for axis in (rows, columns))
    dy, dx = rows - row_mean[:, None, None], columns - column_mean[:, None, None]
    across, down, both = ((pixels * term).sum(axis=(1, 2)) for term in (dx * dx, dy * dy, dx * dy))
    return np.degrees(0.5 * np.arctan2(2 * both, across - down))


def run(layer, picture, training):
    return np.asarray(layer(picture, training=training))


@pytest.mark.todo(4)
def test_augmentation_only_while_training(lesson):
    """augmentation() changes pictures while training and leaves them alone when predicting"""
    layer = lesson.augmentation(seed=3)
    picture = asymmetric_picture()
    expect(
        is_a(layer, "keras.layers.Layer"),
        "augmentation() should return a Keras model (a keras.Sequential)",
        expected="keras.Sequential([...])",
        found=describe(layer),
    )
    kept = run(layer, picture, training=False)
    expect(
        kept.shape == picture.shape and np.allclose(kept, picture, atol=1e-6),
        "when predicting (training=False) the pictures should pass unchanged",
        expected="the same picture",
        found=describe(kept),
    )
    changed = [run(layer, picture, training=True) for _ in range(3)]
    expect(
        any(not np.allclose(image, picture, atol=1e-3) for image in changed),
        "while training the pictures should change a little",
        expected="turned, zoomed or shifted pictures",
        found="the same picture three times",
    )
    ink = [float(image.sum()) for image in changed]
    expect(
        all(0.6 * picture.sum() < value < 1.5 * picture.sum() for value in ink),
        "the changes should be small: the digit stays about the same size",
        expected=f"ink near {picture.sum():.0f}",
        found=[round(v) for v in ink],
        hint="Are the factors small fractions (0.03 of a turn, 8% zoom)?",
    )


@pytest.mark.todo(4)
def test_augmentation_uses_each_argument(lesson):
    """augmentation(rotation, zoom, shift) turns, zooms and shifts by the amounts asked, filling with black"""
    picture = asymmetric_picture()
    draws = int(np.random.default_rng().integers(400, 600))  # one batch: each picture gets a draw of its own
    still = run(lesson.augmentation(rotation=0.0, zoom=0.0, shift=0.0, seed=1), np.repeat(picture, draws, axis=0), True)
    changed = [image for image in still if not np.allclose(image, picture[0], atol=1e-3)]
    mirrored = sum(
        np.allclose(image, np.flip(picture[0], axis=axis), atol=1e-3) for image in changed for axis in (0, 1)
    )
    expect(
        not changed,
        f"augmentation(rotation=0, zoom=0, shift=0) should change nothing, in any of {draws} draws",
        expected="the same picture every time",
        found=f"{len(changed)} of {draws} pictures changed" + (f", {mirrored} of them mirrored" if mirrored else ""),
        hint="Is each argument passed to its own layer, and is there a layer the TODO does not ask for? A "
        "mirrored 2 or 7 is no digit at all: turning, zooming and shifting are the changes real handwriting has.",
    )
    bar = np.zeros((draws, 28, 28, 1), "float32")
    bar[:, 13:15, 4:24, 0] = 1.0  # a level bar: its slant after the layer is the angle it was turned by
    angles = slant(run(lesson.augmentation(rotation=0.05, zoom=0.0, shift=0.0, seed=2), bar, True))
    expect(
        np.abs(angles).max() <= 18 + 3
        and np.abs(angles).max() >= 12
        and min((angles > 1).sum(), (angles < -1).sum()) >= draws // 10,
        f"augmentation(rotation=0.05) should turn pictures both ways by up to 0.05 of a turn (18 degrees), "
        f"over {draws} draws",
        expected="turns between -18 and +18 degrees, both ways, some near the limits",
        found=f"turns from {angles.min():+.0f} to {angles.max():+.0f} degrees ({(angles > 1).sum()} one way, "
        f"{(angles < -1).sum()} the other)",
        hint="RandomRotation's factor is already a fraction of a full turn (0.05 is 18 degrees): is `rotation` "
        "given to it as it is, without degrees or radians?",
    )
    shifted = [
        run(lesson.augmentation(rotation=0.0, zoom=0.0, shift=0.25, seed=s), picture, training=True) for s in range(4)
    ]
    moves = [np.subtract(centre_of_mass(image), centre_of_mass(picture)) for image in shifted]
    down, across = (max(abs(float(move[axis])) for move in moves) for axis in (0, 1))
    expect(
        down > 1.5 and across > 1.5,
        "augmentation(shift=0.25) should move the digit up and down, and left and right",
        expected="shifts of a few pixels in both directions",
        found=f"at most {down:.1f} pixels up or down, {across:.1f} pixels sideways",
        hint="RandomTranslation takes a height factor and a width factor: is `shift` given to both?",
    )
    zoomed = [
        run(lesson.augmentation(rotation=0.0, zoom=0.4, shift=0.0, seed=s), picture, training=True) for s in range(4)
    ]
    expect(
        any(abs(image.sum() - picture.sum()) > 0.15 * picture.sum() for image in zoomed),
        "augmentation(zoom=0.4) should make the digit bigger or smaller",
        expected="more or less ink",
        found=f"ink {[round(float(image.sum())) for image in zoomed]} for {picture.sum():.0f}",
    )
    square = np.ones((1, 28, 28, 1), "float32")
    turned = [
        run(lesson.augmentation(rotation=0.1, zoom=0.0, shift=0.0, seed=s), square, training=True) for s in range(3)
    ]
    corners = [float(image[0, [0, 0, -1, -1], [0, -1, 0, -1], 0].mean()) for image in turned]
    expect(
        min(corners) < 0.5,
        "turning a white square should leave black corners (fill_mode='constant')",
        expected="corners near 0",
        found=f"corners {[round(c, 2) for c in corners]}",
        hint="What does fill_mode='reflect' (the default) put in the corners?",
    )
    for name, options in (
        ("zoom", {"rotation": 0.0, "zoom": 0.4, "shift": 0.0}),
        ("shift", {"rotation": 0.0, "zoom": 0.0, "shift": 0.25}),
    ):
        moved = [run(lesson.augmentation(**options, seed=s), square, training=True) for s in range(4)]
        expect(
            min(float(image.min()) for image in moved) < 0.5,
            f"a white square, zoomed out or shifted ({name}), should get black borders (fill_mode='constant')",
            expected="black where the picture moved away",
            found="white everywhere: the edge pixels were repeated or mirrored",
            hint="Does every layer, not just the first, get fill_mode='constant'?",
        )


@pytest.mark.todo(4)
def test_augmentation_follows_its_seed(lesson):
    """augmentation(seed=...) gives each layer the seed: the same seed distorts the same way, another seed another way"""  # noqa: E501 (a check's name)
    picture = asymmetric_picture()
    once = run(lesson.augmentation(seed=5), picture, training=True)
    twice = run(lesson.augmentation(seed=5), picture, training=True)
    expect(
        np.allclose(once, twice, atol=1e-5),
        "the same seed should distort the same way",
        expected="seed=seed passed to each layer",
        found="two different pictures for seed=5",
    )
    for name, options in (
        ("rotation", {"rotation": 0.1, "zoom": 0.0, "shift": 0.0}),
        ("zoom", {"rotation": 0.0, "zoom": 0.3, "shift": 0.0}),
        ("shift", {"rotation": 0.0, "zoom": 0.0, "shift": 0.2}),
    ):
        pictures = [run(lesson.augmentation(**options, seed=seed), picture, training=True) for seed in (1, 2, 3)]
        expect(
            not np.allclose(pictures[0], pictures[1], atol=1e-4)
            or not np.allclose(pictures[0], pictures[2], atol=1e-4),
            f"with only the {name} switched on, seeds 1, 2 and 3 should distort differently",
            expected=f"seed=seed passed to the {name} layer",
            found="the same picture for every seed",
            hint="Is the seed argument given to every layer, or a number typed in?",
        )
