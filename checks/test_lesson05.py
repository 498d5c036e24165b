"""Lesson 5 · Evaluate: checks for lessons/05_evaluate/evaluate.py.

Every expected number is computed here, independently and the slow obvious
way, from fixed inputs: a small model with fixed weights and fixed
probabilities. No trained model from lesson 4 is needed.
"""

import numpy as np
import pytest

from course.grader import describe, expect, import_lesson

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
def fixed_model():
    """A linear softmax model with fixed random weights: its predictions are easy to compute with NumPy."""
    import keras

    rng = np.random.default_rng(11)
    weights = rng.normal(0, 0.3, (784, 10)).astype("float32")
    bias = rng.normal(0, 0.1, 10).astype("float32")
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.layers[-1].set_weights([weights, bias])
    return model, weights, bias


def test_predict_classes(lesson, fixed_model, mnist):
    """predict_classes() gives the probabilities and the argmax digit for each image"""
    model, weights, bias = fixed_model
    images = (mnist[1][0][:300].astype("float32") / 255.0)[..., np.newaxis]
    result = lesson.predict_classes(model, images)
    expect(isinstance(result, tuple) and len(result) == 2, "predict_classes() should return (probabilities, digits)", expected="a tuple of two arrays", found=describe(result))
    probabilities, digits = (np.asarray(part) for part in result)
    logits = images.reshape(300, 784) @ weights + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    expect(probabilities.shape == (300, 10), "wrong shape for the probabilities", expected=(300, 10), found=probabilities.shape)
    expect(np.allclose(probabilities, expected, atol=1e-4), "the probabilities are not the model's outputs", expected="model.predict(images)", found="other numbers")
    expect(digits.shape == (300,), "wrong shape for the predicted digits", expected=(300,), found=digits.shape, hint="argmax over axis=1 gives one digit per image.")
    wrong = int(np.sum(digits != expected.argmax(axis=1)))
    expect(wrong == 0, "the predicted digit should be the most probable one", expected="argmax of each row", found=f"{wrong} of 300 differ")


def test_accuracy(lesson, labels, probabilities):
    """accuracy() is the fraction of correct predictions"""
    predicted = probabilities.argmax(axis=1)
    expected = sum(int(p == t) for p, t in zip(predicted, labels)) / N
    found = lesson.accuracy(labels, predicted)
    expect(isinstance(found, float), "accuracy() should return a float", expected="a float between 0 and 1", found=describe(found), hint="float(...) turns a NumPy number into a Python float.")
    expect(abs(found - expected) < 1e-9, "wrong accuracy for 600 predictions", expected=f"{expected:.4f}", found=f"{found:.4f}")
    small = lesson.accuracy(np.array([1, 2, 3]), np.array([1, 2, 4]))
    expect(abs(small - 2 / 3) < 1e-9, "accuracy([1, 2, 3], [1, 2, 4])", expected="0.6667", found=describe(small))


def test_confusion_matrix(lesson, labels, probabilities):
    """confusion_matrix(): rows are the true digit, columns the prediction"""
    predicted = probabilities.argmax(axis=1)
    matrix = lesson.confusion_matrix(labels, predicted)
    expect(isinstance(matrix, np.ndarray) and matrix.shape == (10, 10), "the matrix should be 10 x 10", expected="an array of shape (10, 10)", found=describe(matrix))
    expect(np.issubdtype(matrix.dtype, np.integer), "the matrix counts images: whole numbers", expected="an integer dtype", found=matrix.dtype)
    expect(np.array_equal(matrix.sum(axis=1), np.bincount(labels, minlength=10)), "each row should add up to how many images of that digit there are", expected=np.bincount(labels, minlength=10).tolist(), found=matrix.sum(axis=1).tolist(), hint="Rows are the TRUE digit: matrix[true, predicted].")
    expect(np.array_equal(matrix, slow_confusion(labels, predicted)), "some counts are wrong", expected="matrix[t, p] = number of images of t predicted as p", found="different counts")
    one = lesson.confusion_matrix(np.array([3]), np.array([5]))
    expect(one[3, 5] == 1 and one[5, 3] == 0, "a 3 predicted as 5 belongs at [3, 5]", expected="matrix[3, 5] == 1", found=f"matrix[3, 5] == {one[3, 5]}, matrix[5, 3] == {one[5, 3]}")


def test_per_class_accuracy(lesson, labels, probabilities):
    """per_class_accuracy(): for each digit, the fraction of its images recognised"""
    matrix = slow_confusion(labels, probabilities.argmax(axis=1))
    found = np.asarray(lesson.per_class_accuracy(matrix), dtype=float)
    expected = [matrix[d][d] / sum(matrix[d]) for d in range(10)]
    expect(found.shape == (10,), "one accuracy per digit", expected="shape (10,)", found=found.shape)
    expect(np.allclose(found, expected), "wrong accuracy per digit", expected=np.round(expected, 3).tolist(), found=np.round(found, 3).tolist())
    empty = np.zeros((10, 10), dtype=int)
    empty[1, 1] = 4
    found_empty = np.asarray(lesson.per_class_accuracy(empty), dtype=float)
    expect(np.all(np.isfinite(found_empty)) and found_empty[1] == 1.0 and found_empty[0] == 0.0, "a digit with no images should get 0.0, not nan", expected="0.0 for empty rows, 1.0 for digit 1", found=found_empty.tolist(), hint="np.divide(..., out=np.zeros(10), where=totals > 0)")


def test_confusion_heatmap(lesson, labels, probabilities, outputs):
    """plot_confusion_matrix() saves a labelled heatmap with the counts written in"""
    import matplotlib.pyplot as plt

    matrix = slow_confusion(labels, probabilities.argmax(axis=1))
    path = outputs / "confusion.png"
    fig = lesson.plot_confusion_matrix(matrix, path)
    try:
        expect(path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the heatmap should be saved as a PNG", expected=f"a PNG at {path.name}", found="no PNG", hint="fig.savefig(path)")
        axes = [ax for ax in getattr(fig, "axes", []) if ax.images]
        expect(len(axes) == 1, "the figure should have one heatmap", expected="one imshow", found=f"{len(axes)} axes with an image")
        ax = axes[0]
        expect(ax.images[0].get_array().shape == (10, 10), "the heatmap should show the 10 x 10 matrix", expected=(10, 10), found=ax.images[0].get_array().shape)
        labels_text = (ax.get_xlabel() + " " + ax.get_ylabel()).lower()
        expect("true" in labels_text and "predicted" in labels_text, "label the axes so a reader knows which is which", expected="'predicted' and 'true'", found=repr(labels_text.strip()))
        written = {text.get_text() for text in ax.texts}
        missing = [int(matrix[d, d]) for d in range(10) if str(int(matrix[d, d])) not in written]
        expect(not missing, "write each count in its cell", expected="the diagonal counts as text", found=f"missing {missing}")
    finally:
        plt.close("all")


def test_most_confident_mistakes(lesson, labels, probabilities):
    """most_confident_mistakes(): wrong predictions, the most confident first"""
    predicted = probabilities.argmax(axis=1)
    wrong = [i for i in range(N) if predicted[i] != labels[i]]
    by_confidence = sorted(wrong, key=lambda i: -float(probabilities[i, predicted[i]]))
    found = np.asarray(lesson.most_confident_mistakes(probabilities, labels, count=12))
    expect(found.shape == (12,), "should return `count` indices", expected=12, found=describe(found))
    expect(all(predicted[i] != labels[i] for i in found), "every index should be a mistake", expected="only wrong predictions", found="a correct one among them")
    expect(found.tolist() == by_confidence[:12], "wrong mistakes or wrong order", expected=by_confidence[:12], found=found.tolist(), hint="Sort by the probability of the predicted digit, highest first.")
    perfect = np.eye(10, dtype="float32")[labels]
    none = np.asarray(lesson.most_confident_mistakes(perfect, labels))
    expect(none.size == 0, "no mistakes means an empty result", expected="[]", found=none.tolist()[:5])
