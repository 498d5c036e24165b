"""The whole pipeline, lessons 1-5 chained: what `make train` runs.

It calls one tree's functions (``solutions/`` by default, or ``lessons/`` with TARGET=lessons): loader,
preprocessing, model, training, evaluation. Nothing here re-implements a lesson; it wires them together.
"""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path
from types import SimpleNamespace

from course.lessons import add_stage_paths, all_lessons, display_path, forget_standins, tree_path
from course.model_file import default_model_path, load_trained_model, train_command

VALIDATION_SIZE = 5000  # the last 5,000 training images; the test set stays unseen until evaluation


def load_steps(target: Path) -> SimpleNamespace:
    """The steps of a tree: every lesson module of ``target`` (steps.load_data, steps.preprocess, steps.model...)."""
    from course.quiet import import_tensorflow

    import_tensorflow()  # first, so the lessons' own imports find it loaded (and quiet)
    add_stage_paths(target)
    forget_standins()  # the whole pipeline runs the tree's own lessons, never the graders' stand-ins
    modules = {}
    for lesson in all_lessons():
        if lesson.file_in(target).is_file():
            modules[lesson.module_name] = importlib.import_module(lesson.module_name)
    return SimpleNamespace(**modules)


def configure_tensorflow(seed: int | None = None) -> None:
    """Quiet logs and (with a seed) repeatable results.

    TensorFlow's default threading (a pool per core) is kept: on 2 cores, pinning
    inter-op parallelism to 1 made no measurable difference.
    """
    import warnings

    from course.quiet import import_tensorflow

    tf = import_tensorflow()
    import absl.logging
    import keras

    # Two messages that would only confuse a learner: Keras notes that fit's shuffle
    # flag is unused with a tf.data pipeline (ours shuffles itself), and that HDF5 is
    # a "legacy" format (the course's app loads .h5 on purpose; lesson 4 explains).
    warnings.filterwarnings("ignore", message=".*`shuffle=True` was passed.*")
    absl.logging.set_verbosity(absl.logging.ERROR)

    if seed is not None:
        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()


def split_validation(x, y, train_size=None, train=None):
    """Hold back the last VALIDATION_SIZE training images: (x_fit, y_fit, x_val, y_val).

    With a tree's lesson 4 (``train``) that has its own ``split_validation``, that one does it.
    `train_size` keeps only the first that many of the rest (quick runs and tests).
    """
    split = getattr(train, "split_validation", None)
    if split is not None:
        x_fit, y_fit, x_val, y_val = split(x, y, VALIDATION_SIZE)
    else:
        x_fit, y_fit, x_val, y_val = (
            x[:-VALIDATION_SIZE],
            y[:-VALIDATION_SIZE],
            x[-VALIDATION_SIZE:],
            y[-VALIDATION_SIZE:],
        )
    return x_fit[:train_size], y_fit[:train_size], x_val, y_val


def build_for_training(steps, epochs, batch_size, examples):
    """Lesson 3's model, with lesson 4's learning-rate schedule when the tree has one."""
    schedule = getattr(steps.train, "learning_rate_schedule", None)
    if schedule is None:
        return steps.model.build_model()
    steps_per_epoch = -(-examples // batch_size)
    return steps.model.build_model(learning_rate=schedule(epochs, steps_per_epoch))


def train_pipeline(
    target_dir=None,
    epochs=None,
    batch_size=None,
    seed=None,
    model_path=None,
    evaluate=True,
    verbose=1,
    train_size=None,
    pen_digits=True,
):
    """Load, preprocess, build, train, save and (optionally) evaluate; return a summary dict.

    `train_size` trains on only the first that many training images (quick runs and tests);
    `pen_digits=False` leaves lesson 7's pen drawings out (the MNIST-only model of bench-handwriting).
    """
    target = tree_path(target_dir)
    started = time.perf_counter()
    steps = load_steps(target)
    train = steps.train
    epochs = epochs or int(os.environ.get("EPOCHS") or 0) or train.EPOCHS  # `make train EPOCHS=2`: a quick try
    train_size = train_size or int(os.environ.get("TRAIN_SIZE") or 0) or None  # TRAIN_SIZE=2000: a quicker one
    batch_size = batch_size or train.BATCH_SIZE
    seed = train.SEED if seed is None else seed
    model_path = Path(model_path or default_model_path(target))
    configure_tensorflow(seed)

    print(f"Training with the code in {display_path(target)}/ (seed {seed}, {epochs} epochs, batch size {batch_size})")
    (x_train, y_train), (x_test, y_test) = steps.load_data.load_mnist()
    x_all, y_all = steps.preprocess.preprocess(x_train, y_train)
    x_fit, y_fit, x_val, y_val = split_validation(x_all, y_all, train_size, train)
    print(f"{len(x_fit):,} training images, {len(x_val):,} for validation, {len(x_test):,} kept for the test")

    if train_size is None and pen_digits:  # a full run; quick runs and tests train on their MNIST slice alone
        x_fit, y_fit = add_pen_drawings(steps, x_fit, y_fit, seed)

    model = with_augmentation(steps, build_for_training(steps, epochs, batch_size, len(x_fit)), seed)
    print(f"Model: {model.count_params():,} parameters")
    model_path.parent.mkdir(parents=True, exist_ok=True)
    fit_started = time.perf_counter()
    callbacks = [train.early_stopping()] if hasattr(train, "early_stopping") else []
    history = train.train_model(
        model,
        x_fit,
        y_fit,
        x_val,
        y_val,
        epochs=epochs,
        batch_size=batch_size,
        model_path=str(model_path),
        seed=seed,
        verbose=verbose,
        callbacks=callbacks,
    )
    fit_seconds = time.perf_counter() - fit_started
    say_how_training_ended(history, epochs, callbacks)
    from course.outputs import output_path

    curves = output_path("lesson04_learning_curves.png")
    train.plot_history(history, curves)
    import matplotlib.pyplot as plt

    plt.close("all")
    summary = {
        "model_path": model_path,
        "model_bytes": model_path.stat().st_size,
        "parameters": model.count_params(),
        "fit_seconds": fit_seconds,
        "val_accuracy": float(history.history["val_accuracy"][-1]),
        "history": history.history,
    }
    print(f"\nSaved the trained model to {display_path(model_path)} ({summary['model_bytes'] / 1e6:.2f} MB)")
    print(f"Saved the learning curves to {curves}")
    if evaluate and hasattr(steps, "evaluate"):
        x_test_ready, _ = steps.preprocess.preprocess(x_test, y_test)
        results = steps.evaluate.evaluate_model(model, x_test_ready, y_test)
        summary["test_accuracy"] = results["accuracy"]
    from course.calibration import calibrate

    summary["temperature"] = calibrate(model, x_val, y_val, model_path)
    if train_size is None:  # a full run: lesson 8, if done, prepares the faster version the app serves
        from course.serving import prepare_served

        summary["served"] = prepare_served(steps, model, model_path, summary["temperature"])
    summary["wall_seconds"] = time.perf_counter() - started
    print(f"\nTraining took {fit_seconds:.0f} s; everything took {summary['wall_seconds']:.0f} s.")
    if "test_accuracy" in summary:
        print(f"Test accuracy: {summary['test_accuracy']:.2%}")
    return summary


def say_how_training_ended(history, epochs, callbacks) -> str:
    """One sentence: did early stopping end training, after which epoch, and whose weights were kept?"""
    import numpy as np

    losses = history.history.get("val_loss") or []
    if not losses:
        return ""
    best = int(np.argmin(losses)) + 1
    stopper = next((callback for callback in callbacks if hasattr(callback, "stopped_epoch")), None)
    ran = len(losses)
    if stopper is not None and ran < epochs:
        kept = (
            f"epoch {best}'s weights (the best)"
            if getattr(stopper, "restore_best_weights", False)
            else (f"the last epoch's weights (epoch {best} was the best: restore_best_weights is off)")
        )
        told = (
            f"Early stopping: validation loss last improved at epoch {best} (to {losses[best - 1]:.4f}), so training "
            f"stopped after epoch {ran} of {epochs}; the model keeps {kept}."
        )
    else:
        told = f"Trained all {ran} epochs; validation loss was lowest at epoch {best} ({losses[best - 1]:.4f})."
    print(told)
    return told


def add_pen_drawings(steps, x_fit, y_fit, seed):
    """With the tree's lessons 6 and 7 done: its training writers' pen digits, drawn on the canvas, prepared by
    the tree's own ``to_mnist`` (lesson 6: what its app will do to a drawing) and mixed into MNIST.

    The validation writers stay out (lesson 7's split_by_writer): `make bench-handwriting`
    measures on them. Without lesson 6 or 7, or without the pen data, MNIST alone.
    """
    handwriting = getattr(steps, "real_handwriting", None)
    app = getattr(steps, "app", None)
    if handwriting is None or app is None:
        return x_fit, y_fit
    import numpy as np

    from course.handwriting import pen_images
    from course.outputs import tried
    from course.pendigits import PendigitsDataError, load_pendigits

    started = time.perf_counter()
    try:
        training_writers, _ = handwriting.split_by_writer(load_pendigits())
    except NotImplementedError as error:
        print(f"Lesson 7 is not done yet ({error}): training on MNIST alone.")
        return x_fit, y_fit
    except PendigitsDataError as error:
        print(f"No pen-drawn digits ({error}): training on MNIST alone.")
        return x_fit, y_fit
    try:
        renderings = tried("PEN_RENDERINGS", handwriting.PEN_RENDERINGS)
        images, labels, _ = pen_images(training_writers, app.to_mnist, renderings, seed)
    except NotImplementedError as error:
        print(f"Lesson 6's to_mnist is not done yet ({error}): training on MNIST alone.")
        return x_fit, y_fit
    try:
        pen_x, pen_y = steps.preprocess.preprocess(np.round(images * 255).astype(np.uint8), labels)
        mixed = handwriting.training_mix(x_fit, y_fit, pen_x, pen_y, seed=seed)
    except NotImplementedError as error:
        print(f"Lesson 7 is not done yet ({error}): training on MNIST alone.")
        return x_fit, y_fit
    writers = sorted({digit.writer for digit in training_writers})
    print(
        f"Lesson 7: {len(images):,} canvas drawings of {len(training_writers):,} pen digits by writers "
        f"{writers[0]}-{writers[-1]}, prepared by lesson 6's to_mnist, mixed in "
        f"({time.perf_counter() - started:.0f} s to draw)"
    )
    return mixed


def with_augmentation(steps, model, seed):
    """With lesson 7's AUGMENT = True: its augmentation() in front of the model (active only while training)."""
    from course.outputs import tried

    handwriting = getattr(steps, "real_handwriting", None)
    if handwriting is None or not tried("AUGMENT", bool(getattr(handwriting, "AUGMENT", False))):
        return model
    import keras

    try:
        layer = handwriting.augmentation(seed=seed)
    except NotImplementedError as error:
        print(f"Lesson 7's augmentation is not done yet ({error}): training without it.")
        return model
    wrapped = keras.Sequential([keras.Input(model.input_shape[1:]), layer, model], name=f"augmented_{model.name}")
    wrapped.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"])
    print("Lesson 7: augmentation() turns, zooms and shifts every training picture a little")
    return wrapped


def evaluate_saved_model(target_dir=None, model_path=None):
    """Evaluate a saved model with a tree's own loader, preprocessing and evaluation code."""
    target = tree_path(target_dir)
    configure_tensorflow()
    steps = load_steps(target)
    path = Path(model_path or default_model_path(target))
    model = load_trained_model(path)
    print(f"Evaluating {display_path(path)} on the 10,000 test images")
    _, (x_test, y_test) = steps.load_data.load_mnist()
    x_ready, _ = steps.preprocess.preprocess(x_test, y_test)
    return steps.evaluate.evaluate_model(model, x_ready, y_test)


def train(
    target: Path, epochs: int | None = None, seed: int | None = None, model_path=None, if_missing: bool = False
) -> int:
    """`make train` (and `make model`, ``if_missing``: only when there is no model yet)."""
    path = Path(model_path or default_model_path(target))
    if if_missing and path.is_file():
        from course.serving import served_paths, served_version

        version, served = served_version(path), display_path(served_paths(path)[0])
        using = f"{served} ({version}, from {path.name})" if version else display_path(path)
        print(f"Using the trained model {using} (delete {path.name} or run `{train_command(path)}` to retrain).")
        return 0
    if if_missing:
        print(f"No trained model at {display_path(path)} yet: training one first (about 2 minutes on 2 cores).")
    train_pipeline(target, epochs=epochs, seed=seed, model_path=path)
    return 0
