"""Lesson 5 · Evaluate: checks for lessons/05_evaluate/evaluate.py.

Every expected number is computed here, independently and the slow obvious
way, from fixed inputs: a small model with fixed weights and fixed
probabilities. No trained model from lesson 4 is needed.
"""

import numpy as np
import pytest

from course.checking import describe, expect, given, import_lesson
from course.checking.properties import counterexample, hnp, st
from course.checking.standins import RecordingModel

N = 600


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(5)


@pytest.fixture(scope="module")
def labels(mnist):
    return np.asarray(mnist[1][1][:N], dtype=int)


@pytest.fixture(scope="module")
def probabilities(labels):
    """Fixed 'model outputs' for 600 test digits: right about 85% of the time, some confidently wrong."""
    rng = np.random.default_rng(5)
    scores = rng.gamma(0.3, size=(N, 10))
    right = rng.random(N) < 0.85
    scores[np.arange(N)[right], labels[right]] += 3.0
    return (scores / scores.sum(axis=1, keepdims=True)).astype("float32")


def slow_confusion(y_true, y_pred):
    matrix = [[0] * 10 for _ in range(10)]
    for true, predicted in zip(y_true, y_pred):
        matrix[int(true)][int(predicted)] += 1
    return np.array(matrix)


@pytest.fixture(scope="module")
def fixed_model(linear_softmax_model):
    """A linear softmax model with fixed random weights: its predictions are easy to compute with NumPy."""
    return linear_softmax_model(11)


@pytest.mark.todo(1)
def test_predict_classes(lesson, fixed_model, mnist):
    """predict_classes() gives the probabilities and the argmax digit for each image"""
    model, weights, bias = fixed_model
    images = (mnist[1][0][:300].astype("float32") / 255.0)[..., np.newaxis]
    result = lesson.predict_classes(model, images)
    expect(
        isinstance(result, tuple) and len(result) == 2,
        "predict_classes() should return (probabilities, digits)",
        expected="a tuple of two arrays",
        found=describe(result),
    )
    probabilities, digits = (np.asarray(part) for part in result)
    logits = images.reshape(300, 784) @ weights + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    expect(
        probabilities.shape == (300, 10),
        "wrong shape for the probabilities",
        expected=(300, 10),
        found=probabilities.shape,
    )
    expect(
        np.allclose(probabilities, expected, atol=1e-4),
        "the probabilities are not the model's outputs",
        expected="model.predict(images)",
        found="other numbers",
    )
    expect(
        digits.shape == (300,),
        "wrong shape for the predicted digits",
        expected=(300,),
        found=digits.shape,
        hint="argmax over axis=1 gives one digit per image.",
    )
    wrong = int(np.sum(digits != expected.argmax(axis=1)))
    expect(
        wrong == 0,
        "the predicted digit should be the most probable one",
        expected="argmax of each row",
        found=f"{wrong} of 300 differ",
    )


@pytest.mark.todo(1)
def test_predict_classes_passes_its_settings(lesson):
    """predict_classes() hands batch_size on to model.predict, and predicts quietly (verbose=0)"""
    recorder = RecordingModel(np.linspace(0.0, 0.19, 10, dtype="float32"))  # stands in for a Keras model
    lesson.predict_classes(recorder, np.zeros((5, 28, 28, 1), "float32"), batch_size=7)
    calls = recorder.calls
    expect(
        len(calls) == 1,
        "predict_classes() should call model.predict once",
        expected="1 call",
        found=f"{len(calls)} calls",
    )
    expect(
        calls[0]["batch_size"] == 7,
        "predict_classes(..., batch_size=7) should predict in batches of 7",
        expected="model.predict(..., batch_size=7, ...)",
        found=f"batch_size={calls[0]['batch_size']!r}",
        hint="Is the batch_size argument passed on to model.predict?",
    )
    expect(
        calls[0]["verbose"] in (0, False),
        "predicting should not print a progress bar",
        expected="verbose=0",
        found=f"verbose={calls[0]['verbose']!r}",
    )


@pytest.mark.todo(2)
def test_accuracy(lesson, labels, probabilities):
    """accuracy() is the fraction of correct predictions"""
    predicted = probabilities.argmax(axis=1)
    expected = sum(int(p == t) for p, t in zip(predicted, labels)) / N
    found = lesson.accuracy(labels, predicted)
    expect(
        isinstance(found, float),
        "accuracy() should return a float",
        expected="a float between 0 and 1",
        found=describe(found),
        hint="float(...) turns a NumPy number into a Python float.",
    )
    expect(
        abs(found - expected) < 1e-9,
        "wrong accuracy for 600 predictions",
        expected=f"{expected:.4f}",
        found=f"{found:.4f}",
    )
    small = lesson.accuracy(np.array([1, 2, 3]), np.array([1, 2, 4]))
    expect(
        abs(small - 2 / 3) < 1e-9,
        "accuracy([1, 2, 3], [1, 2, 4])",
        expected="0.6667",
        found=describe(small),
    )


@pytest.mark.todo(3)
def test_confusion_matrix(lesson, labels, probabilities):
    """confusion_matrix(): rows are the true digit, columns the prediction"""
    predicted = probabilities.argmax(axis=1)
    matrix = lesson.confusion_matrix(labels, predicted)
    expect(
        isinstance(matrix, np.ndarray) and matrix.shape == (10, 10),
        "the matrix should be 10 x 10",
        expected="an array of shape (10, 10)",
        found=describe(matrix),
    )
    expect(
        np.issubdtype(matrix.dtype, np.integer),
        "the matrix counts images: whole numbers",
        expected="an integer dtype",
        found=matrix.dtype,
    )
    expect(
        np.array_equal(matrix.sum(axis=1), np.bincount(labels, minlength=10)),
        "each row should add up to how many images of that digit there are",
        expected=np.bincount(labels, minlength=10).tolist(),
        found=matrix.sum(axis=1).tolist(),
        hint="Rows are the TRUE digit: matrix[true, predicted].",
    )
    expect(
        np.array_equal(matrix, slow_confusion(labels, predicted)),
        "some counts are wrong",
        expected="matrix[t, p] = number of images of t predicted as p",
        found="different counts",
    )
    one = lesson.confusion_matrix(np.array([3]), np.array([5]))
    expect(
        one[3, 5] == 1 and one[5, 3] == 0,
        "a 3 predicted as 5 belongs at [3, 5]",
        expected="matrix[3, 5] == 1",
        found=f"matrix[3, 5] == {one[3, 5]}, matrix[5, 3] == {one[5, 3]}",
    )
    three = np.asarray(lesson.confusion_matrix(np.array([0, 2, 2]), np.array([1, 2, 0]), num_classes=3))
    expect(
        three.shape == (3, 3) and three.tolist() == [[0, 1, 0], [0, 0, 0], [1, 0, 1]],
        "confusion_matrix(..., num_classes=3) should be 3 x 3",
        expected=[[0, 1, 0], [0, 0, 0], [1, 0, 1]],
        found=three.tolist(),
        hint="Is num_classes used for the matrix's size, or 10 typed in?",
    )


def label_pairs(classes=10, most=60):
    """Random (true, predicted) label arrays of one length: some digits may never occur in either."""
    return st.integers(1, most).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.int64, n, elements=st.integers(0, classes - 1)),
            hnp.arrays(np.int64, n, elements=st.integers(0, classes - 1)),
        )
    )


@pytest.mark.todo(3)
def test_confusion_matrix_for_any_labels(lesson):
    """confusion_matrix() counts every (true, predicted) pair, for any labels, even when some digit never occurs"""

    def right(pair):
        matrix = np.asarray(lesson.confusion_matrix(*pair))
        return matrix.shape == (10, 10) and np.array_equal(matrix, slow_confusion(*pair))

    example = counterexample(label_pairs(), right)
    if example is not None:
        y_true, y_pred = example
        found = lesson.confusion_matrix(y_true, y_pred)
        expect(
            False,
            f"confusion_matrix(y_true={y_true.tolist()}, y_pred={y_pred.tolist()})",
            expected=f"a 10 x 10 matrix with {len(y_true)} counts, matrix[true, predicted]",
            found=describe(found)
            if not isinstance(found, np.ndarray) or found.shape != (10, 10)
            else f"counts {[(int(t), int(p), int(found[t, p])) for t, p in np.argwhere(found)][:6]}",
            hint="Is the matrix num_classes x num_classes, whichever digits happen to occur?",
        )


@pytest.mark.todo(4)
def test_per_class_accuracy(lesson, labels, probabilities):
    """per_class_accuracy(): for each digit, the fraction of its images recognised"""
    matrix = slow_confusion(labels, probabilities.argmax(axis=1))
    found = np.asarray(lesson.per_class_accuracy(matrix), dtype=float)
    expected = [matrix[d][d] / sum(matrix[d]) for d in range(10)]
    expect(
        found.shape == (10,),
        "one accuracy per digit",
        expected="shape (10,)",
        found=found.shape,
    )
    expect(
        np.allclose(found, expected),
        "wrong accuracy per digit",
        expected=np.round(expected, 3).tolist(),
        found=np.round(found, 3).tolist(),
    )
    empty = np.zeros((10, 10), dtype=int)
    empty[1, 1] = 4
    empty[2, 2] = 1
    empty[3, 4] = 1
    found_empty = np.asarray(lesson.per_class_accuracy(empty), dtype=float)
    wanted = [0.0, 1.0, 1.0] + [0.0] * 7
    expect(
        np.all(np.isfinite(found_empty)) and found_empty.tolist() == wanted,
        "a digit with no images should get 0.0, not nan (and a digit with one image, its own score)",
        expected=wanted,
        found=np.round(found_empty, 3).tolist(),
        hint="What should a digit with no images get? Which arguments of np.divide skip a division by zero?",
    )


def three_figures(precision, recall, f1) -> str:
    """Precision, recall and F1 per digit, rounded, for a message."""
    return (
        f"precision {np.round(precision, 3).tolist()}, recall {np.round(recall, 3).tolist()}, "
        f"F1 {np.round(f1, 3).tolist()}"
    )


@pytest.mark.todo(5)
def test_precision_recall_f1(lesson, labels, probabilities):
    """precision_recall_f1(): per digit, from the confusion matrix; 0.0 where nothing was predicted"""
    matrix = np.array([[5, 1, 0], [2, 3, 0], [0, 0, 0]])  # digit 2: never true, never predicted
    result = lesson.precision_recall_f1(matrix)
    expect(
        isinstance(result, tuple) and len(result) == 3,
        "precision_recall_f1() should return three arrays",
        expected="(precision, recall, f1)",
        found=describe(result),
    )
    precision, recall, f1 = (np.asarray(part, dtype=float) for part in result)
    wanted = {"precision": [5 / 7, 3 / 4, 0.0], "recall": [5 / 6, 3 / 5, 0.0]}
    wanted["f1"] = [2 * p * r / (p + r) if p + r else 0.0 for p, r in zip(wanted["precision"], wanted["recall"])]
    for name, found, hint in (
        ("precision", precision, "Precision divides by how many images were predicted as d: a column's sum (axis=0)."),
        ("recall", recall, "Recall is the accuracy per digit: the diagonal over each row's sum."),
        ("f1", f1, "F1 = 2 * precision * recall / (precision + recall), and 0.0 when both are 0."),
    ):
        expect(
            found.shape == (3,) and np.all(np.isfinite(found)) and np.allclose(found, wanted[name], atol=1e-6),
            f"{name} is wrong for the 3-digit matrix [[5, 1, 0], [2, 3, 0], [0, 0, 0]]",
            expected=np.round(wanted[name], 3).tolist(),
            found=np.round(found, 3).tolist() if found.shape == (3,) else describe(found),
            hint=hint,
        )
    # digit 2: never true, never predicted; digit 4: predicted once, rightly; digits 0 and 1: poor
    poor = np.array([[1, 2, 0, 0, 0], [3, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 2, 0], [0, 0, 0, 1, 1]])
    p, r = [1 / 4, 1 / 3, 0.0, 2 / 3, 1.0], [1 / 3, 1 / 4, 0.0, 1.0, 1 / 2]
    wanted = [2 * a * b / (a + b) if a + b else 0.0 for a, b in zip(p, r)]
    for _trial in range(3):
        # memory np.divide may reuse holds 0.77, not a lucky 0
        result = given.call_in_littered_memory(lesson.precision_recall_f1, poor, size=5, value=0.77)
        precision, recall, f1 = (np.asarray(part, dtype=float) for part in result)
        expect(
            np.allclose(precision, p) and np.allclose(recall, r) and np.allclose(f1, wanted),
            "precision, recall and F1 are wrong for a poor 5-digit model",
            expected=three_figures(p, r, wanted),
            found=three_figures(precision, recall, f1),
            hint="Digit 2 was never predicted: without out=, np.divide leaves whatever was in memory there. Is it 0.0?",
        )
    full = slow_confusion(labels, probabilities.argmax(axis=1))
    precision, recall, f1 = (np.asarray(part, dtype=float) for part in lesson.precision_recall_f1(full))
    columns = full.sum(axis=0)
    expected_precision = [full[d][d] / columns[d] if columns[d] else 0.0 for d in range(10)]
    expect(
        np.allclose(precision, expected_precision),
        "precision is wrong for the 600 test predictions",
        expected=np.round(expected_precision, 3).tolist(),
        found=np.round(precision, 3).tolist(),
    )


@pytest.mark.todo(6)
def test_confusion_heatmap(lesson, labels, probabilities, outputs):
    """plot_confusion_matrix() saves a labelled heatmap with the counts written in"""
    matrix = slow_confusion(labels, probabilities.argmax(axis=1))
    path = outputs / "confusion.png"
    fig = lesson.plot_confusion_matrix(matrix, path)
    try:
        expect(
            path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n",
            "the heatmap should be saved as a PNG",
            expected=f"a PNG at {path.name}",
            found="no PNG",
            hint="Which method of the figure writes it to a file?",
        )
        axes = [ax for ax in getattr(fig, "axes", []) if ax.images]
        expect(
            len(axes) == 1,
            "the figure should have one heatmap",
            expected="one imshow",
            found=f"{len(axes)} axes with an image",
        )
        ax = axes[0]
        expect(
            ax.images[0].get_array().shape == (10, 10),
            "the heatmap should show the 10 x 10 matrix",
            expected=(10, 10),
            found=ax.images[0].get_array().shape,
        )
        expect(
            np.array_equal(np.asarray(ax.images[0].get_array()), matrix),
            "the heatmap should show the matrix as it is: row = true digit, column = predicted",
            expected="imshow(matrix, ...): the colours match the counts written in the cells",
            found="another arrangement (the matrix transposed?)",
            hint="imshow draws matrix[row, column] at row, column already: no .T is needed.",
        )
        expect(
            "Log" in ax.images[0].norm_name,
            "the heatmap should use the given logarithmic colour scale, so that small counts stay visible",
            expected="ax.imshow(matrix, **log_colours(matrix))",
            found=f"a {ax.images[0].norm_name or 'linear'} colour scale",
        )
        xlabel, ylabel = ax.get_xlabel().lower(), ax.get_ylabel().lower()
        expect(
            "predicted" in xlabel and "true" in ylabel,
            "label the axes so a reader knows which is which: columns are the prediction, rows the true digit",
            expected="x axis 'predicted', y axis 'true'",
            found=f"x axis {ax.get_xlabel()!r}, y axis {ax.get_ylabel()!r}",
        )
        for axis, ticks in (("x", ax.get_xticks()), ("y", ax.get_yticks())):
            shown = [float(tick) for tick in ticks if -0.5 <= tick <= 9.5]
            expect(
                shown == [float(d) for d in range(10)],
                f"put the digits 0-9 as ticks on the {axis} axis",
                expected=list(range(10)),
                found=shown,
                hint=f"What does ax.set_{axis}ticks(...) take?",
            )
        off_centre = [text.get_text() for text in ax.texts if (text.get_ha(), text.get_va()) != ("center", "center")]
        expect(
            not off_centre,
            "write each count in the middle of its cell",
            expected="ha='center', va='center'",
            found=f"{len(off_centre)} counts off centre",
        )
        written = {text.get_text() for text in ax.texts}
        missing = [int(matrix[d, d]) for d in range(10) if str(int(matrix[d, d])) not in written]
        expect(
            not missing,
            "write each count in its cell",
            expected="the diagonal counts as text",
            found=f"missing {missing}",
        )
        cells = {}
        for text in ax.texts:
            x, y = text.get_position()
            if text.get_text().strip() and float(x).is_integer() and float(y).is_integer():
                cells[(int(y), int(x))] = text.get_text().strip()
        for row in range(10):
            for column in range(10):
                count = int(matrix[row, column])
                shown = cells.get((row, column), "")
                expect(
                    shown == (str(count) if count else ""),
                    f"the cell in row {row} (true {row}), column {column} (predicted {column}) shows the wrong count",
                    expected=repr(str(count)) if count else "nothing written (an empty cell stays empty)",
                    found=repr(shown) if shown else "nothing written there",
                    hint="ax.text(x, y, ...) takes the column first: x is the predicted digit, y the true one; "
                    "only counts that are not 0 are written.",
                )
    finally:
        given.close_figures()


@pytest.mark.todo(7)
def test_most_confident_mistakes(lesson, labels, probabilities):
    """most_confident_mistakes(): wrong predictions, the most confident first"""
    predicted = probabilities.argmax(axis=1)
    wrong = [i for i in range(N) if predicted[i] != labels[i]]
    by_confidence = sorted(wrong, key=lambda i: -float(probabilities[i, predicted[i]]))
    found = np.asarray(lesson.most_confident_mistakes(probabilities, labels, count=12))
    expect(
        found.shape == (12,),
        "should return `count` indices",
        expected=12,
        found=describe(found),
    )
    expect(
        all(predicted[i] != labels[i] for i in found),
        "every index should be a mistake",
        expected="only wrong predictions",
        found="a correct one among them",
    )
    expect(
        found.tolist() == by_confidence[:12],
        "wrong mistakes or wrong order",
        expected=by_confidence[:12],
        found=found.tolist(),
        hint="Sort by the probability of the predicted digit, highest first.",
    )
    five = np.asarray(lesson.most_confident_mistakes(probabilities, labels, count=5))
    expect(
        five.tolist() == by_confidence[:5],
        "most_confident_mistakes(..., count=5) should give the top 5",
        expected=by_confidence[:5],
        found=five.tolist(),
        hint="Is the count argument used, or 12 typed in?",
    )
    perfect = np.eye(10, dtype="float32")[labels]
    none = np.asarray(lesson.most_confident_mistakes(perfect, labels))
    expect(
        none.size == 0,
        "no mistakes means an empty result",
        expected="[]",
        found=none.tolist()[:5],
    )
