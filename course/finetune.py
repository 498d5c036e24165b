"""`make finetune`: teach the served model the corrections its users stored.

The app's "Wrong? It was a ..." buttons store each correction in SQLite
(course/feedback.py). This fine-tunes the model on them, mixed with MNIST so
that it does not forget MNIST, and keeps the result only if it is no worse
where it matters:

* the corrections are split **by time**: the oldest 80% to learn from, the
  newest 20% held out, as the next drawings of the same users would be;
* before and after, it measures the held-out corrections and MNIST's test set;
* it saves the new model over the old one (which is kept as ``.bak``) only if
  MNIST test accuracy drops by no more than 0.2 points.

The corrections file is FEEDBACK_DB, else the app's instance folder
(``<tree>/06_flask_app/instance/corrections.sqlite3``); the model is
MODEL_PATH, else the tree's digit_classifier.h5.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np

from course.lessons import display_path, get_lesson

HELD_OUT = 0.2  # the newest fifth of the corrections, never trained on
MAX_MNIST_DROP = 0.002  # MNIST test may lose at most 0.2 points
MIN_CORRECTIONS = 10
MNIST_MIX = 6000  # MNIST training digits mixed in, so the model keeps what it knew
REPEATS = 4  # each correction shown this many times per epoch: a few drawings among thousands
EPOCHS = 2
SEED = 7


def corrections_path(target: Path) -> Path:
    """Where the app of ``target`` stores corrections: FEEDBACK_DB, else its lesson 6 folder's instance/."""
    if os.environ.get("FEEDBACK_DB"):
        return Path(os.environ["FEEDBACK_DB"])
    return get_lesson(6).file_in(target).parent / "instance" / "corrections.sqlite3"


def split_by_time(times: np.ndarray, held_out: float = HELD_OUT) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the older corrections (to learn from) and of the newest ``held_out`` share (to measure)."""
    order = np.argsort(times, kind="stable")
    newest = max(1, round(len(order) * held_out))
    return order[:-newest], order[-newest:]


def accuracy(model, images, labels) -> float:
    if len(images) == 0:
        return float("nan")
    predicted = np.asarray(model.predict(np.asarray(images).reshape(-1, 28, 28, 1), batch_size=1000, verbose=0)).argmax(
        axis=1
    )
    return float(np.mean(predicted == np.asarray(labels)))


def finetune(model_path: Path, database: Path, seed: int = SEED, epochs: int = EPOCHS, verbose: int = 1) -> dict:
    """Fine-tune the model at ``model_path`` on the corrections in ``database``; return the figures and the decision."""
    import keras

    from course.feedback import CorrectionStore
    from course.mnist_file import load_mnist
    from course.model_file import load_trained_model
    from course.pipeline import configure_tensorflow

    if not database.is_file():
        raise SystemExit(
            f"No corrections yet: {display_path(database)} does not exist. "
            'Press "Wrong? It was a ..." in the app first.'
        )
    images, labels, _, times = CorrectionStore(database).all()
    if len(images) < MIN_CORRECTIONS:
        raise SystemExit(
            f"Only {len(images)} corrections in {display_path(database)}: at least {MIN_CORRECTIONS} are needed "
            "to learn from some and measure on others."
        )
    configure_tensorflow(seed)
    started = time.perf_counter()
    learn, held = split_by_time(times)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_test = x_test.astype(np.float32) / 255.0
    model = load_trained_model(model_path)
    before = {"corrections": accuracy(model, images[held], labels[held]), "mnist_test": accuracy(model, x_test, y_test)}
    print(f"{len(images)} corrections: learning from the {len(learn)} oldest, measuring on the {len(held)} newest")
    print(f"before: held-out corrections {before['corrections']:.1%}, MNIST test {before['mnist_test']:.2%}")

    rng = np.random.default_rng(seed)
    mnist = rng.choice(len(x_train), MNIST_MIX, replace=False)
    x = np.concatenate([x_train[mnist].astype(np.float32) / 255.0, np.repeat(images[learn], REPEATS, axis=0)])
    y = np.concatenate([y_train[mnist], np.repeat(labels[learn], REPEATS)]).astype(np.int64)
    order = rng.permutation(len(x))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=2e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x[order].reshape(-1, 28, 28, 1), y[order], epochs=epochs, batch_size=64, verbose=verbose)
    after = {"corrections": accuracy(model, images[held], labels[held]), "mnist_test": accuracy(model, x_test, y_test)}
    print(f"after:  held-out corrections {after['corrections']:.1%}, MNIST test {after['mnist_test']:.2%}")
    drop = before["mnist_test"] - after["mnist_test"]
    kept = drop <= MAX_MNIST_DROP
    if kept:
        backup = model_path.with_name(model_path.name + ".bak")
        shutil.copy2(model_path, backup)
        model.save(model_path)
        print(
            f"Saved the fine-tuned model to {display_path(model_path)} (the old one is {display_path(backup)}); "
            "restart the app to use it."
        )
    else:
        print(
            f"Not saved: MNIST test fell by {drop * 100:.2f} points (at most {MAX_MNIST_DROP * 100:.1f} allowed); "
            "the model is unchanged."
        )
    print(f"Took {time.perf_counter() - started:.0f} s.")
    return {"before": before, "after": after, "saved": kept, "learned_from": len(learn), "held_out": len(held)}


def finetune_tree(target: Path, epochs: int | None = None) -> int:
    """`make finetune`: the tree's served model, taught the corrections stored beside it."""
    from course.model_file import default_model_path

    finetune(Path(default_model_path(target)), corrections_path(target), epochs=epochs or EPOCHS)
    return 0
