"""`make bench-train`: the course's reference model against the keras-io recipe.

Both train on the same MNIST in the same process, taking turns epoch by
epoch (keras-io epoch 1, reference epoch 1, keras-io epoch 2, ...), so that a
shared machine that slows down for a minute slows both down alike. After
every epoch each model's accuracy on the 10,000 test images is measured; that
measurement is left out of the training clock, so "time to 99.2%" is
training time only, counted the same way for both.

The baseline is the keras-io "Simple MNIST convnet" example as published:
Conv(32)-Pool-Conv(64)-Pool-Dropout-Dense(10), Adam, batch 128, 15 epochs,
`validation_split=0.1`. The reference is what `make train` trains: the
solutions' model (lesson 3), tf.data pipeline, batch size, epochs and
Adadelta learning-rate schedule (lesson 4), with 5,000 validation images.

This is a benchmark, not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import datetime
import os
import platform
import tempfile
import time
from pathlib import Path

THRESHOLDS = (0.99, 0.992)


class Contender:
    """One model, trained one epoch at a time, with its own training clock."""

    def __init__(self, name, model, epochs, batch_size, fit_epoch):
        self.name, self.model, self.epochs, self.batch_size = name, model, epochs, batch_size
        self.fit_epoch = fit_epoch  # fit_epoch(epoch) trains exactly one more epoch
        self.seconds = 0.0
        self.records = []

    def train_one_epoch(self, x_test, y_test):
        import numpy as np

        epoch = len(self.records)
        started = time.perf_counter()
        self.fit_epoch(epoch)
        self.seconds += time.perf_counter() - started
        predicted = np.argmax(self.model.predict(x_test, batch_size=2000, verbose=0), axis=1)
        accuracy = float(np.mean(predicted == y_test))
        self.records.append({"epoch": epoch + 1, "seconds": self.seconds, "test_accuracy": accuracy})
        print(
            f"  {self.name:17} epoch {epoch + 1:2d}: {self.seconds:6.1f} s of training, test accuracy {accuracy:.2%}",
            flush=True,
        )


def keras_io_recipe(x_train, y_train):
    """The keras-io 'Simple MNIST convnet' example, as published."""
    import keras
    from keras import layers

    x = x_train.astype("float32") / 255
    x = x.reshape(-1, 28, 28, 1)
    y = keras.utils.to_categorical(y_train, 10)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

    def fit_epoch(epoch):
        model.fit(x, y, batch_size=128, epochs=epoch + 1, initial_epoch=epoch, validation_split=0.1, verbose=0)

    return Contender("keras-io recipe", model, 15, 128, fit_epoch)


def course_reference(x_train, y_train):
    """`make train`'s recipe, from the solutions of lessons 2-4."""
    from course.lessons import tree_path
    from course.pipeline import build_for_training, load_steps, split_validation

    steps = load_steps(tree_path("solutions"))
    train = steps.train
    x_fit, y_fit, x_val, y_val = split_validation(*steps.preprocess.preprocess(x_train, y_train))
    model = build_for_training(steps, train.EPOCHS, train.BATCH_SIZE, len(x_fit))
    train_data = train.make_dataset(x_fit, y_fit, train.BATCH_SIZE, shuffle=True, seed=train.SEED)
    val_data = train.make_dataset(x_val, y_val, train.BATCH_SIZE)

    def fit_epoch(epoch):
        model.fit(train_data, validation_data=val_data, epochs=epoch + 1, initial_epoch=epoch, verbose=0)

    return Contender("course reference", model, train.EPOCHS, train.BATCH_SIZE, fit_epoch)


def first_time(records, threshold):
    for record in records:
        if record["test_accuracy"] >= threshold:
            return record
    return None


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def report(results: list[dict]) -> str:
    lines = []
    header = (
        f"{'':18}{'epochs':>7}{'params':>9}{'train time':>12}"
        + "".join(f"{'to ' + format(t, '.1%'):>18}" for t in THRESHOLDS)
        + f"{'final acc':>11}{'model file':>12}"
    )
    lines.append(header)
    for result in results:
        records = result.records
        cells = f"{result.name:18}{result.epochs:>7}{result.model.count_params():>9,}{records[-1]['seconds']:>10.1f} s"
        for threshold in THRESHOLDS:
            hit = first_time(records, threshold)
            cells += (
                f"{(format(hit['seconds'], '.1f') + ' s (ep ' + str(hit['epoch']) + ')') if hit else 'not reached':>18}"
            )
        cells += f"{records[-1]['test_accuracy']:>10.2%}{result.model_bytes / 1e6:>9.2f} MB"
        lines.append(cells)
    baseline, ours = results
    for threshold in THRESHOLDS:
        base_hit, our_hit = first_time(baseline.records, threshold), first_time(ours.records, threshold)
        if our_hit and base_hit:
            lines.append(
                f"time to {threshold:.1%}: reference / keras-io = {our_hit['seconds']:.1f} / {base_hit['seconds']:.1f} "
                f"= {our_hit['seconds'] / base_hit['seconds']:.2f}"
            )
        elif our_hit:
            total = baseline.records[-1]["seconds"]
            lines.append(
                f"time to {threshold:.1%}: keras-io never reached it in {total:.1f} s; "
                f"reference took {our_hit['seconds']:.1f} s (ratio below {our_hit['seconds'] / total:.2f})"
            )
        else:
            lines.append(f"time to {threshold:.1%}: the reference did not reach it")
    return "\n".join(lines)


def main() -> int:
    from course.mnist_file import load_mnist
    from course.pipeline import configure_tensorflow

    configure_tensorflow(seed=42)
    import tensorflow as tf

    print(f"bench-train on {datetime.date.today()}: {os.cpu_count()} cores ({cpu_name()}), TensorFlow {tf.__version__}")
    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_ready = (x_test.astype("float32") / 255.0).reshape(-1, 28, 28, 1)
    contenders = [keras_io_recipe(x_train, y_train), course_reference(x_train, y_train)]
    for epoch in range(max(contender.epochs for contender in contenders)):
        for contender in contenders:
            if epoch < contender.epochs:
                contender.train_one_epoch(x_ready, y_test)
    with tempfile.TemporaryDirectory() as folder:
        for index, contender in enumerate(contenders):
            path = Path(folder) / f"model{index}.h5"
            contender.model.save(path)
            contender.model_bytes = path.stat().st_size
    print("\n" + report(contenders))
    return 0
