"""Lesson 4's experiments, for any CNN lesson 3 accepts: a dropout comparison and a learning-rate verdict.

Lesson 3 grades goals, not a layer list, so the CNN a learner brings to lesson
4 may have dropout or none, batch normalisation, the functional API. The
overfitting experiment compares it with a copy that differs in dropout alone
(its dropout taken out, or dropout added before its dense layers), and the
learning-rate sweep's verdict is read from the runs themselves: what lesson 4
prints is true for the learner's CNN, whichever rate wins.
"""

from __future__ import annotations

import math

CHANCE_LOSS = math.log(10)  # the cross-entropy of a uniform guess over ten digits: 2.30
ADDED_DROPOUT = 0.5


def _keras():
    import keras

    return keras


def has_dropout(model) -> bool:
    keras = _keras()
    return any(isinstance(layer, keras.layers.Dropout) for layer in model.layers)


def _compiled_like(copy, model):
    if model.optimizer is not None:
        copy.compile_from_config(model.get_compile_config())
    return copy


def without_dropout(model):
    """A fresh copy of ``model`` (Sequential or functional) without its Dropout layers, compiled the same way."""
    keras = _keras()
    if isinstance(model, keras.Sequential):
        kept = [
            type(layer).from_config(layer.get_config())
            for layer in model.layers
            if not isinstance(layer, keras.layers.Dropout)
        ]
        copy = keras.Sequential([keras.Input(model.input_shape[1:]), *kept], name=f"{model.name}_without_dropout")
    else:
        copy = keras.models.clone_model(
            model,
            clone_function=lambda layer: (
                keras.layers.Identity()
                if isinstance(layer, keras.layers.Dropout)
                else type(layer).from_config(layer.get_config())
            ),
        )
    return _compiled_like(copy, model)


def with_dropout(model, rate: float = ADDED_DROPOUT):
    """A fresh copy of ``model`` with Dropout(``rate``) in front of each Dense layer, compiled the same way."""
    keras = _keras()
    dense = keras.layers.Dense
    if isinstance(model, keras.Sequential):
        layers = []
        for layer in model.layers:
            if isinstance(layer, dense):
                layers.append(keras.layers.Dropout(rate))
            layers.append(type(layer).from_config(layer.get_config()))
        copy = keras.Sequential([keras.Input(model.input_shape[1:]), *layers], name=f"{model.name}_with_dropout")
    else:

        def call(layer, *args, **kwargs):
            if isinstance(layer, dense):
                args = (keras.layers.Dropout(rate)(args[0]), *args[1:])
            return layer(*args, **kwargs)

        copy = keras.models.clone_model(model, call_function=call)
    return _compiled_like(copy, model)


def dropout_pair(build_model):
    """The overfitting experiment's two CNNs: [("with dropout", build), ("without dropout", build)], and a sentence
    saying what differs: the learner's CNN is one of the two, and the other is a copy that differs in dropout alone."""
    if has_dropout(build_model()):
        return [
            ("with dropout", build_model),
            ("without dropout", lambda: without_dropout(build_model())),
        ], "your CNN, and the same CNN with its dropout taken out"
    return [
        ("with dropout", lambda: with_dropout(build_model())),
        ("without dropout", build_model),
    ], f"your CNN (it has no dropout), and the same CNN with Dropout({ADDED_DROPOUT:g}) before each Dense layer"


def _losses(history) -> list[float]:
    return [float(value) for value in history.history["val_loss"]]


def best_of(histories):
    """The rate whose run reached the lowest validation loss (a run that blew up never wins)."""
    finite = {rate: history for rate, history in histories.items() if all(map(math.isfinite, _losses(history)))}
    return min(finite or histories, key=lambda rate: min(_losses(histories[rate])))


def _learned_only_in_training(history) -> bool:
    """The training loss fell well below a random guess while the validation loss stayed near or above it."""
    fit = [float(value) for value in history.history.get("loss", [])]
    validation = _losses(history)
    if not fit or not all(map(math.isfinite, fit + validation)):
        return False
    return fit[-1] < 0.5 * CHANCE_LOSS and min(validation) > CHANCE_LOSS - 0.1


def sweep_verdicts(histories, best=None) -> dict:
    """For each rate of a sweep, what its run shows, in words read from its validation losses (``best``: the rate
    the sweep chose; by default the one with the lowest validation loss)."""
    best = best_of(histories) if best is None else best
    lowest = min(_losses(histories[best]))
    verdicts = {}
    for rate, history in histories.items():
        losses = _losses(history)
        first, last = losses[0], losses[-1]
        side = "too small" if rate < best else "too large"
        trail = " → ".join(f"{value:.2f}" for value in losses)
        if rate == best:
            verdicts[rate] = f"the best: validation loss {trail}"
        elif not all(map(math.isfinite, losses)) or max(losses) > 2 * CHANCE_LOSS:
            verdicts[rate] = f"blew up (validation loss {trail}): far {side}"
        elif _learned_only_in_training(history):
            fit = history.history["loss"]
            verdicts[rate] = (
                f"learned the training digits (loss {fit[0]:.2f} → {fit[-1]:.2f}) but not the validation digits "
                f"({trail}): what the model does when predicting lags behind its training (BatchNormalization's "
                f"running averages do, in a short run), so this rate is not judged by its step size"
            )
        elif min(losses) > CHANCE_LOSS - 0.1 and rate < best:
            verdicts[rate] = (
                f"barely moved from {CHANCE_LOSS:.2f}, a random guess ({trail}): too small to get anywhere "
                f"in {len(losses)} epochs"
            )
        elif min(losses) > CHANCE_LOSS - 0.1:
            verdicts[rate] = f"stuck at {CHANCE_LOSS:.2f}, a random guess ({trail}): {side}"
        elif rate < best and last < first:
            verdicts[rate] = f"still creeping down ({trail}): {side} to get there in {len(losses)} epochs"
        else:
            verdicts[rate] = f"ended at {last:.2f}, above the best's {lowest:.2f} ({trail}): {side} to settle"
    return verdicts
