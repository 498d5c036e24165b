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

from course.checking import (
    Answer,
    FigureView,
    Make,
    StandIn,
    describe,
    expect,
    folder,
    given,
    import_lesson,
    is_a,
    judge,
)

EPOCHS, BATCH_SIZE = 3, 64
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(4)


@pytest.fixture(scope="module")
def trained(lesson, train_slice, val_slice, make_tiny_model):
    """Train the fixture model once with the learner's train_model; keep what it printed."""
    model = make_tiny_model()
    path = folder("model") / "digit_classifier.h5"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        history = lesson.train_model(
            model, *train_slice, *val_slice, epochs=EPOCHS, batch_size=BATCH_SIZE, model_path=str(path), seed=1
        )
    return SimpleNamespace(model=model, history=history, path=path, printed=printed.getvalue())


def batches(dataset):
    expect(
        is_a(dataset, "tensorflow.data.Dataset"),
        "make_dataset() should return a tf.data.Dataset",
        expected="tf.data.Dataset",
        found=describe(dataset),
    )
    return [(np.asarray(x), np.asarray(y)) for x, y in dataset]


def labels_in_order(dataset):
    """The labels of one pass over ``dataset``, in the order it gives them."""
    return np.concatenate([labels for _, labels in batches(dataset)])


def shuffled_labels(lesson, x, y, seed):
    """The order make_dataset(shuffle=True, seed=seed) gives, as labels."""
    return labels_in_order(lesson.make_dataset(x, y, batch_size=50, shuffle=True, seed=seed))


@pytest.mark.todo(1)
def test_split_validation(lesson):
    """split_validation(): the last validation_size examples for validation, the rest for fitting"""
    images, labels = np.arange(20).reshape(10, 2), np.arange(100, 110)
    result = lesson.split_validation(images, labels, validation_size=3)
    expect(
        isinstance(result, tuple) and len(result) == 4,
        "split_validation() should return four arrays",
        expected="(x_fit, y_fit, x_val, y_val)",
        found=describe(result),
    )
    x_fit, y_fit, x_val, y_val = (np.asarray(part) for part in result)
    expect(
        np.array_equal(x_val, images[7:]) and np.array_equal(y_val, labels[7:]),
        "the validation set should be the last 3 of 10 examples",
        expected=f"labels {labels[7:].tolist()}",
        found=f"labels {y_val.tolist()}",
        hint="What does labels[-3:] hold, and labels[:-3]?",
    )
    expect(
        np.array_equal(x_fit, images[:7]) and np.array_equal(y_fit, labels[:7]),
        "the fitting set should be everything before the validation set, in order",
        expected=f"labels {labels[:7].tolist()}",
        found=f"labels {y_fit.tolist()}",
    )
    for size in (1, 9):
        parts = lesson.split_validation(images, labels, validation_size=size)
        expect(
            isinstance(parts, tuple) and len(parts) == 4 and len(parts[3]) == size,
            f"validation_size={size} is allowed (1 to len - 1)",
            expected=f"{size} validation examples",
            found=describe(parts),
        )
    for bad in (0, 10):
        try:
            lesson.split_validation(images, labels, validation_size=bad)
        except ValueError:
            continue
        expect(
            False,
            f"validation_size={bad} leaves nothing to fit or to validate on",
            expected="ValueError",
            found="no error",
        )


@pytest.mark.todo(2)
def test_dataset_batches(lesson, train_slice):
    """make_dataset() gives (images, labels) batches of the requested size"""
    x, y = train_slice[0][:150], train_slice[1][:150]
    found = batches(lesson.make_dataset(x, y, batch_size=64))
    sizes = [len(images) for images, _ in found]
    expect(
        sizes == [64, 64, 22],
        "150 examples in batches of 64",
        expected=[64, 64, 22],
        found=sizes,
        hint="Did you call .batch(batch_size)?",
    )
    expect(
        found[0][0].shape == (64, 28, 28, 1) and found[0][1].shape == (64, 10),
        "wrong batch shapes",
        expected="(64, 28, 28, 1) and (64, 10)",
        found=f"{found[0][0].shape} and {found[0][1].shape}",
    )
    expect(
        np.array_equal(np.concatenate([b for b, _ in found]), x),
        "without shuffle the examples keep their order",
        expected="the images in order",
        found="a different order",
    )


@pytest.mark.todo(2)
def test_dataset_shuffles_with_seed(lesson, train_slice):
    """make_dataset(shuffle=True) shuffles every example, the same way for the same seed"""
    x, y = train_slice[0][:300], train_slice[1][:300]
    first = shuffled_labels(lesson, x, y, seed=3)
    again = shuffled_labels(lesson, x, y, seed=3)
    expect(
        not np.array_equal(first, y),
        "shuffle=True should change the order",
        expected="a new order",
        found="the original order",
        hint="Does the dataset call .shuffle(...) when shuffle is true, and before .batch()?",
    )
    expect(
        np.array_equal(np.sort(first.argmax(1)), np.sort(y.argmax(1))),
        "shuffling must keep every example exactly once",
        expected="the same 300 labels",
        found="some missing or repeated",
        hint="The shuffle buffer should hold the whole set: len(images).",
    )
    expect(
        np.array_equal(first, again),
        "the same seed should give the same order",
        expected="identical orders",
        found="different orders",
        hint="Is the seed argument passed on to .shuffle()?",
    )


def numbered_uint8(count):
    """``count`` 28 x 28 uint8 images (MNIST's own type), each carrying its number in its first two pixels."""
    images = np.zeros((count, 28, 28, 1), dtype="uint8")
    images[:, 0, 0, 0], images[:, 0, 1, 0] = np.arange(count) // 256, np.arange(count) % 256
    return images, np.eye(10, dtype="float32")[np.arange(count) % 10]


def numbered(count):
    """``count`` images whose pixels are their own number, with one-hot labels: each can be told apart."""
    numbers = np.arange(count, dtype="float32")
    images = np.broadcast_to(numbers[:, None, None, None], (count, 28, 28, 1)).copy()
    return images, np.eye(10, dtype="float32")[np.arange(count) % 10]


@pytest.mark.todo(2)
def test_dataset_mixes_the_whole_set(lesson):
    """make_dataset(shuffle=True) mixes examples across the whole set, not within batches or a small window"""
    images, labels = numbered(3000)  # more than a round buffer size (1,000) that is smaller than the set
    found = batches(lesson.make_dataset(images, labels, batch_size=50, shuffle=True, seed=3))
    first = sorted(int(number) for number in found[0][0][:, 0, 0, 0])
    expect(
        first != list(range(first[0], first[0] + len(first))),
        "the first batch should mix examples from all over the set",
        expected="50 examples drawn from all 3,000",
        found=f"examples {first[0]} to {first[-1]}, together as in the original order",
        hint="Shuffle the examples, then batch them: .shuffle() after .batch() moves whole batches.",
    )
    expect(
        first[-1] >= 1500,
        "the shuffle buffer should hold the whole set: the first batch can hold any example",
        expected="some examples from the second half (1,500-2,999) in the first batch",
        found=f"the first batch drawn from examples {first[0]} to {first[-1]} only",
        hint="A buffer smaller than the set (batch_size, or a round 1,000) only mixes neighbours: how many "
        "examples does .shuffle(buffer) mix?",
    )
    count = int(np.random.default_rng().integers(60_001, 70_000))  # above any round number typed in; new each run
    images, labels = numbered_uint8(count)
    x, _ = next(iter(lesson.make_dataset(images, labels, batch_size=50, shuffle=True, seed=3)))
    x = np.asarray(x).astype(int)
    numbers = x[:, 0, 0, 0] * 256 + x[:, 0, 1, 0]
    expect(
        numbers.max() >= count // 2,
        f"the shuffle buffer should hold the whole set, however large: {count:,} examples here",
        expected=f"some examples from the second half ({count // 2:,}-{count - 1:,}) in the first batch",
        found=f"the first batch drawn from examples {numbers.min():,} to {numbers.max():,} only",
        hint="A number typed in is the whole set only for sets smaller than it: the training set has 55,000 "
        "examples. Which buffer holds every set, however large?",
    )


@pytest.mark.todo(2)
def test_dataset_reshuffles_each_epoch(lesson, train_slice):
    """make_dataset(shuffle=True): a new order every epoch, and another order for another seed"""
    x, y = train_slice[0][:300], train_slice[1][:300]
    dataset = lesson.make_dataset(x, y, batch_size=50, shuffle=True, seed=3)
    epoch_one = labels_in_order(dataset)
    epoch_two = labels_in_order(dataset)
    expect(
        not np.array_equal(epoch_one, epoch_two),
        "each pass over the dataset (each epoch) should see a new order",
        expected="two passes in two different orders",
        found="the same order twice",
        hint=(
            "Which step keeps the first order for every epoch? .cache() after .shuffle() stores the order it saw "
            "first (cache before shuffling), and reshuffle_each_iteration=False switches the new orders off."
        ),
    )
    other = shuffled_labels(lesson, x, y, seed=4)
    expect(
        not np.array_equal(epoch_one, other),
        "another seed should give another order",
        expected="seed=3 and seed=4 in different orders",
        found="the same order",
        hint="Is the seed argument passed on to .shuffle(), or a number typed in?",
    )


def drive_early_stopping(callback, val_losses, losses) -> dict:
    """Run the learner's callback through epochs whose validation (and training) losses are given, on a one-weight
    model whose weight during epoch e is e, as Keras's fit would call it: when did it stop training, and whose
    weights does the model hold at the end? (Driven from here, one call at a time.)"""
    model = given.one_weight_model()
    callback.method("set_model", model)
    callback.method("on_train_begin")
    stopped = None
    layer = model.layers[0]
    for epoch, (val_loss, loss) in enumerate(zip(val_losses, losses)):
        layer.method("set_weights", [np.full((1, 1), float(epoch + 1), dtype="float32")])
        logs = {"loss": float(loss), "val_loss": float(val_loss), "accuracy": 0.5, "val_accuracy": 0.5}
        callback.method("on_epoch_end", epoch, logs)
        if model.stop_training:
            stopped = epoch + 1
            break
    callback.method("on_train_end")
    return {
        "stopped_after": stopped,
        "weights_of_epoch": round(float(np.asarray(layer.method("get_weights")[0])[0, 0])),
    }


@pytest.mark.todo(3)
def test_early_stopping(lesson):
    """early_stopping(): stops `patience` epochs after the lowest validation loss, and puts that epoch's weights back"""
    # A run whose training loss keeps falling while the validation loss is lowest at epoch 3, then rises.
    val_losses = [0.9, 0.6, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85]
    losses = [0.9 - 0.07 * epoch for epoch in range(len(val_losses))]
    for patience in (3, 5):
        callback = lesson.early_stopping(patience=patience)
        expect(
            is_a(callback, "keras.callbacks.EarlyStopping"),
            "early_stopping() should return Keras's EarlyStopping callback",
            expected="keras.callbacks.EarlyStopping(...)",
            found=describe(callback),
        )
        run = drive_early_stopping(callback, val_losses, losses)
        expect(
            run["stopped_after"] == 3 + patience,
            f"early_stopping(patience={patience}), on a run whose validation loss is lowest at epoch 3 "
            "while the training loss keeps falling",
            expected=f"training stopped after epoch {3 + patience}: {patience} epochs without a lower validation loss",
            found="no stop" if run["stopped_after"] is None else f"a stop after epoch {run['stopped_after']}",
            hint="Which loss does it watch, does it count a fall as the improvement, and is `patience` used?",
        )
        expect(
            run["weights_of_epoch"] == 3,
            "when it stops, the best epoch's weights should come back",
            expected="the weights of epoch 3 (the lowest validation loss)",
            found=f"the weights of epoch {run['weights_of_epoch']}",
            hint="Which argument of EarlyStopping puts the best weights back?",
        )
    # Curves as MNIST draws them late in training: improvements of a few thousandths, a plateau, noise. New each run.
    draw = np.random.default_rng()
    for _ in range(3):
        patience = int(draw.integers(2, 6))
        falling = 0.08 - np.cumsum(draw.uniform(0.0003, 0.004, int(draw.integers(4, 9))))
        after = falling.min() + draw.uniform(0.0, 0.003, patience + 3)
        val_losses = [round(float(value), 5) for value in np.concatenate([falling, after])]
        stop, best = keras_stop(val_losses, patience)
        run = drive_early_stopping(lesson.early_stopping(patience=patience), val_losses, [0.1] * len(val_losses))
        expect(
            (run["stopped_after"], run["weights_of_epoch"]) == (stop, best),
            f"early_stopping(patience={patience}) on a validation loss that falls by thousandths, as MNIST's does",
            expected=f"a stop after epoch {stop} with the weights of epoch {best} (validation losses {val_losses})",
            found=("no stop" if run["stopped_after"] is None else f"a stop after epoch {run['stopped_after']}")
            + f" with the weights of epoch {run['weights_of_epoch']}",
            hint="Any fall of the validation loss, however small, is an improvement here: does EarlyStopping get "
            "an option (min_delta, baseline, start_from_epoch, ...) that the TODO does not ask for?",
        )


def keras_stop(val_losses, patience):
    """When EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True) stops on these
    validation losses, and which epoch's weights it keeps (epochs from 1): Keras's rule, computed here."""
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, value in enumerate(val_losses, 1):
        if value < best:
            best, best_epoch, wait = value, epoch, 0
            continue
        wait += 1
        if wait >= patience:
            return epoch, best_epoch
    return None, len(val_losses)  # no stop: the last epoch's weights stay


def metrics_of(trained):
    """history.history of what train_model returned, or a clear failure."""
    history = getattr(trained.history, "history", None)
    expect(
        isinstance(history, dict),
        "train_model() should return what model.fit returns",
        expected="a keras History",
        found=describe(trained.history),
        hint="What does model.fit return, and does train_model return it?",
    )
    return history


@pytest.mark.todo(4)
def test_history_has_every_metric(trained):
    """train_model() returns a History with loss, accuracy and validation metrics per epoch"""
    history = metrics_of(trained)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        values = history.get(key)
        expect(
            values is not None,
            f"the history has no {key!r}",
            expected=f"{key!r} in history.history",
            found=sorted(history),
            hint="val_ metrics appear when you pass validation_data to fit.",
        )
        expect(
            len(values) == EPOCHS,
            f"{key!r} should have one value per epoch",
            expected=EPOCHS,
            found=len(values),
        )


@pytest.mark.todo(4)
def test_epochs_and_batch_size(trained):
    """it trains for the epochs and batch size it is given"""
    metrics_of(trained)
    params = getattr(trained.history, "params", {}) or {}
    expect(
        params.get("epochs") == EPOCHS,
        "wrong number of epochs",
        expected=EPOCHS,
        found=params.get("epochs"),
        hint="Is the epochs argument passed on to fit, or a number typed in?",
    )
    steps = math.ceil(2000 / BATCH_SIZE)
    expect(
        params.get("steps") == steps,
        "wrong number of steps per epoch for 2,000 images",
        expected=f"{steps} (batches of {BATCH_SIZE})",
        found=params.get("steps"),
        hint="Use the batch_size argument, not a number typed in.",
    )


@pytest.mark.todo(4)
def test_loss_goes_down(trained):
    """the training loss goes down"""
    losses = metrics_of(trained).get("loss") or [0.0]
    expect(
        losses[-1] < losses[0],
        "the loss should fall from the first epoch to the last",
        expected=f"below {losses[0]:.3f}",
        found=f"{losses[-1]:.3f}",
    )


@pytest.mark.todo(4)
def test_progress_bar_is_shown(trained):
    """Keras's progress bar stays visible"""
    expect(
        f"Epoch 1/{EPOCHS}" in trained.printed and "val_accuracy" in trained.printed,
        "training should show Keras's progress bar",
        expected=f"'Epoch 1/{EPOCHS}' and the validation accuracy in the output",
        found=repr(trained.printed[:80]),
        hint="Is the verbose argument passed on to fit?",
    )


@contextlib.contextmanager
def working_in(place):
    """The learner's code runs in ``place`` (a folder in its world) for the time of the ``with``."""
    before = given.working_folder(place)
    try:
        yield place
    finally:
        given.working_folder(before)


def scrambled(val_slice):
    """The validation images with their labels shuffled: a model can only guess them (about 10% right)."""
    images, labels = val_slice
    return images, labels[np.random.default_rng(11).permutation(len(labels))]


class EpochCounter(StandIn):
    """A Keras callback that counts the epochs it is told about."""

    kind = "keras_callback"
    methods = ("on_epoch_end",)

    def __init__(self):
        self.epochs = 0

    def answer(self, method, args, kwargs):
        self.epochs += 1
        return Answer()


@pytest.fixture(scope="module")
def quiet_run(lesson, train_slice, val_slice, make_tiny_model):
    """One more short run, with verbose=0, a callback that counts the epochs it sees, and a validation set whose
    labels are scrambled (so the validation accuracy says which data the run measured on)."""
    counter = EpochCounter()
    printed = io.StringIO()
    with working_in(folder("quiet")) as place, contextlib.redirect_stdout(printed):
        history = lesson.train_model(
            make_tiny_model(),
            train_slice[0][:600],
            train_slice[1][:600],
            *scrambled(val_slice),
            epochs=3,
            batch_size=60,
            model_path=None,
            seed=2,
            verbose=0,
            callbacks=[counter],
        )
    return SimpleNamespace(
        printed=printed.getvalue(),
        epochs_seen=counter.epochs,
        files=sorted(path.name for path in place.iterdir()),
        history=getattr(history, "history", None),
    )


@pytest.mark.todo(4)
def test_verbose_and_callbacks_are_passed_on(quiet_run):
    """train_model() passes verbose and callbacks on to fit, and saves nothing when model_path is None"""
    expect(
        quiet_run.epochs_seen == 3,
        "callbacks should reach model.fit: Keras calls them after every epoch",
        expected="a callback called after each of 3 epochs",
        found=f"called {quiet_run.epochs_seen} times",
        hint="Does fit get callbacks=list(callbacks)?",
    )
    expect(
        "Epoch" not in quiet_run.printed,
        "train_model(verbose=0) should train without a progress bar",
        expected="nothing printed",
        found=repr(quiet_run.printed[:80]),
        hint="Is verbose passed to fit as verbose=verbose?",
    )
    expect(
        not quiet_run.files,
        "train_model(model_path=None) should train without saving a file",
        expected="no file written",
        found=quiet_run.files[:3],
        hint="Is the model saved only when model_path is not None?",
    )


@pytest.mark.todo(4)
def test_validation_measures_the_validation_set(quiet_run):
    """train_model() measures on the validation set it is given, never on the data it fits"""
    metrics = quiet_run.history or {}
    seen, fitted = metrics.get("val_accuracy") or [1.0], metrics.get("accuracy") or [0.0]
    expect(
        seen[-1] < 0.35 and fitted[-1] > seen[-1] + 0.2,
        "with a validation set whose labels were scrambled, the validation accuracy should stay near 10%",
        expected="val_accuracy near 0.1 while the training accuracy climbs",
        found=f"val_accuracy {seen[-1]:.2f}, accuracy {fitted[-1]:.2f}",
        hint="Which data does fit get as validation_data: the validation set, or the training data?",
    )


@pytest.fixture(scope="module")
def seeded_runs(lesson, train_slice, val_slice, make_tiny_model):
    """Three one-epoch runs from the same starting weights: seeds 1, 1 and 2 (the losses they end with)."""
    losses = []
    for seed in (1, 1, 2):
        with contextlib.redirect_stdout(io.StringIO()):
            history = lesson.train_model(
                make_tiny_model(),
                train_slice[0][:400],
                train_slice[1][:400],
                *val_slice,
                epochs=1,
                batch_size=40,
                model_path=None,
                seed=seed,
                verbose=0,
            )
        losses.append(float((getattr(history, "history", None) or {}).get("loss", [np.nan])[-1]))
    return losses


@pytest.mark.todo(4)
def test_the_seed_decides_the_order(seeded_runs):
    """train_model(seed=...) trains on its seeded dataset: the same seed repeats a run, another seed changes it"""
    same, again, other = seeded_runs
    expect(
        abs(same - again) < 1e-5,
        "two runs with the same seed, from the same weights, should end with the same loss",
        expected=f"{same:.5f} twice",
        found=f"{same:.5f} and {again:.5f}",
        hint="Does fit train on make_dataset(..., seed=seed), the pipeline that shuffles with the seed?",
    )
    expect(
        abs(same - other) > 1e-4,
        "another seed should shuffle the training examples into another order (and end with another loss)",
        expected="a different loss for seed=2",
        found=f"{other:.5f} for seed=2, as for seed=1",
        hint="Does fit get the dataset make_dataset built, or the raw arrays (which it shuffles its own way)?",
    )


@pytest.mark.todo(4)
def test_model_saved_as_hdf5(trained):
    """the model is saved as an HDF5 file at model_path"""
    expect(
        trained.path.is_file(),
        "no model file was saved",
        expected=f"a file at model_path ({trained.path.name})",
        found="nothing",
        hint="Which method of the model writes it to a file, and is it given model_path?",
    )
    header = trained.path.read_bytes()[:8]
    expect(
        header == HDF5_SIGNATURE,
        "the saved file is not HDF5",
        expected="an HDF5 (.h5) file",
        found=f"a file starting with {header!r}",
    )


@pytest.mark.todo(4)
def test_saved_model_predicts_the_same(trained, val_slice):
    """the saved file reloads and gives identical predictions"""
    expect(
        trained.path.is_file(),
        "no model file was saved",
        expected="a file at model_path",
        found="nothing",
    )
    images = val_slice[0][:64]
    original = np.asarray(trained.model(images, training=False))
    again = judge.predict_saved_model(trained.path.read_bytes(), images)  # a process that never ran your code
    gap = float(np.abs(original - again).max())
    expect(
        gap < 1e-6,
        "the reloaded model predicts differently",
        expected="identical predictions",
        found=f"differences up to {gap:.2g}",
        hint="Save after training, not before.",
    )


def history_of(**metrics):
    return SimpleNamespace(history={key: list(values) for key, values in metrics.items()})


@pytest.mark.todo(5)
def test_best_epoch(lesson):
    """best_epoch(): the epoch (counting from 1) with the lowest validation loss"""
    cases = (
        ([0.9, 0.5, 0.4, 0.45, 0.6], [0.8, 0.5, 0.3, 0.2, 0.1], 3),
        ([0.3, 0.4, 0.5], [0.3, 0.2, 0.1], 1),
        ([0.7, 0.6, 0.6, 0.8], [0.9, 0.8, 0.7, 0.6], 2),
    )
    for val_loss, loss, wanted in cases:
        found = lesson.best_epoch(history_of(loss=loss, val_loss=val_loss))
        expect(
            found == wanted,
            f"for validation losses {val_loss}, the best epoch is {wanted}",
            expected=wanted,
            found=describe(found),
            hint="Epochs count from 1; the training loss keeps falling, so read val_loss. Ties: the first.",
        )


@pytest.fixture(scope="module")
def overfitting(lesson, train_slice, val_slice, make_tiny_model):
    """The overfitting experiment in small: the fixture CNN (no dropout) on 300 digits for 12 epochs."""
    given.set_seed(4)
    x, y = train_slice
    with contextlib.redirect_stdout(io.StringIO()):
        return lesson.train_model(
            make_tiny_model(),
            x[:300],
            y[:300],
            *val_slice,
            epochs=12,
            batch_size=32,
            model_path=None,
            seed=4,
            verbose=0,
        )


@pytest.mark.todo(4, 5)
def test_overfitting_experiment(lesson, overfitting):
    """the overfitting experiment: your best_epoch() finds where your own run's validation loss bottoms out"""
    history = metrics_of(SimpleNamespace(history=overfitting))
    val_loss = history.get("val_loss") or []
    expect(
        len(val_loss) == 12,
        "the run should record 12 epochs of validation loss",
        expected=12,
        found=len(val_loss),
    )
    wanted = int(np.argmin(val_loss)) + 1
    found = lesson.best_epoch(overfitting)
    expect(
        found == wanted,
        "best_epoch() should point at your run's lowest validation loss",
        expected=f"epoch {wanted} ({min(val_loss):.3f})",
        found=describe(found),
    )


class Builder(StandIn):
    """A ``build_model(learning_rate)`` for the sweep: the fixture CNN, compiled with the rate it is asked for."""

    def __init__(self):
        self.calls = []

    def answer(self, method, args, kwargs):
        rate = kwargs.get("learning_rate", args[0] if args else 1.0)
        self.calls.append(rate)
        return Answer(make=Make("compiled_tiny_model", (rate,)))


@pytest.fixture(scope="module")
def sweep(lesson, train_slice, val_slice):
    """The learner's learning_rate_sweep, in small: two rates, 3 epochs of batch 50 on 1,000 digits.

    Its validation labels are scrambled, so the validation accuracy says which data each run was measured on."""
    build_model = Builder()  # the fixture CNN, compiled with the rate it is asked for; remembers the rates
    x, y = train_slice
    printed = io.StringIO()
    with working_in(folder("sweep")) as place, contextlib.redirect_stdout(printed):
        histories = lesson.learning_rate_sweep(
            build_model, (0.001, 1.0), x[:1000], y[:1000], *scrambled(val_slice), epochs=3, batch_size=50
        )
    return SimpleNamespace(
        histories=histories,
        calls=build_model.calls,
        printed=printed.getvalue(),
        files=sorted(path.name for path in place.iterdir()),
    )


@pytest.mark.todo(6)
def test_learning_rate_sweep(sweep):
    """learning_rate_sweep(): a fresh model per rate, trained quietly as asked, histories by rate"""
    expect(
        isinstance(sweep.histories, dict),
        "learning_rate_sweep() should return a dict",
        expected="{rate: History}",
        found=describe(sweep.histories),
    )
    expect(
        list(sweep.histories) == [0.001, 1.0],
        "one History per rate, keyed by the rate, in order",
        expected=[0.001, 1.0],
        found=list(sweep.histories),
    )
    expect(
        sweep.calls == [0.001, 1.0],
        "build a new model for every rate, with that rate",
        expected="build_model(learning_rate=0.001), then build_model(learning_rate=1.0)",
        found=f"build_model called with {sweep.calls}",
        hint="Why train a fresh model for each rate?",
    )
    for rate, history in sweep.histories.items():
        values = getattr(history, "history", {}).get("val_loss", [])
        expect(
            len(values) == 3,
            f"the run at rate {rate} should train for the 3 epochs it was given",
            expected=3,
            found=len(values),
            hint="Is the epochs argument passed on?",
        )
        steps = (getattr(history, "params", {}) or {}).get("steps")
        expect(
            steps == 20,
            f"the run at rate {rate} should train in batches of 50 (20 steps for 1,000 digits)",
            expected=20,
            found=steps,
            hint="Is the batch_size argument passed on?",
        )
    expect(
        not sweep.printed.strip(),
        "the sweep should train quietly (verbose=0)",
        expected="nothing printed",
        found=repr(sweep.printed[:60]),
    )
    expect(
        not sweep.files,
        "the sweep should save no model files (model_path=None)",
        expected="no files",
        found=sweep.files[:3],
    )
    slow, fast = (min(sweep.histories[rate].history["loss"]) for rate in (0.001, 1.0))
    expect(
        fast < slow,
        "at rate 1.0 the model should learn much faster than at 0.001 (lesson 3's trap)",
        expected=f"a lower training loss at 1.0 than {slow:.3f}",
        found=f"{fast:.3f}",
    )
    learned = sweep.histories[1.0].history
    expect(
        learned["val_accuracy"][-1] < 0.35 and learned["accuracy"][-1] > learned["val_accuracy"][-1] + 0.2,
        "each rate should be measured on the validation set the sweep is given (its labels were scrambled here)",
        expected="a validation accuracy near 10% while the training accuracy climbs",
        found=f"val_accuracy {learned['val_accuracy'][-1]:.2f}, accuracy {learned['accuracy'][-1]:.2f}",
        hint=(
            "Does learning_rate_sweep hand x_val and y_val to train_model, and does train_model (TODO 4) "
            "validate on them, or on the digits it fits? If a train_model check failed above, fix that first."
        ),
    )


@pytest.mark.todo(7)
def test_best_learning_rate(lesson, sweep):
    """best_learning_rate(): the rate whose run reached the lowest validation loss"""
    runs = {
        0.1: history_of(val_loss=[0.9, 0.7]),
        1.0: history_of(val_loss=[0.5, 0.4]),
        3.0: history_of(val_loss=[0.35, 0.8]),
    }
    found = lesson.best_learning_rate(runs)
    expect(
        found == 3.0,
        "the best rate is the one whose lowest validation loss is the lowest",
        expected="3.0 (it reached 0.35, even if it then jumped up)",
        found=describe(found),
        hint="Compare each run's lowest val_loss, not its last one.",
    )
    found = lesson.best_learning_rate({2: history_of(val_loss=[0.3]), 5: history_of(val_loss=[0.6])})
    expect(
        found == 2,
        "best_learning_rate() should return the rate itself",
        expected=2,
        found=describe(found),
    )
    if isinstance(sweep.histories, dict) and sweep.histories:
        wanted = min(sweep.histories, key=lambda rate: min(sweep.histories[rate].history["val_loss"]))
        expect(
            lesson.best_learning_rate(sweep.histories) == wanted,
            "on your own sweep, best_learning_rate() should pick its best run",
            expected=wanted,
            found=lesson.best_learning_rate(sweep.histories),
        )


@pytest.fixture
def curves(lesson, outputs):
    history = SimpleNamespace(
        history={
            "loss": [0.9, 0.5, 0.3, 0.2],
            "val_loss": [0.7, 0.45, 0.35, 0.33],
            "accuracy": [0.7, 0.85, 0.91, 0.94],
            "val_accuracy": [0.8, 0.88, 0.9, 0.91],
        }
    )
    path = outputs / "curves.png"
    fig = lesson.plot_history(history, path)
    yield history.history, fig, path
    given.close_figures()


@pytest.mark.todo(8)
def test_curves_saved_as_png(curves):
    """plot_history() saves a real PNG file, with the curves on it"""
    _, _, path = curves
    expect(
        path.is_file(),
        "plot_history() should save the figure",
        expected=f"a file at {path.name}",
        found="no file",
        hint="Which method of the figure writes it to a file?",
    )
    header = path.read_bytes()[:8]
    expect(
        header == b"\x89PNG\r\n\x1a\n",
        "the saved file is not a PNG",
        expected="a PNG file",
        found=f"a file starting with {header!r}",
    )
    facts = judge.image_facts(path.read_bytes())  # a process that never ran your code looks at the picture
    expect(
        facts["colour"] > 0.002,
        "the saved picture shows no curves",
        expected="coloured lines on two plots",
        found="no colour at all: empty plots",
        hint="Is the figure saved after the lines are drawn, or right after plt.subplots?",
    )


@pytest.mark.todo(8)
def test_curves_show_train_and_validation(curves):
    """the learning curves show loss and accuracy, train and validation"""
    metrics, fig, _ = curves
    expect(
        isinstance(fig, FigureView),
        "plot_history() should return the Figure",
        expected="a matplotlib Figure",
        found=describe(fig),
    )
    plotted = [list(np.round(line.get_ydata(), 6)) for ax in fig.axes for line in ax.get_lines()]
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        expect(
            list(np.round(metrics[key], 6)) in plotted,
            f"no line shows history[{key!r}]",
            expected=f"a line with the {key} values",
            found=f"{len(plotted)} lines",
        )
    expect(
        len([ax for ax in fig.axes if ax.get_lines()]) >= 2,
        "loss and accuracy belong on separate axes",
        expected="2 axes with lines",
        found=len([ax for ax in fig.axes if ax.get_lines()]),
    )
    expect(
        all(ax.get_legend() is not None for ax in fig.axes if ax.get_lines()),
        "each plot needs a legend saying which line is which",
        expected="ax.legend() on both",
        found="a plot without a legend",
    )
    expect(
        len(fig.axes) == 2,
        "the figure should hold exactly the two plots",
        expected="plt.subplots(1, 2)",
        found=f"{len(fig.axes)} axes",
    )
    plotted_axes = sorted((ax for ax in fig.axes if ax.get_lines()), key=lambda ax: ax.get_position().x0)
    left, right = plotted_axes[0], plotted_axes[-1]
    expect(
        abs(left.get_position().y0 - right.get_position().y0) < 0.05
        and left.get_position().x1 <= right.get_position().x0 + 0.01,
        "the two plots should sit side by side",
        expected="plt.subplots(1, 2): one row, two columns",
        found="one above the other",
    )
    expect(
        list(np.round(metrics["loss"], 6)) in [list(np.round(line.get_ydata(), 6)) for line in left.get_lines()],
        "loss goes on the first (left) plot, accuracy on the second",
        expected="the loss curves on the left",
        found="the accuracy curves on the left",
    )
    for ax in plotted_axes:
        legend = {text.get_text().strip().lower(): None for text in ax.get_legend().get_texts()}
        labels = {line.get_label().strip().lower(): list(np.round(line.get_ydata(), 6)) for line in ax.get_lines()}
        for label, key in (("train", ""), ("validation", "val_")):
            name = "loss" if ax is left else "accuracy"
            expect(
                label in legend and labels.get(label) == list(np.round(metrics[key + name], 6)),
                f"the {name} plot's legend should call the history[{key + name!r}] line {label!r}",
                expected=f"a line labelled {label!r} with the {key + name} values",
                found=f"legend {sorted(legend)}",
                hint="ax.plot(..., label=...) names a line; ax.legend() shows the names.",
            )
        expect(
            "epoch" in ax.get_xlabel().lower(),
            "label the x axis of each plot",
            expected="'epoch'",
            found=repr(ax.get_xlabel()),
        )
    titles = [ax.get_title().strip().lower() for ax in plotted_axes]
    expect(
        any("loss" in title for title in titles) and any("acc" in title for title in titles),
        "give each plot a title that says what it shows",
        expected="titles mentioning 'loss' and 'accuracy'",
        found=titles,
    )
    for ax in plotted_axes:
        for line in ax.get_lines():
            xs = [float(x) for x in line.get_xdata()]
            if len(xs) == len(metrics["loss"]):
                expect(
                    xs == [1.0, 2.0, 3.0, 4.0],
                    "the x axis should count epochs from 1, as Keras prints them",
                    expected="epochs 1, 2, 3, 4",
                    found=f"x values {xs}",
                    hint="ax.plot(values) alone puts them at 0, 1, 2, ...: which x values do you pass?",
                )
