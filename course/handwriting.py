"""Real handwriting as the app sees it: pen trajectories drawn the way the page's canvas draws them.

Shared by `make train` (the pen digits of the training writers, mixed into
MNIST), `make bench-handwriting` and the browser test (the unseen writers),
and lesson 7. Each trajectory is drawn on a 280 x 280 canvas at a random size
and place with a pen near the page's own, mostly black on the transparent
canvas, sometimes white on black as an upload would be, and then prepared by
the MNIST-style preprocessing of the app it is for (the ``to_mnist`` of the
same tree's lesson 6): exactly what a user's drawing goes through before that
app's model sees it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from course import drawings


def pen_images(digits, to_mnist, renderings: int = 1, seed: int = 0, canvas_size: int = 280):
    """Each digit drawn ``renderings`` times and prepared by ``to_mnist`` (a tree's lesson 6: the app's own).

    Returns (images (N, 28, 28) float32, labels (N,), writers (N,)).
    """
    rng = np.random.default_rng(seed)
    images, labels, writers = [], [], []
    for _ in range(renderings):
        for digit in digits:
            image = to_mnist(drawings.random_canvas_drawing(digit.strokes, rng, canvas_size))
            if image is None:  # nothing drawn: cannot happen for a real trajectory, but never crash on it
                continue
            images.append(image)
            labels.append(digit.label)
            writers.append(digit.writer)
    return np.asarray(images, dtype=np.float32), np.asarray(labels, dtype=np.int64), np.asarray(writers, dtype=np.int64)


@dataclass
class Reading:
    """How a model reads a set of labelled images."""

    accuracy: float
    per_digit: list[float]
    confusions: list[tuple[int, int, int]]  # (true, predicted, count), most frequent first
    predicted: np.ndarray
    probabilities: np.ndarray

    def worst_digit(self) -> tuple[int, float]:
        digit = int(np.argmin(self.per_digit))
        return digit, self.per_digit[digit]


def read(model, images, labels, batch_size: int = 500) -> Reading:
    """Predict ``images`` and measure: accuracy, accuracy per digit, the most frequent confusions."""
    probabilities = np.asarray(model.predict(images.reshape(-1, 28, 28, 1), batch_size=batch_size, verbose=0))
    predicted = probabilities.argmax(axis=1)
    per_digit = [float(np.mean(predicted[labels == d] == d)) if np.any(labels == d) else 0.0 for d in range(10)]
    mistakes = Counter((int(t), int(p)) for t, p in zip(labels, predicted) if t != p)
    confusions = [(t, p, n) for (t, p), n in mistakes.most_common()]
    return Reading(float(np.mean(predicted == labels)), per_digit, confusions, predicted, probabilities)
