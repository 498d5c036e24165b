"""Lesson 8's inputs, made in the worker: a small trained CNN, stand-in stages and predictors, the course's own
TensorFlow Lite runner (to judge the learner's converted bytes by), and a served model folder.

Part of ``course.worker.inputs`` (which lists what the checks may ask for by name). Runs in the worker.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

_TRAINED = {}


def trained_cnn(images, labels, seed: int = 7):
    """A small CNN trained briefly on the images the check sends (once per worker): a model worth quantizing."""
    key = (seed, len(images))
    if key not in _TRAINED:
        from course.worker.models import _keras, tiny_model

        keras = _keras()
        model = tiny_model(seed)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
        x = np.asarray(images, np.float32).reshape(-1, 28, 28, 1)
        model.fit(x, np.eye(10, dtype=np.float32)[np.asarray(labels)], epochs=2, batch_size=64, verbose=0)
        _TRAINED[key] = model
    return _TRAINED[key]


def lite_model(model, quantization: str = "none") -> bytes:
    """The course's own conversion of a Keras model (float32 or dynamic range), quietly."""
    import tensorflow as tf

    from course.quiet import quietly

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantization == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    with quietly():
        return converter.convert()


def keras_outputs(model, images):
    """The Keras model's probabilities for the images (as the checks' yardstick)."""
    return np.asarray(model(np.asarray(images, np.float32).reshape(-1, 28, 28, 1), training=False))


def lite_outputs(data: bytes, images):
    """The probabilities of TensorFlow Lite bytes for each image, one at a time, run by the course's own LiteRT."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=bytes(data), num_threads=1)
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
    from ai_edge_litert.interpreter import Interpreter

    if not isinstance(data, (bytes, bytearray)):
        return {"bytes": None, "kind": type(data).__name__}
    interpreter = Interpreter(model_content=bytes(data), num_threads=1)
    tensors = interpreter.get_tensor_details()
    return {
        "bytes": len(data),
        "kind": "bytes",
        "input": np.dtype(interpreter.get_input_details()[0]["dtype"]).name,
        "input_shape": [int(n) for n in interpreter.get_input_details()[0]["shape"]],
        "output": np.dtype(interpreter.get_output_details()[0]["dtype"]).name,
        "types": sorted({np.dtype(tensor["dtype"]).name for tensor in tensors}),
    }


class Stage:
    """A stand-in stage of a request: sleeps ``milliseconds`` per call (``slow_every``-th call: ``slow`` ms)."""

    def __init__(self, milliseconds: float, slow: float = 0.0, slow_every: int = 0):
        self.milliseconds, self.slow, self.slow_every = milliseconds, slow, slow_every
        self.calls = 0

    def __call__(self):
        self.calls += 1
        pause = self.slow if self.slow_every and self.calls % self.slow_every == 0 else self.milliseconds
        end = time.perf_counter() + pause / 1000.0
        while time.perf_counter() < end:  # busy, not asleep: as a real stage would be
            pass


def stage(milliseconds: float, slow: float = 0.0, slow_every: int = 0):
    return Stage(milliseconds, slow, slow_every)


class FixedPredictor:
    """Stands in for a version of a model: reads each image's digit from its top-left pixel (x 10), except where
    ``wrong`` says; takes ``milliseconds`` per call; has a ``size``."""

    def __init__(self, size: int, milliseconds: float = 0.0, wrong=None):
        self.size, self.milliseconds = int(size), milliseconds
        self.wrong = {int(k): int(v) for k, v in (wrong or {}).items()}
        self.calls = 0

    def __call__(self, image28):
        self.calls += 1
        if self.milliseconds:
            Stage(self.milliseconds)()
        code = round(float(np.asarray(image28).reshape(28, 28)[0, 1]) * 1000)  # which image this is
        digit = self.wrong.get(code, round(float(np.asarray(image28).reshape(28, 28)[0, 0]) * 10))
        row = np.full(10, 0.01, np.float32)
        row[digit] = 0.91
        return row


def fixed_predictor(size: int, milliseconds: float = 0.0, wrong=None):
    return FixedPredictor(size, milliseconds, wrong)


def served_folder(model, folder: str, temperature: float, data, version: str = "tflite dynamic") -> str:
    """A model folder as `make train` and lesson 8 leave it: the .h5, its temperature, and ``data`` served."""
    from course.calibration import save_temperature
    from course.quiet import quietly
    from course.serving import save_served_model

    path = Path(folder) / "digit_classifier.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    with quietly():  # Keras's note that HDF5 is a legacy format
        model.save(path)
    save_temperature(path, temperature)
    save_served_model(path, bytes(data), version, {})
    return str(path)


def app_predictions(model_path: str, images) -> dict:
    """What the course's served_predictor gives for a model folder: which class serves, and its answers."""
    from course.serving import served_predictor

    predictor = served_predictor(model_path)
    if predictor is None:
        return {"served": None, "rows": []}
    rows = [np.asarray(predictor(image)).tolist() for image in np.asarray(images, np.float32).reshape(-1, 28, 28)]
    return {"served": type(predictor).__name__, "rows": rows}


def touch_model(model_path: str) -> None:
    """The model trained again: the .h5 changes, the served version stays as it was."""
    path = Path(model_path)
    path.write_bytes(path.read_bytes() + b"\0")


def record_of(model_path: str) -> dict:
    from course.serving import served_paths

    return json.loads(served_paths(model_path)[1].read_text())


def interpreter_threads(make, data) -> list:
    """Make a predictor with ``make(data)`` (the learner's LitePredictor) and say how many threads each LiteRT
    interpreter it made was asked for (None: LiteRT's default, one)."""
    from ai_edge_litert import interpreter as litert

    seen = []
    original = litert.Interpreter

    class Recording(original):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs.get("num_threads"))
            super().__init__(*args, **kwargs)

    litert.Interpreter = Recording
    try:
        make(data)
    finally:
        litert.Interpreter = original
    return seen


def kept_probabilities(predictor, images) -> list:
    """The learner's ``predictor.probabilities`` for each image, every answer kept until the last call is done, as
    a caller that stores answers does: an answer that is a view into the interpreter's memory changes under the
    next call (or stops it, LiteRT refusing to run while one is held)."""
    kept = [predictor.probabilities(image) for image in np.asarray(images).reshape(-1, 28, 28)]
    return [np.asarray(answer).tolist() for answer in kept]


def calls_of(predictor) -> int:
    """How many times a stand-in (a FixedPredictor or a stage) was called."""
    return int(predictor.calls)
