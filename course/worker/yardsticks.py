"""The judge's yardsticks: what the checks measure with, run in a worker that never imports the learner's file.

The checks ask ``judge.<name>(...)`` (``course.checking.judge``): data in (a
converted model's bytes, a saved picture, a model's bytes or configuration,
images), data out. The judge trains the small models the checks need and
keeps them by their bytes' digest, so the learner's worker gets the same model
as bytes (``course.worker.inputs.model_from_bytes``) while the answers the checks
expect of it are computed here, out of that code's reach. Only the names in
``__all__`` can be asked for.
"""

from __future__ import annotations

import hashlib
import io
import tempfile

import numpy as np

__all__ = [
    "image_facts",
    "keras_outputs",
    "lite_facts",
    "lite_model",
    "lite_outputs",
    "model_facts",
    "predict_saved_model",
    "trained_cnn",
]

_MODELS: dict[str, object] = {}  # models this judge made or loaded, by the SHA-256 of their .h5 bytes


def _keras():
    from course.quiet import import_tensorflow

    import_tensorflow()
    import keras

    return keras


def _h5_bytes(model) -> bytes:
    from course.quiet import quietly

    with tempfile.NamedTemporaryFile(suffix=".h5") as handle, quietly():  # Keras: "HDF5 is a legacy format"
        model.save(handle.name)
        return open(handle.name, "rb").read()


def _model(data: bytes):
    """The model saved as ``data`` (.h5 bytes), loaded once (safe mode: no code from the file runs)."""
    key = hashlib.sha256(bytes(data)).hexdigest()
    if key not in _MODELS:
        keras = _keras()
        with tempfile.NamedTemporaryFile(suffix=".h5") as handle:
            handle.write(bytes(data))
            handle.flush()
            _MODELS[key] = keras.models.load_model(handle.name, compile=False, safe_mode=True)
    return _MODELS[key]


def trained_cnn(images, labels, seed: int = 7) -> bytes:
    """A small CNN trained briefly on the images the check sends: a model worth quantizing, as .h5 bytes."""
    from course.worker.models import tiny_model

    keras = _keras()
    model = tiny_model(seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.asarray(images, np.float32).reshape(-1, 28, 28, 1)
    model.fit(x, np.eye(10, dtype=np.float32)[np.asarray(labels)], epochs=2, batch_size=64, verbose=0)
    data = _h5_bytes(model)
    _MODELS[hashlib.sha256(data).hexdigest()] = model
    return data


def keras_outputs(model_bytes: bytes, images):
    """The Keras model's probabilities for the images."""
    return np.asarray(_model(model_bytes)(np.asarray(images, np.float32).reshape(-1, 28, 28, 1), training=False))


def lite_model(model_bytes: bytes, quantization: str = "none", nudge: int = 0) -> bytes:
    """The course's own conversion of a model (float32 or dynamic range); ``nudge``: its last layer's bias moved
    first, at random from that seed (a version that answers differently from the Keras model it is served for)."""
    import tensorflow as tf

    from course.quiet import quietly

    model = _model(model_bytes)
    if nudge:
        model = _keras().models.clone_model(model)
        model.set_weights(_model(model_bytes).get_weights())
        weights, bias = model.layers[-1].get_weights()
        model.layers[-1].set_weights([weights, bias + np.random.default_rng(nudge).normal(0, 1.0, bias.shape)])
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantization == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    with quietly():
        return converter.convert()


def _interpreter(data):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_content=bytes(data), num_threads=1)


def lite_outputs(data: bytes, images):
    """The probabilities of TensorFlow Lite bytes for each image, one at a time."""
    interpreter = _interpreter(data)
    interpreter.allocate_tensors()
    source, sink = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]
    rows = []
    for image in np.asarray(images, np.float32).reshape(-1, 1, 28, 28, 1):
        interpreter.set_tensor(source, image)
        interpreter.invoke()
        rows.append(np.array(interpreter.get_tensor(sink)[0]))
    return np.asarray(rows)


def lite_facts(data) -> dict:
    """What TensorFlow Lite bytes hold: their size, the input and output types, the tensor types inside."""
    if not isinstance(data, (bytes, bytearray)):
        return {"bytes": None, "kind": type(data).__name__}
    interpreter = _interpreter(data)
    tensors = interpreter.get_tensor_details()
    return {
        "bytes": len(data),
        "kind": "bytes",
        "input": np.dtype(interpreter.get_input_details()[0]["dtype"]).name,
        "input_shape": [int(n) for n in interpreter.get_input_details()[0]["shape"]],
        "output": np.dtype(interpreter.get_output_details()[0]["dtype"]).name,
        "types": sorted({np.dtype(tensor["dtype"]).name for tensor in tensors}),
    }


def image_facts(png: bytes) -> dict:
    """What a saved picture shows, roughly: its size, and how much of it is dark, light, or in colour.

    Transparency counts as it shows: the picture is laid on a white page first (a fully transparent picture is
    a blank page)."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
        if width * height > 40_000_000:
            raise ValueError(f"the picture is too large to look at ({width} x {height})")
        page = Image.new("RGBA", image.size, (255, 255, 255, 255))
        page.alpha_composite(image.convert("RGBA"))
        rgb = np.asarray(page.convert("RGB"), dtype=np.float32) / 255.0
    gray = rgb.mean(axis=2)
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    return {
        "width": int(width),
        "height": int(height),
        "dark": float((gray < 0.25).mean()),
        "light": float((gray > 0.9).mean()),
        "colour": float((saturation > 0.25).mean()),
    }


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


def model_facts(config: str) -> dict:
    """A Keras model's structure as data, from its configuration (``model.to_json()``, as the learner's model
    gave it): its layers (kinds, sizes, activations, shapes), inputs, outputs and number of weights."""
    from course.worker.models import structure

    keras = _keras()
    return structure(keras.models.model_from_json(str(config)))
