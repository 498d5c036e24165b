"""Keras inputs the checks ask the worker for: small models with weights the checks chose, schedules, callbacks.

Part of ``course.worker.inputs`` (which lists what the checks may ask for by name).
Runs in the worker, beside the learner's code.
"""

from __future__ import annotations

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


def structure(model) -> dict:
    """A Keras model's structure as data: its layers (kinds, sizes, activations, shapes), inputs, outputs, weights.

    (The judge reads it from a model rebuilt from the learner's model's configuration: ``yardsticks.model_facts``.)"""
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


def one_weight_model():
    """A model with one weight and no bias, for driving a callback through epochs (the checks set the weight)."""
    keras = _keras()
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    model.stop_training = False
    return model


def clone_model(model):
    return _keras().models.clone_model(model)


def cosine_decay(initial: float, decay_steps: int):
    return _keras().optimizers.schedules.CosineDecay(initial, decay_steps=decay_steps)


def save_model(model, path: str) -> str:
    model.save(path)
    return path


def compiled_tiny_model(learning_rate=1.0):
    """The tiny CNN, compiled with Adadelta at ``learning_rate`` (what a check's stand-in builder hands back)."""
    keras = _keras()
    model = tiny_model()
    model.compile(
        optimizer=keras.optimizers.Adadelta(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model
