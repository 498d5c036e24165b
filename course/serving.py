"""The model the app serves: lesson 8's faster version when a tree made one, else the Keras model.

Lesson 8 converts a trained model to TensorFlow Lite, quantizes it, measures
every version and keeps the fastest that holds its accuracy:
``digit_classifier.tflite`` beside ``digit_classifier.h5``, with
``digit_classifier.served.json`` saying which version it is, what was
measured, and the SHA-256 of the .h5 it came from. The app (lesson 6's given
code) serves it through the tree's own ``LitePredictor``, with the model's
calibration, only while that .h5 is unchanged: a model trained again is served
as Keras until lesson 8 runs again. `make train` does that step itself for a
tree whose lesson 8 is done. Everything a lesson 8 run needs (the measuring
sets, the representative set's sources, a drawing to time) comes from here.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

SERVED_SUFFIX = ".tflite"
RECORD_SUFFIX = ".served.json"
CALIBRATION_PEN_DIGITS = 600  # training writers' pen digits drawn for int8 calibration


def served_paths(model_path) -> tuple[Path, Path]:
    model_path = Path(model_path)
    return model_path.with_suffix(SERVED_SUFFIX), model_path.with_suffix(RECORD_SUFFIX)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_served_model(model_path, data: bytes | None, version: str, rows: dict) -> str:
    """Save the version to serve beside the model (``data`` None: the Keras model itself); say what was saved."""
    from course.lessons import display_path

    model_path = Path(model_path)
    served, record = served_paths(model_path)
    if data is None:
        served.unlink(missing_ok=True)
        record.unlink(missing_ok=True)
        return f"The app serves the Keras model {display_path(model_path)} (no faster version kept its accuracy)."
    served.write_bytes(data)
    facts = {"version": version, "model_sha256": _sha256(model_path), "measured": rows}
    record.write_text(json.dumps(facts, indent=2, default=float) + "\n")
    return f"Saved {display_path(served)} ({len(data) / 1e3:.1f} kB, {version}): your app serves it from now on."


def served_version(model_path) -> str | None:
    """The version saved beside the model, if it was made from this very model file (None otherwise)."""
    served, record = served_paths(model_path)
    try:
        facts = json.loads(record.read_text())
        fresh = served.is_file() and facts.get("model_sha256") == _sha256(Path(model_path))
    except (OSError, ValueError):
        return None
    return facts.get("version") if fresh else None


def served_predictor(model_path):
    """The tree's lesson 8 LitePredictor on the saved faster version, or None (serve the Keras model).

    None when there is no faster version, when the model was trained again since it was made, or
    when lesson 8 (module ``fast_and_small`` on the path) is not there or not done.
    """
    version = None if os.environ.get("COURSE_SERVE_KERAS") else served_version(model_path)
    if version is None:
        return None
    import importlib

    from course.calibration import load_temperature
    from course.lessons import get_lesson

    try:
        lesson8 = importlib.import_module(get_lesson(8).module_name)
        predictor = lesson8.LitePredictor(served_paths(model_path)[0].read_bytes(), load_temperature(model_path))
        predictor(np.zeros((28, 28), np.float32))  # it answers, or the Keras model is served
    except (ImportError, NotImplementedError, AttributeError, ValueError, RuntimeError) as error:
        print(f"Serving the Keras model: lesson 8's faster version could not be used ({error})", file=sys.stderr)
        return None
    predictor.served_version = version
    return predictor


def serving_data(to_mnist, seed: int = 1) -> SimpleNamespace:
    """What lesson 8 measures on, prepared once.

    ``sets``: {"MNIST test": (images, labels), "unseen writers": (the drawings of writers 21-30,
    made with ``to_mnist``, labels)}; ``mnist_train`` and ``pen_train`` (drawings of some of writers
    1-20): where a representative set may come from, never from what is measured.
    """
    from course.handwriting import pen_images
    from course.mnist_file import load_mnist
    from course.pendigits import VALIDATION_WRITERS, load_pendigits

    (x_train, _), (x_test, y_test) = load_mnist()
    digits = load_pendigits()
    unseen = [digit for digit in digits if digit.writer in VALIDATION_WRITERS]
    training = [digit for digit in digits if digit.writer not in VALIDATION_WRITERS]
    picks = np.random.default_rng(seed).choice(len(training), min(CALIBRATION_PEN_DIGITS, len(training)), replace=False)
    writers_images, writers_labels, _ = pen_images(unseen, to_mnist, renderings=1, seed=seed)
    pen_train, _, _ = pen_images([training[i] for i in sorted(picks)], to_mnist, renderings=1, seed=seed + 1)
    return SimpleNamespace(
        sets={
            "MNIST test": (x_test.astype(np.float32) / 255.0, y_test),
            "unseen writers": (writers_images, writers_labels),
        },
        mnist_train=x_train[:5000].astype(np.float32) / 255.0,
        pen_train=pen_train,
    )


def drawn_png(index: int = 0) -> bytes:
    """A canvas drawing of MNIST test digit ``index``, as the page sends it (PNG bytes)."""
    from course import drawings
    from course.mnist_file import load_mnist

    _, (x_test, _) = load_mnist()
    return drawings.png_bytes(drawings.random_drawing(x_test[index], np.random.default_rng(index)))


def prepare_served(steps, model, model_path, temperature: float) -> str | None:
    """`make train`'s last step, for a tree whose lesson 8 is done: its serve_fastest() keeps the fastest version
    that holds the model's accuracy beside it. Returns the version served (None: the Keras model)."""
    from course.lessons import get_lesson

    lesson8, app = getattr(steps, get_lesson(8).module_name, None), getattr(steps, "app", None)
    if lesson8 is None or app is None:
        return None
    print("\nLesson 8: converting the model and measuring each version, to serve the fastest that keeps its accuracy")
    try:
        _, chosen, _ = lesson8.serve_fastest(model, model_path, app, temperature)
    except NotImplementedError as error:
        save_served_model(model_path, None, "keras", {})  # an older faster version belongs to an older model
        print(f"Lesson 8 is not done yet ({error}): the app serves the Keras model.")
        return None
    return None if chosen == "keras" else chosen
