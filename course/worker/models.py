"""Keras inputs the checks ask the worker for: small models with weights the checks chose, schedules, callbacks.

Part of ``course.worker.inputs`` (which lists what the checks may ask for by name).
Runs in the worker, beside the learner's code.
"""

from __future__ import annotations

import tempfile

import numpy as np


def _keras():
    from course.quiet import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def tiny_model(seed: int = 7):
    """A small compiled CNN standing in for lesson 3's model (stage isolation): 8 filters, 10 softmax outputs."""
    keras = _keras()
    from keras import layers

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ],
        name="fixture_cnn",
    )
    model.compile(
        optimizer=keras.optimizers.Adadelta(learning_rate=1.0), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def dense_softmax_model(weights=None, bias=None, dropout: float = 0.0, compiled: bool = False):
    """Flatten, (Dropout,) Dense(10, softmax) on 28 x 28 x 1 images; with the weights the check chose, if any."""
    keras = _keras()
    parts = [keras.Input((28, 28, 1)), keras.layers.Flatten()]
    if dropout:
        parts.append(keras.layers.Dropout(dropout))
    parts.append(keras.layers.Dense(10, activation="softmax"))
    model = keras.Sequential(parts)
    if weights is not None:
        model.layers[-1].set_weights([np.asarray(weights, "float32"), np.asarray(bias, "float32")])
    if compiled:
        model.compile(optimizer="adadelta", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and Keras in the worker, so the learner's model starts from the same weights each time."""
    _keras().utils.set_random_seed(seed)


def _shape(tensor) -> list:
    return [None if size is None else int(size) for size in tuple(tensor.shape)]


def model_facts(model) -> dict:
    """A Keras model's structure as data: its layers (kinds, sizes, activations, shapes), inputs, outputs, weights."""
    keras = _keras()
    layers = []
    for layer in model.layers:
        kinds = [cls.__name__ for cls in type(layer).__mro__ if cls.__module__.startswith("keras")]
        activation = getattr(layer, "activation", None)
        facts = {
            "kinds": kinds,
            "name": layer.name,
            "activation": getattr(activation, "__name__", None) if activation is not None else None,
            "units": getattr(layer, "units", None),
            "filters": getattr(layer, "filters", None),
            "input_shape": None,
            "output_shape": None,
        }
        try:
            facts["input_shape"] = _shape(layer.input)
            facts["output_shape"] = _shape(layer.output)
        except (AttributeError, ValueError, TypeError):
            pass
        layers.append(facts)
    return {
        "kinds": [cls.__name__ for cls in type(model).__mro__ if cls.__module__.startswith("keras")],
        "is_model": isinstance(model, keras.Model),
        "inputs": [_shape(tensor) for tensor in model.inputs],
        "outputs": [_shape(tensor) for tensor in model.outputs],
        "layers": layers,
        "parameters": int(model.count_params()),
    }


def clone_model(model):
    return _keras().models.clone_model(model)


def cosine_decay(initial: float, decay_steps: int):
    return _keras().optimizers.schedules.CosineDecay(initial, decay_steps=decay_steps)


def save_model(model, path: str) -> str:
    model.save(path)
    return path


def predict_saved_model(data: bytes, images, suffix: str = ".h5"):
    """Load a saved model from its bytes (safe mode: no code from the file runs) and predict ``images``."""
    keras = _keras()
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        try:
            model = keras.models.load_model(handle.name, compile=False, safe_mode=True)
        except (ValueError, TypeError) as error:
            if "Lambda" in str(error) or "safe_mode" in str(error) or "Could not locate" in str(error):
                raise ValueError(
                    "the saved model holds code (a Lambda layer or a class of your own): the checks load models in "
                    "safe mode, with Keras's built-in layers only. Save the model you trained, made of Keras's layers."
                ) from None
            raise
    return np.asarray(model(np.asarray(images, "float32"), training=False))


def drive_early_stopping(callback, val_losses, losses) -> dict:
    """Run ``callback`` through epochs whose validation (and training) losses are given, on a one-weight model
    whose weight during epoch e is e: when did it stop training, and whose weights does the model hold at the end?"""
    keras = _keras()
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin()
    stopped = None
    for epoch, (val_loss, loss) in enumerate(zip(val_losses, losses)):
        model.layers[0].set_weights([np.full((1, 1), float(epoch + 1), dtype="float32")])
        logs = {"loss": float(loss), "val_loss": float(val_loss), "accuracy": 0.5, "val_accuracy": 0.5}
        callback.on_epoch_end(epoch, logs)
        if model.stop_training:
            stopped = epoch + 1
            break
    callback.on_train_end()
    return {"stopped_after": stopped, "weights_of_epoch": round(float(model.layers[0].get_weights()[0][0, 0]))}


def epoch_counter():
    """A Keras callback that counts the epochs it is told about (``.epochs``)."""
    keras = _keras()

    class EpochCounter(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1

    return EpochCounter()


class SweepBuilder:
    """A ``build_model(learning_rate)`` for the learning-rate sweep: the tiny CNN, compiled with that rate."""

    def __init__(self):
        self.calls: list = []

    def __call__(self, learning_rate=1.0):
        keras = _keras()
        self.calls.append(learning_rate)
        model = tiny_model()
        model.compile(
            optimizer=keras.optimizers.Adadelta(learning_rate=learning_rate),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model


def sweep_builder():
    return SweepBuilder()
