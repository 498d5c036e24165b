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
    # TODO 1: Build the pipeline: tf.data.Dataset.from_tensor_slices((images, labels)),
    #   then .cache(); if `shuffle` is true, .shuffle(len(images), seed=seed); then
    #   .batch(batch_size) and .prefetch(tf.data.AUTOTUNE).
    raise NotImplementedError("TODO 1: make_dataset() is not done yet")


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
    # TODO 2: Train with model.fit on train_data for `epochs` epochs, with
    #   validation_data=val_data, verbose=verbose (so the progress bar shows) and
    #   callbacks=list(callbacks), and keep what fit returns in a variable called `history`.
    raise NotImplementedError("TODO 2: train_model() is not done yet")
    # TODO 3: Save the trained model to `model_path`, then return `history`.
    raise NotImplementedError("TODO 3: train_model() is not done yet")


"""
## Learning curves

Two panels: loss and accuracy per epoch, for training and validation. Both
curves should improve together; a validation curve that turns back up while
training keeps improving is the classic picture of overfitting.
"""


def plot_history(history, path):
    """Save loss and accuracy curves (train vs validation) as a PNG; return the Figure."""
    # TODO 4: Make a figure with two axes side by side (plt.subplots(1, 2)). On the
    #   first plot history.history["loss"] and ["val_loss"], on the second ["accuracy"] and
    #   ["val_accuracy"], with epochs 1, 2, ... on the x axis. Label the lines "train" and
    #   "validation", add a legend and a title to each, save to `path`, return the figure.
    raise NotImplementedError("TODO 4: plot_history() is not done yet")


def main():
    from course.pipeline import train_pipeline

    train_pipeline(target_dir=__file__, evaluate=False)


if __name__ == "__main__":
    main()
