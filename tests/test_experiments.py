"""Lesson 4's experiments hold for every CNN lesson 3 accepts, not only the reference.

Three CNNs that pass lesson 3 (the reference, with dropout; one without
dropout, the CNN a beginner wrote from the README; one with batch normalisation
and the functional API) each go through `run_experiments` as `make
run-lesson4` runs it. The overfitting experiment must compare two CNNs that
differ in dropout alone and say which comparison it made; the sweep's printed
verdict must agree with its own runs (the best rate is the lowest validation
loss; every other rate is called too small or too large by which side of the
best it lies on).
"""

import math
import re
import sys

import keras
import pytest
from keras import layers

from course.experiments import dropout_pair, has_dropout, sweep_verdicts, with_dropout, without_dropout
from course.lessons import SOLUTIONS_DIR, add_stage_paths, get_lesson


def _compiled(model, learning_rate):
    model.compile(
        optimizer=keras.optimizers.Adadelta(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def no_dropout(learning_rate=1.0):
    """3 x 3 filters, 16 and 32 of them, no dropout: 56,714 weights (a beginner's CNN that passes lesson 3)."""
    return _compiled(
        keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                layers.Conv2D(16, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Conv2D(32, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Flatten(),
                layers.Dense(64, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        ),
        learning_rate,
    )


def batch_normalised(learning_rate=1.0):
    """Batch normalisation, the functional API, no dropout."""
    inputs = keras.Input((28, 28, 1))
    x = inputs
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return _compiled(keras.Model(inputs, outputs), learning_rate)


@pytest.fixture(scope="module")
def lesson4():
    add_stage_paths(SOLUTIONS_DIR)
    sys.modules.pop("train", None)
    import importlib

    return importlib.import_module(get_lesson(4).module_name)


def reference(learning_rate=1.0):
    import importlib

    return importlib.import_module(get_lesson(3).module_name).build_model(learning_rate=learning_rate)


@pytest.mark.parametrize("build", [no_dropout, batch_normalised], ids=["sequential", "functional"])
def test_the_dropout_copies_differ_in_dropout_alone(build):
    model = build()
    added, removed = with_dropout(model), without_dropout(with_dropout(model))
    assert has_dropout(added) and not has_dropout(removed) and not has_dropout(model)
    assert added.count_params() == removed.count_params() == model.count_params()
    assert added.optimizer is not None and type(added.optimizer) is type(model.optimizer)
    pair, said = dropout_pair(build)
    assert "has no dropout" in said and [name for name, _ in pair] == ["with dropout", "without dropout"]
    assert has_dropout(pair[0][1]()) and not has_dropout(pair[1][1]())


def test_the_sweep_verdict_is_read_from_the_runs():
    from types import SimpleNamespace

    runs = {
        0.05: SimpleNamespace(history={"val_loss": [2.1, 1.7, 0.8]}),
        1.0: SimpleNamespace(history={"val_loss": [0.6, 0.2, 0.15]}),
        50.0: SimpleNamespace(history={"val_loss": [2.31, 2.31, 2.31]}),
        1000.0: SimpleNamespace(history={"val_loss": [130.0, 4.9, float("nan")]}),
    }
    told = sweep_verdicts(runs)
    assert told[1.0].startswith("the best") and "creeping down" in told[0.05] and "too small" in told[0.05]
    assert "random guess" in told[50.0] and "too large" in told[50.0] and "blew up" in told[1000.0]
    flipped = sweep_verdicts({0.05: runs[0.05], 1.0: runs[50.0], 50.0: runs[1.0]})  # a CNN where 50 wins
    assert flipped[50.0].startswith("the best") and "too small" in flipped[1.0] and "too small" in flipped[0.05]


@pytest.mark.parametrize("build", [reference, no_dropout, batch_normalised], ids=["reference", "no-dropout", "bn"])
def test_both_experiments_teach_with_every_cnn_lesson_3_accepts(lesson4, build, capsys):
    results = lesson4.run_experiments(build)
    printed = capsys.readouterr().out
    runs, sweep = results["overfitting"], results["sweep"]
    assert list(runs) == ["with dropout", "without dropout"]
    assert ("taken out" in results["compared"]) == has_dropout(build())
    for name, history in runs.items():
        lowest = int(min(range(len(history.history["val_loss"])), key=history.history["val_loss"].__getitem__)) + 1
        assert f"{name}:" in printed and f"lowest at epoch {lowest} of" in printed
    best = min(sweep, key=lambda rate: min(sweep[rate].history["val_loss"]))
    assert re.search(rf"best {best:g}\b", printed), printed
    for rate, history in sweep.items():
        (line,) = [line for line in printed.splitlines() if line.startswith(f"  {rate:g}: ")]
        if rate == best:
            assert "the best" in line
        else:
            assert ("too small" if rate < best else "too large") in line, line
        assert all(math.isfinite(v) or "blew up" in line for v in history.history["val_loss"])


@pytest.fixture(scope="module")
def lesson3():
    import importlib

    add_stage_paths(SOLUTIONS_DIR)
    return importlib.import_module(get_lesson(3).module_name)


@pytest.mark.parametrize("build", [reference, no_dropout, batch_normalised], ids=["reference", "no-dropout", "bn"])
def test_run_lesson3_says_what_is_true_for_every_cnn_lesson_3_accepts(lesson3, build, capsys, monkeypatch, tmp_path):
    """`make run-lesson3` with each CNN (on 4,000 digits, to be quick): every sentence agrees with its own table."""
    import course.helpers

    loaded = course.helpers.load_preprocessed
    monkeypatch.setattr(
        course.helpers, "load_preprocessed", lambda **_: loaded(train_size=4_000, validation_size=1_000)
    )
    if build is not reference:  # the reference is lesson 3's own build_model
        monkeypatch.setattr(lesson3, "build_model", build)
    monkeypatch.setenv("COURSE_OUTPUTS", str(tmp_path))
    lesson3.main()
    printed = capsys.readouterr().out
    accuracy = {
        name: float(re.search(rf"^  {name} +[\d,]+ weights +([\d.]+)%", printed, re.M).group(1)) / 100
        for name in ("dense baseline", "CNN")
    }
    fewer = re.search(r"The CNN makes ([\d.]+)x fewer mistakes", printed)
    if fewer:
        assert accuracy["CNN"] >= accuracy["dense baseline"], printed
        ratio = (1 - accuracy["dense baseline"]) / max(1 - accuracy["CNN"], 1e-9)
        assert abs(float(fewer.group(1)) - ratio) <= 0.1 * ratio + 0.1, printed  # from the 0.1%-rounded table
    else:
        assert "read worse than the dense baseline" in printed and accuracy["CNN"] <= accuracy["dense baseline"]
        assert ("momentum=0.9 catches up sooner" in printed) == (build is batch_normalised), printed
    answer = [float(p) for p in re.search(r"ten probabilities are \[([^\]]+)\]", printed).group(1).split(",")]
    assert ("it has no idea" in printed) == (max(answer) < 0.5), printed
    if max(answer) >= 0.5:
        assert f"sure of a {answer.index(max(answer))} on nothing" in printed, printed
