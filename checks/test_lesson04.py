"""Lesson 4 · Train: checks for lessons/04_train/train.py.

A small fixture CNN (the make_tiny_model fixture) and 2,000 preprocessed digits stand
in for lessons 2 and 3, so this lesson is graded on its own, in seconds.
"""

import contextlib
import io
import math
from types import SimpleNamespace

import numpy as np
import pytest

from course.grader import describe, expect, import_lesson

EPOCHS, BATCH_SIZE = 3, 64
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(4)


@pytest.fixture(scope="module")
def trained(lesson, train_slice, val_slice, tmp_path_factory, make_tiny_model):
    """Train the fixture model once with the learner's train_model; keep what it printed."""
    model = make_tiny_model()
    path = tmp_path_factory.mktemp("model") / "digit_classifier.h5"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = lesson.train_model(model, *train_slice, *val_slice, epochs=EPOCHS, batch_size=BATCH_SIZE, model_path=str(path), seed=1)
    return SimpleNamespace(model=model, history=history, path=path, printed=printed.getvalue())


def batches(dataset):
    import tensorflow as tf

    expect(isinstance(dataset, tf.data.Dataset), "make_dataset() should return a tf.data.Dataset", expected="tf.data.Dataset", found=describe(dataset))
    return [(np.asarray(x), np.asarray(y)) for x, y in dataset]


def test_dataset_batches(lesson, train_slice):
    """make_dataset() gives (images, labels) batches of the requested size"""
    x, y = train_slice[0][:150], train_slice[1][:150]
    found = batches(lesson.make_dataset(x, y, batch_size=64))
    sizes = [len(images) for images, _ in found]
    expect(sizes == [64, 64, 22], "150 examples in batches of 64", expected=[64, 64, 22], found=sizes, hint="Did you call .batch(batch_size)?")
    expect(found[0][0].shape == (64, 28, 28, 1) and found[0][1].shape == (64, 10), "wrong batch shapes", expected="(64, 28, 28, 1) and (64, 10)", found=f"{found[0][0].shape} and {found[0][1].shape}")
    expect(np.array_equal(np.concatenate([b for b, _ in found]), x), "without shuffle the examples keep their order", expected="the images in order", found="a different order")


def test_dataset_shuffles_with_seed(lesson, train_slice):
    """make_dataset(shuffle=True) shuffles every example, the same way for the same seed"""
    x, y = train_slice[0][:300], train_slice[1][:300]
    first = np.concatenate([labels for _, labels in batches(lesson.make_dataset(x, y, batch_size=50, shuffle=True, seed=3))])
    again = np.concatenate([labels for _, labels in batches(lesson.make_dataset(x, y, batch_size=50, shuffle=True, seed=3))])
    expect(not np.array_equal(first, y), "shuffle=True should change the order", expected="a new order", found="the original order", hint="Call .shuffle(len(images), seed=seed) before .batch().")
    expect(np.array_equal(np.sort(first.argmax(1)), np.sort(y.argmax(1))), "shuffling must keep every example exactly once", expected="the same 300 labels", found="some missing or repeated", hint="The shuffle buffer should hold the whole set: len(images).")
    expect(np.array_equal(first, again), "the same seed should give the same order", expected="identical orders", found="different orders", hint="Pass seed=seed to .shuffle().")


def metrics_of(trained):
    """history.history of what train_model returned, or a clear failure."""
    history = getattr(trained.history, "history", None)
    expect(isinstance(history, dict), "train_model() should return what model.fit returns", expected="a keras History", found=describe(trained.history), hint="history = model.fit(...); return history")
    return history


def test_history_has_every_metric(trained):
    """train_model() returns a History with loss, accuracy and validation metrics per epoch"""
    history = metrics_of(trained)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        values = history.get(key)
        expect(values is not None, f"the history has no {key!r}", expected=f"{key!r} in history.history", found=sorted(history), hint="val_ metrics appear when you pass validation_data to fit.")
        expect(len(values) == EPOCHS, f"{key!r} should have one value per epoch", expected=EPOCHS, found=len(values))


def test_epochs_and_batch_size(trained):
    """it trains for the epochs and batch size it is given"""
    metrics_of(trained)
    params = getattr(trained.history, "params", {}) or {}
    expect(params.get("epochs") == EPOCHS, "wrong number of epochs", expected=EPOCHS, found=params.get("epochs"), hint="Pass epochs=epochs to fit.")
    steps = math.ceil(2000 / BATCH_SIZE)
    expect(params.get("steps") == steps, "wrong number of steps per epoch for 2,000 images", expected=f"{steps} (batches of {BATCH_SIZE})", found=params.get("steps"), hint="Use the batch_size argument, not a number typed in.")


def test_loss_goes_down(trained):
    """the training loss goes down"""
    losses = metrics_of(trained).get("loss") or [0.0]
    expect(losses[-1] < losses[0], "the loss should fall from the first epoch to the last", expected=f"below {losses[0]:.3f}", found=f"{losses[-1]:.3f}")


def test_progress_bar_is_shown(trained):
    """Keras's progress bar stays visible"""
    expect(f"Epoch 1/{EPOCHS}" in trained.printed and "val_accuracy" in trained.printed, "training should show Keras's progress bar", expected=f"'Epoch 1/{EPOCHS}' and the validation accuracy in the output", found=repr(trained.printed[:80]), hint="Pass verbose=verbose to fit.")


def test_model_saved_as_hdf5(trained):
    """the model is saved as an HDF5 file at model_path"""
    expect(trained.path.is_file(), "no model file was saved", expected=f"a file at model_path ({trained.path.name})", found="nothing", hint="model.save(model_path)")
    header = trained.path.read_bytes()[:8]
    expect(header == HDF5_SIGNATURE, "the saved file is not HDF5", expected="an HDF5 (.h5) file", found=f"a file starting with {header!r}")


def test_saved_model_predicts_the_same(trained, val_slice):
    """the saved file reloads and gives identical predictions"""
    import keras

    expect(trained.path.is_file(), "no model file was saved", expected="a file at model_path", found="nothing")
    reloaded = keras.models.load_model(trained.path)
    images = val_slice[0][:64]
    original = np.asarray(trained.model(images, training=False))
    again = np.asarray(reloaded(images, training=False))
    gap = float(np.abs(original - again).max())
    expect(gap < 1e-6, "the reloaded model predicts differently", expected="identical predictions", found=f"differences up to {gap:.2g}", hint="Save after training, not before.")


@pytest.fixture
def curves(lesson, outputs):
    import matplotlib.pyplot as plt

    history = SimpleNamespace(history={"loss": [0.9, 0.5, 0.3, 0.2], "val_loss": [0.7, 0.45, 0.35, 0.33], "accuracy": [0.7, 0.85, 0.91, 0.94], "val_accuracy": [0.8, 0.88, 0.9, 0.91]})
    path = outputs / "curves.png"
    fig = lesson.plot_history(history, path)
    yield history.history, fig, path
    plt.close("all")


def test_curves_saved_as_png(curves):
    """plot_history() saves a real PNG file"""
    _, _, path = curves
    expect(path.is_file(), "plot_history() should save the figure", expected=f"a file at {path.name}", found="no file", hint="fig.savefig(path)")
    header = path.read_bytes()[:8]
    expect(header == b"\x89PNG\r\n\x1a\n", "the saved file is not a PNG", expected="a PNG file", found=f"a file starting with {header!r}")


def test_curves_show_train_and_validation(curves):
    """the learning curves show loss and accuracy, train and validation"""
    import matplotlib.figure

    metrics, fig, _ = curves
    expect(isinstance(fig, matplotlib.figure.Figure), "plot_history() should return the Figure", expected="a matplotlib Figure", found=describe(fig))
    plotted = [list(np.round(line.get_ydata(), 6)) for ax in fig.axes for line in ax.get_lines()]
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        expect(list(np.round(metrics[key], 6)) in plotted, f"no line shows history[{key!r}]", expected=f"a line with the {key} values", found=f"{len(plotted)} lines")
    expect(len([ax for ax in fig.axes if ax.get_lines()]) >= 2, "loss and accuracy belong on separate axes", expected="2 axes with lines", found=len([ax for ax in fig.axes if ax.get_lines()]))
    expect(all(ax.get_legend() is not None for ax in fig.axes if ax.get_lines()), "each plot needs a legend saying which line is which", expected="ax.legend() on both", found="a plot without a legend")
