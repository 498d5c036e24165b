"""
Lesson 4: Train
Hold back digits for validation, feed the rest to the CNN batch by batch,
stop when validation stops improving, and save the model for the web app.
Then two experiments that run in seconds: what overfitting looks like, and
what the learning rate does.

Run it with `make run-lesson4` (the two experiments, then all of MNIST; it says
how long each part took); grade it with `make check-lesson4` (quick runs on
small slices).
"""

import keras
import matplotlib
import numpy as np
import tensorflow as tf

matplotlib.use("Agg")
import matplotlib.pyplot as plt

EPOCHS = 10
BATCH_SIZE = 128
SEED = 42
MODEL_PATH = "digit_classifier.h5"
PEAK_LEARNING_RATE = 2.0
VALIDATION_SIZE = 5_000
PATIENCE = 3
OVERFIT_DIGITS = 500  # experiment 1: so few digits that a CNN can learn them by heart
OVERFIT_EPOCHS = 30  # experiment 1: long enough for the validation loss to turn up, short enough for half a minute
LEARNING_RATES = (0.05, 1.0, 50.0)  # experiment 2: a small, a middling and a large step for Adadelta
SWEEP_EPOCHS = 3

"""
## Validation: digits the model never trains on

The training loss says how well the model fits the digits it is shown; it
says nothing about new ones. So we hold some training digits back and
measure on them after every epoch. Why the *last* ones, and not a random
draw? MNIST's training file has no order that matters, and a fixed split
means every run, yours and the reference, measures on the same digits.
"""


def split_validation(images, labels, validation_size=VALIDATION_SIZE):
    """Hold back the last `validation_size` examples: returns (x_fit, y_fit, x_val, y_val)."""
    # BEGIN TODO 1: Return the examples before the last `validation_size` for fitting, and the last
    #   `validation_size` for validation, images and labels alike. Raise ValueError if
    #   validation_size is not between 1 and len(images) - 1.
    # HINT: What do images[:-n] and images[-n:] hold? Try them on np.arange(10) with n = 3.
    if not 0 < validation_size < len(images):
        raise ValueError(f"validation_size must be between 1 and {len(images) - 1}, found {validation_size}")
    return images[:-validation_size], labels[:-validation_size], images[-validation_size:], labels[-validation_size:]
    # END TODO


"""
## An input pipeline with tf.data

`model.fit(x, y)` works, but a `tf.data.Dataset` lets us say exactly how the
examples flow: slice the arrays into examples, keep them in memory (`cache`),
shuffle the training set afresh each epoch (with a seed, so a run can be
repeated), group them into batches, and `prefetch` the next batch while the
current one is being trained on.
"""


def make_dataset(images, labels, batch_size=BATCH_SIZE, shuffle=False, seed=SEED):
    """Return a tf.data.Dataset of (images, labels) batches."""
    # BEGIN TODO 2: Build a tf.data pipeline that hands the model (images, labels) in batches of
    #   batch_size. With `shuffle`, every epoch must see the whole set in a new order (any example can
    #   land in any batch), and the same seed must give the same orders. The data fit in memory: keep
    #   them there after the first pass, and have the next batch ready while the model trains.
    # HINT: tf.data.Dataset.from_tensor_slices makes a dataset of (image, label) pairs; which methods
    #   cache, shuffle, batch and prefetch, and in which order do they give the promises above?
    # HINT: Each method returns a new dataset rather than changing the old one: what must you do with
    #   what .cache() or .batch() returns?
    # HINT: Shuffle before you batch, or you shuffle whole batches instead of examples.
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache()
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    # END TODO


"""
## A learning-rate schedule

Big steps early cover ground quickly; small steps at the end settle into a
good minimum instead of bouncing around it. A cosine schedule glides from a
peak down to almost nothing over the whole run: with Adadelta, a peak of 2.0
gets as far in a few epochs as a constant 1.0 does in twice as many.
(`make train` builds the lesson 3 model with this schedule.)
"""


def learning_rate_schedule(epochs, steps_per_epoch, peak=PEAK_LEARNING_RATE):
    """Given: a cosine schedule from `peak` down to 2% of it over `epochs` epochs."""
    return keras.optimizers.schedules.CosineDecay(peak, decay_steps=epochs * steps_per_epoch, alpha=0.02)


"""
## Stopping early

More epochs are not always better: once the model starts memorising its
training digits, the validation loss turns back up. Keras's EarlyStopping
callback watches the validation loss after every epoch, stops when it has not
improved for `patience` epochs, and can put back the weights of the best
epoch, so the saved model is the best one seen, not the last.
"""


def early_stopping(patience=PATIENCE):
    """Return a callback that stops training when validation loss stops improving, keeping the best weights."""
    # BEGIN TODO 3: Return a Keras callback that stops training once the validation loss has not
    #   improved for `patience` epochs, and leaves the model with its best epoch's weights, not its last.
    # HINT: Which quantity should it watch, the training loss or the validation loss? Which argument
    #   puts the best epoch's weights back?
    return keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    # END TODO


"""
## Training

One epoch is one pass over the training set. After each epoch Keras measures
the loss and accuracy on the validation set -- images the model never trains
on -- so we can see whether it is learning digits or memorising examples.
The model is then saved in HDF5 (`.h5`), the format the course's app loads.
"""


def train_model(
    model,
    x_train,
    y_train,
    x_val,
    y_val,
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    model_path=MODEL_PATH,
    seed=SEED,
    verbose=1,
    callbacks=(),
):
    """Train `model`, save it to `model_path` (HDF5, or nowhere if None), and return the History.

    `callbacks` are handed to fit: Keras calls them after every batch and epoch
    (early_stopping(), for one).
    """
    train_data = make_dataset(x_train, y_train, batch_size, shuffle=True, seed=seed)
    val_data = make_dataset(x_val, y_val, batch_size)
    # BEGIN TODO 4: Train the model on train_data for `epochs` epochs, measuring it on val_data after
    #   every epoch, with the callbacks it is given and the progress shown as `verbose` says. Then,
    #   unless model_path is None, save it there (the name ends in .h5: the format the app loads), and
    #   return the record of the run that training gives back.
    # HINT: A tf.data.Dataset already holds the labels and the batches: which of fit's arguments does
    #   that leave you to pass?
    # HINT: Which method of a Keras model writes it to a file, and what tells it to use HDF5?
    history = model.fit(train_data, validation_data=val_data, epochs=epochs, verbose=verbose, callbacks=list(callbacks))
    if model_path is not None:
        model.save(model_path)
    return history
    # END TODO


"""
## Experiment 1: overfitting, in seconds

Train a CNN on only 500 digits for 30 epochs: it can memorise them. The
training loss keeps falling; the validation loss falls, bottoms out, and turns
back up. The epoch where it is lowest is where the model generalised best, and
what early stopping keeps. Your CNN runs beside a copy that differs in dropout
alone, so the picture shows what dropout changes.
"""


def best_epoch(history):
    """The epoch (1, 2, ...) whose validation loss was the lowest; the first one if several tie."""
    # BEGIN TODO 5: Look at history.history["val_loss"] and return the number of the epoch (counting
    #   from 1, as Keras prints them) where it is lowest.
    # HINT: np.argmin gives a position counting from 0: what do you add to count epochs from 1?
    return int(np.argmin(history.history["val_loss"])) + 1
    # END TODO


"""
## Experiment 2: the learning rate

Too small a learning rate and the loss hardly moves (lesson 3's trap); too
large and it jumps around or blows up. A sweep trains the same model from
scratch with a few rates for a couple of epochs each and keeps the one with
the lowest validation loss.
"""


def learning_rate_sweep(build_model, rates, x_fit, y_fit, x_val, y_val, epochs=2, batch_size=BATCH_SIZE):
    """Train a fresh model for each rate; return {rate: History}, in the order of `rates`."""
    # BEGIN TODO 6: For each rate in `rates`, build a new model with build_model(learning_rate=rate),
    #   train it with train_model for `epochs` epochs of `batch_size` (quietly: verbose=0, and no
    #   file: model_path=None), and keep its History under its rate in a dict.
    # HINT: Why a new model for every rate, rather than training the same one on?
    histories = {}
    for rate in rates:
        model = build_model(learning_rate=rate)
        histories[rate] = train_model(
            model, x_fit, y_fit, x_val, y_val, epochs=epochs, batch_size=batch_size, model_path=None, verbose=0
        )
    return histories
    # END TODO


def best_learning_rate(histories):
    """The rate whose run reached the lowest validation loss."""
    # BEGIN TODO 7: Return the key of `histories` whose History has the smallest val_loss (the lowest
    #   value it reached in any epoch).
    # HINT: min(histories, key=...) picks a key by a number you compute for each key. Which number?
    return min(histories, key=lambda rate: min(histories[rate].history["val_loss"]))
    # END TODO


"""
## Learning curves

Two panels: loss and accuracy per epoch, for training and validation. Both
curves should improve together; a validation curve that turns back up while
training keeps improving is the classic picture of overfitting.
"""


def plot_history(history, path):
    """Save loss and accuracy curves (train vs validation) as a PNG; return the Figure."""
    # BEGIN TODO 8: Make a figure with two axes side by side (plt.subplots(1, 2)). On the
    #   first plot history.history["loss"] and ["val_loss"], on the second ["accuracy"] and
    #   ["val_accuracy"], with epochs 1, 2, ... on the x axis (labelled "epoch"). Label the lines
    #   "train" and "validation", add a legend and a title to each, save to `path`, return the figure.
    # HINT: history.history is a dict of lists, one number per epoch.
    # HINT: Given only the values, what does ax.plot put on the x axis? Which argument of ax.plot
    #   names a line, and which call shows the names?
    metrics = history.history
    epochs = np.arange(1, len(metrics["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, name in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, metrics[name], "o-", label="train")
        ax.plot(epochs, metrics[f"val_{name}"], "o-", label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_xticks(epochs)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    return fig
    # END TODO


def plot_runs(histories, path, title):
    """Given: the validation loss of several runs in one plot, each labelled by its key."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, history in histories.items():
        values = history.history["val_loss"]
        ax.plot(np.arange(1, len(values) + 1), values, "o-", label=str(name))
    ax.set_xlabel("epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("validation loss")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def run_experiments(build_model, verbose=True, overfit_digits=OVERFIT_DIGITS, rates=LEARNING_RATES):
    """Given: the two experiments on a fixed subset of MNIST (the first 10,000 digits), each in seconds."""
    import time

    from course.helpers import dropout_pair, load_preprocessed, output_path, sweep_verdicts

    (x_fit, y_fit), (x_val, y_val) = load_preprocessed(train_size=10_000, validation_size=2_000)
    started = time.perf_counter()
    pair, compared = dropout_pair(build_model)
    runs = {}
    for name, build in pair:
        keras.utils.set_random_seed(SEED)
        runs[name] = train_model(
            build(),
            x_fit[:overfit_digits],
            y_fit[:overfit_digits],
            x_val,
            y_val,
            epochs=OVERFIT_EPOCHS,
            batch_size=32,
            model_path=None,
            verbose=0,
        )
    overfit_path = plot_runs(
        runs, output_path("lesson04_overfitting.png"), f"{overfit_digits:,} training digits, {OVERFIT_EPOCHS} epochs"
    )
    overfit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    keras.utils.set_random_seed(SEED)
    sweep = learning_rate_sweep(build_model, rates, x_fit, y_fit, x_val, y_val, epochs=SWEEP_EPOCHS)
    sweep_path = plot_runs(
        {f"learning rate {rate:g}": history for rate, history in sweep.items()},
        output_path("lesson04_learning_rates.png"),
        f"10,000 training digits, {SWEEP_EPOCHS} epochs per rate",
    )
    sweep_seconds = time.perf_counter() - started
    best = best_learning_rate(sweep)
    if verbose:
        print(f"Experiment 1, overfitting ({overfit_seconds:.0f} s): {compared}, {overfit_digits:,} digits.")
        for name, history in runs.items():
            losses = history.history["val_loss"]
            lowest = best_epoch(history)
            print(
                f"  {name + ':':17} validation loss lowest at epoch {lowest} of {OVERFIT_EPOCHS} "
                f"({losses[lowest - 1]:.2f}), then {losses[-1]:.2f} at the end"
                + (": still falling, no overfitting shows in this run" if lowest == len(losses) else "")
            )
        print(f"  Plot: {overfit_path}")
        print(f"Experiment 2, learning rates ({sweep_seconds:.0f} s), {SWEEP_EPOCHS} epochs each: best {best:g}")
        for rate, verdict in sweep_verdicts(sweep, best).items():
            print(f"  {rate:g}: {verdict}")
        print(f"  Plot: {sweep_path}\n")
    return {"overfitting": runs, "sweep": sweep, "seconds": (overfit_seconds, sweep_seconds), "compared": compared}


def main():
    """Given: the two experiments with your lesson 3 CNN, then the real thing (what make train TARGET=lessons does)."""
    from course.helpers import (
        lesson_modules,
        load_preprocessed,
        load_trained_model,
        save_filter_pictures,
        train_pipeline,
        tried,
    )

    build_model = lesson_modules(__file__).model.build_model
    run_experiments(
        build_model,
        overfit_digits=tried("OVERFIT_DIGITS", OVERFIT_DIGITS),
        rates=tried("LEARNING_RATES", LEARNING_RATES),
    )
    summary = train_pipeline(__file__, evaluate=False)
    _, (x_val, y_val) = load_preprocessed(train_size=1, validation_size=2_000)  # lesson 3's digit, seen again
    digit = int(np.argmax(y_val[0]))
    print(f"\nThe trained CNN's first layer, and what it finds in the same digit as lesson 3's (a {digit}):")
    for path in save_filter_pictures(load_trained_model(summary["model_path"]), x_val[0], "lesson04", label=digit):
        print(f"  saved {path}")


if __name__ == "__main__":
    main()
