"""
Lesson 4: Train
Feed the preprocessed digits to the CNN batch by batch, watch the loss fall,
keep an eye on validation accuracy, and save the trained model to a file the
web app can load.

Run it with `make run-lesson4` (trains on all of MNIST: a few minutes);
grade it with `make check-lesson4` (a quick run on a small slice).
"""

import numpy as np
import tensorflow as tf
import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


EPOCHS = 8
BATCH_SIZE = 128
SEED = 42
MODEL_PATH = "digit_classifier.h5"
PEAK_LEARNING_RATE = 2.0

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
    # BEGIN TODO 1: Build the pipeline: tf.data.Dataset.from_tensor_slices((images, labels)),
    #   then .cache(); if `shuffle` is true, .shuffle(len(images), seed=seed); then
    #   .batch(batch_size) and .prefetch(tf.data.AUTOTUNE).
    # HINT: Each method returns a new dataset, so you can chain them: dataset = dataset.batch(...).
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
peak down to almost nothing over the whole run. With Adadelta a peak of 2.0
reaches 99.2% test accuracy in about four epochs, where a constant 1.0 needs
about eight. (`make train` builds the lesson 3 model with this schedule.)
"""


def learning_rate_schedule(epochs, steps_per_epoch, peak=PEAK_LEARNING_RATE):
    """Given: a cosine schedule from `peak` down to 2% of it over `epochs` epochs."""
    return keras.optimizers.schedules.CosineDecay(peak, decay_steps=epochs * steps_per_epoch, alpha=0.02)


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
    """Train `model`, save it to `model_path` (HDF5), and return the History.

    `callbacks` are handed to fit: Keras calls them after every batch and epoch
    (keras.callbacks.EarlyStopping, for one, stops when validation stops improving).
    """
    train_data = make_dataset(x_train, y_train, batch_size, shuffle=True, seed=seed)
    val_data = make_dataset(x_val, y_val, batch_size)
    # BEGIN TODO 2: Train with model.fit on train_data for `epochs` epochs, with
    #   validation_data=val_data, verbose=verbose (so the progress bar shows) and
    #   callbacks=list(callbacks), and keep what fit returns in a variable called `history`.
    # HINT: With a tf.data.Dataset, fit takes no y and no batch_size: the dataset already has both.
    history = model.fit(
        train_data, validation_data=val_data, epochs=epochs, verbose=verbose, callbacks=list(callbacks)
    )
    # END TODO
    # BEGIN TODO 3: Save the trained model to `model_path`, then return `history`.
    # HINT: model.save(path) picks the HDF5 format from the ".h5" ending.
    model.save(model_path)
    return history
    # END TODO


"""
## Learning curves

Two panels: loss and accuracy per epoch, for training and validation. Both
curves should improve together; a validation curve that turns back up while
training keeps improving is the classic picture of overfitting.
"""


def plot_history(history, path):
    """Save loss and accuracy curves (train vs validation) as a PNG; return the Figure."""
    # BEGIN TODO 4: Make a figure with two axes side by side (plt.subplots(1, 2)). On the
    #   first plot history.history["loss"] and ["val_loss"], on the second ["accuracy"] and
    #   ["val_accuracy"], with epochs 1, 2, ... on the x axis. Label the lines "train" and
    #   "validation", add a legend and a title to each, save to `path`, return the figure.
    # HINT: history.history is a dict of lists, one number per epoch.
    # HINT: ax.plot(epochs, values, label="train") then ax.legend().
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


def main():
    from course.pipeline import train_pipeline

    train_pipeline(target_dir=__file__, evaluate=False)


if __name__ == "__main__":
    main()
