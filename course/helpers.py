"""The one module lesson files import from the course: given helpers a lesson can lean on.

Everything a lesson needs from the course comes from here: where to save
figures and models, finding and checking MNIST, the trained model's path,
quick experiments and pictures. The rest of ``course`` (the grader, the
checks' machinery, grading and benchmarks) is not for lesson code: the
grader's tamper scan flags any other ``course.*`` import in a lesson file.

Some share a name with the machinery they wrap (``default_model_path``,
``train_pipeline``, ``evaluate_saved_model``): these take the lesson's own file
(``__file__``) where the machinery takes a tree.

Importing this module is cheap: TensorFlow is imported only by the helpers
that need it, when they are called.
"""

from __future__ import annotations

import time
from pathlib import Path

from course.data import check_mnist, download_mnist, find_mnist_file, friendly_data_errors
from course.experiments import dropout_pair, sweep_verdicts, with_dropout, without_dropout
from course.lessons import ROOT
from course.model_file import ModelFileError
from course.outputs import output_path, since_last_time, tried
from course.quiet import quietly
from course.serving import drawn_png, save_served_model, served_predictor, serving_data

__all__ = [
    "APP_TEMPLATE",
    "ModelFileError",
    "apply_temperature",
    "check_mnist",
    "default_model_path",
    "download_mnist",
    "draw_pen_digits",
    "drawn_png",
    "dropout_pair",
    "evaluate_saved_model",
    "find_mnist_file",
    "friendly_data_errors",
    "lesson_modules",
    "load_mnist",
    "load_pen_digits",
    "load_preprocessed",
    "load_trained_model",
    "mistakes_gallery",
    "output_path",
    "quietly",
    "register_feedback",
    "save_filter_pictures",
    "save_served_model",
    "served_predictor",
    "serving_data",
    "short_fit",
    "since_last_time",
    "sweep_verdicts",
    "train_pipeline",
    "tried",
    "with_dropout",
    "without_dropout",
]

APP_TEMPLATE = ROOT / "app_template"  # the web page lesson 6 serves: templates/ and static/


def load_mnist(path=None):
    """MNIST by the course's own loader: a local file first, a download only as a last resort."""
    from course.mnist_file import load_mnist as load  # not imported with the helpers: lesson 1's workers lack it

    return load(path)


def default_model_path(lesson_file) -> Path:
    """Where the tree holding ``lesson_file`` keeps its trained model (MODEL_PATH overrides)."""
    from course.lessons import tree_path
    from course.model_file import default_model_path as model_path

    return model_path(tree_path(lesson_file))


def load_trained_model(path):
    """Load a saved Keras model, or raise ModelFileError with one sentence that says what to do."""
    from course.model_file import load_trained_model as load

    return load(path)


def load_preprocessed(train_size: int = 10_000, validation_size: int = 2_000):
    """MNIST's first ``train_size`` training digits and its last ``validation_size``, ready for a CNN.

    Returns ((x_fit, y_fit), (x_val, y_val)): float32 images (N, 28, 28, 1) in [0, 1]
    and one-hot labels (N, 10), prepared by the course itself (as lesson 2 teaches).
    """
    import numpy as np

    (x_train, y_train), _ = load_mnist()

    def ready(images, labels):
        return (images.astype("float32") / 255.0)[..., np.newaxis], np.eye(10, dtype="float32")[labels]

    return ready(x_train[:train_size], y_train[:train_size]), ready(
        x_train[-validation_size:], y_train[-validation_size:]
    )


def short_fit(model, x_fit, y_fit, x_val, y_val, epochs: int = 2, batch_size: int = 64) -> tuple[float, float]:
    """Train ``model`` briefly, quietly; return (validation accuracy, seconds)."""
    started = time.perf_counter()
    model.fit(x_fit, y_fit, epochs=epochs, batch_size=batch_size, verbose=0)
    seconds = time.perf_counter() - started
    accuracy = float(model.evaluate(x_val, y_val, batch_size=1000, verbose=0)[1])
    return accuracy, seconds


def mistakes_gallery(images, labels, predicted, path, title: str, count: int = 24):
    """Save the first ``count`` misread images in a grid, each titled true → read; return the path."""
    from course.pictures import mistakes_gallery as draw

    return draw(images, labels, predicted, path, title, count=count)


def save_filter_pictures(model, image, prefix: str = "lesson03", label=None) -> list[Path]:
    """Save the first convolution's filters and what they find in ``image`` (a ``label``, if given, is named
    in the picture); return the two paths."""
    from course.pictures import plot_feature_maps, plot_filters

    return [
        plot_filters(model, output_path(f"{prefix}_filters.png")),
        plot_feature_maps(model, image, output_path(f"{prefix}_feature_maps.png"), label=label),
    ]


def lesson_modules(lesson_file):
    """The modules of every lesson in the tree that holds ``lesson_file`` (load_data, preprocess, model, ...)."""
    from course.lessons import tree_path
    from course.pipeline import load_steps

    return load_steps(tree_path(lesson_file))


def train_pipeline(lesson_file, **options):
    """Train on all of MNIST with the lessons of the tree that holds ``lesson_file``: what `make train` does."""
    from course.pipeline import train_pipeline as pipeline

    return pipeline(lesson_file, **options)


def evaluate_saved_model(lesson_file, **options):
    """Evaluate the tree's trained model with that tree's own lesson 5: what `make run-lesson5` does."""
    from course.pipeline import evaluate_saved_model as evaluate

    return evaluate(lesson_file, **options)


def load_pen_digits():
    """UCI's pen-drawn digits by 30 writers (course/pendigits.py): a list of PenDigit(label, writer, strokes)."""
    from course.pendigits import load_pendigits

    return load_pendigits()


def draw_pen_digits(digits, renderings: int = 1, seed: int = 0, to_mnist=None):
    """Each pen digit drawn on the app's canvas ``renderings`` times (random size, place, pen) and prepared
    as your app prepares a drawing (lesson 6's to_mnist, unless you pass another):
    (images (N, 28, 28) float32 in [0, 1], labels (N,), writers (N,))."""
    from course.handwriting import pen_images

    if to_mnist is None:
        to_mnist = your_to_mnist()
    try:
        return pen_images(digits, to_mnist, renderings=renderings, seed=seed)
    except NotImplementedError as error:
        raise NotImplementedError(
            f"lesson 6's to_mnist is not done yet ({error}); drawings are prepared the way your app prepares them, "
            "so finish lesson 6 first (make check-lesson6)"
        ) from None


def your_to_mnist():
    """Lesson 6's to_mnist, from the same folder of lessons as the code that asks (the app's preprocessing)."""
    import importlib

    from course.lessons import get_lesson

    lesson = get_lesson(6)
    try:
        return importlib.import_module(lesson.module_name).to_mnist
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            f"draw_pen_digits prepares drawings with lesson 6's to_mnist, and {lesson.dir}/{lesson.stub} is not "
            "on the path: run your lesson with `make run-lessonN`, or pass to_mnist="
        ) from None


def apply_temperature(probabilities, temperature: float = 1.0):
    """The model's probabilities with its calibration temperature applied (course/calibration.py)."""
    from course.calibration import apply_temperature as soften

    return soften(probabilities, temperature)


def register_feedback(app, to_mnist):
    """Add "Wrong? It was a ..." to the app: POST /feedback stores a correction in SQLite (course/feedback.py)."""
    from course.feedback import register

    register(app, to_mnist)
