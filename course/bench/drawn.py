"""Drawn MNIST digits, read through the app: MNIST-style preprocessing against a plain resize.

MNIST test digits are drawn the way a canvas draws (random size, place and pen
width: ``course.drawings``) and read by the reference app's own ``to_mnist``
and ``Predictor``, and by the same model after a plain resize of the canvas to
28 x 28 (only the polarity fixed: what naive apps do). Lesson 6's README shows
the two figures (``make readme-figures``); the project's tests hold the first
to at least 97%.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course import drawings

COUNT = 1000
SEED = 2026


def naive_resize(app_module, picture):
    """The canvas squashed to 28 x 28, dark ink turned light: no crop, no box, no centring."""
    from PIL import Image

    gray = app_module.to_grayscale(picture)
    gray = 1.0 - gray if np.median(gray) > 0.5 else gray
    return np.asarray(Image.fromarray(np.uint8(gray * 255)).resize((28, 28), Image.Resampling.BILINEAR)) / 255.0


def drawn_digits_accuracy(model_path: Path, app_module=None, count: int = COUNT, seed: int = SEED) -> dict:
    """{"count", "mnist_style", "naive"}: the share of ``count`` drawn test digits each preprocessing reads right."""
    from course.mnist_file import load_mnist
    from course.model_file import load_trained_model

    if app_module is None:
        from course.bench.handwriting import reference_module
        from course.lessons import SOLUTIONS_DIR, get_lesson

        app_module = reference_module(get_lesson(6).file_in(SOLUTIONS_DIR), "reference_app")
    predictor = app_module.Predictor(load_trained_model(model_path))
    _, (x_test, y_test) = load_mnist()
    rng = np.random.default_rng(seed)
    right = naive_right = 0
    for index in rng.choice(len(x_test), count, replace=False):
        picture = drawings.random_drawing(x_test[index], rng)
        right += int(np.argmax(predictor(app_module.to_mnist(picture))) == y_test[index])
        naive_right += int(np.argmax(predictor(naive_resize(app_module, picture).astype(np.float32))) == y_test[index])
    return {"count": count, "mnist_style": right / count, "naive": naive_right / count}
