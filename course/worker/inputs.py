"""What the checks give the learner's functions, made inside the worker: small models, stand-ins, folders.

A check cannot hand the learner's code a Keras model or a callback built in
its own process (only data crosses), so it asks the worker to build one here,
by name (``given.tiny_model()`` in a check, ``course.checking.given``), and gets a reference back.
Weights a check needs to know are chosen by the check and sent as arrays, so
that it can compute the expected answer itself. Only the names in ``__all__``
can be asked for. Runs in the worker, beside the learner's code.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import numpy as np

from course.worker.lite import (
    app_predictions,
    calls_of,
    fixed_predictor,
    interpreter_threads,
    kept_probabilities,
    keras_outputs,
    lite_facts,
    lite_model,
    lite_outputs,
    record_of,
    served_folder,
    stage,
    touch_model,
    trained_cnn,
)
from course.worker.models import (
    clone_model,
    cosine_decay,
    dense_softmax_model,
    drive_early_stopping,
    epoch_counter,
    model_facts,
    predict_saved_model,
    save_model,
    set_seed,
    sweep_builder,
    tiny_model,
)

__all__ = [
    "app_predictions",
    "ask_app",
    "call_in_littered_memory",
    "call_watching",
    "calls_of",
    "clone_model",
    "close_figures",
    "cosine_decay",
    "count_calls",
    "dense_softmax_model",
    "drive_early_stopping",
    "epoch_counter",
    "file_facts",
    "fixed_predictor",
    "folder_names",
    "image_facts",
    "interpreter_threads",
    "kept_probabilities",
    "keras_outputs",
    "lite_facts",
    "lite_model",
    "lite_outputs",
    "make_folder",
    "model_facts",
    "open_image",
    "predict_saved_model",
    "read_bytes",
    "record_of",
    "recording_model",
    "save_model",
    "served_folder",
    "set_seed",
    "stage",
    "sweep_builder",
    "tiny_model",
    "touch_model",
    "train_pipeline",
    "trained_cnn",
    "working_folder",
    "write_bytes",
]


# -- folders and files --------------------------------------------------------------


def make_folder(name: str = "check", outputs: bool = False) -> str:
    """A fresh folder for one check; with ``outputs``, lessons save their figures and models there too."""
    folder = tempfile.mkdtemp(prefix=f"{Path(name).name[:40]}-")
    if outputs:
        os.environ["COURSE_OUTPUTS"] = folder
    return folder


def working_folder(path: str | None) -> str:
    """Run in ``path`` from now on (the learner's relative paths land there); returns the folder it was in."""
    before = os.getcwd()
    if path is not None:
        os.chdir(path)
    return before


def file_facts(path: str) -> dict:
    """Whether ``path`` is there, and what it is (never following a link)."""
    try:
        info = os.lstat(path)
    except OSError:
        return {"exists": False, "file": False, "folder": False, "size": 0}
    return {
        "exists": True,
        "file": stat.S_ISREG(info.st_mode),
        "folder": stat.S_ISDIR(info.st_mode),
        "size": int(info.st_size),
    }


def read_bytes(path: str, limit: int = 64 * 1024 * 1024) -> bytes:
    """The first ``limit`` bytes of a plain file (a link is not followed)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a plain file")
        return handle.read(int(limit))


def write_bytes(path: str, data: bytes) -> str:
    """Write a file the checks made (a small .npz, say) where the learner's code will read it."""
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def folder_names(path: str) -> list[str]:
    return sorted(os.listdir(path))


def close_figures() -> None:
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def call_watching(function, *args, **kwargs) -> dict:
    """Call ``function`` and say what it did to its first argument: the result, whether it is that
    argument (or shares its memory), and the arguments as they are after the call."""
    result = function(*args, **kwargs)
    first = args[0] if args else None
    shares = isinstance(result, np.ndarray) and isinstance(first, np.ndarray) and np.shares_memory(result, first)
    return {"result": result, "same_object": result is first, "shares_memory": bool(shares), "arguments": list(args)}


def call_in_littered_memory(function, *args, size: int = 5, value: float = 0.77):
    """Call ``function`` just after leaving ``value`` in freed memory that a new array of ``size`` floats may
    reuse: np.empty's garbage (or np.divide's without ``out=``) made visible, never a lucky 0."""
    leftovers = [np.full(int(size), float(value)) for _ in range(16)]
    del leftovers
    return function(*args)


# -- stand-ins that remember how they were used ---------------------------------------------


class RecordingModel:
    """Stands in for a Keras model: remembers how predict was called, and answers one fixed row for every image."""

    def __init__(self, row):
        self.row = np.asarray(row, "float32")
        self.calls: list[dict] = []

    def predict(self, images, batch_size=None, verbose="auto", **others):
        self.calls.append({"shape": tuple(np.shape(images)), "batch_size": batch_size, "verbose": verbose})
        return np.tile(self.row, (len(images), 1))


def recording_model(row):
    return RecordingModel(row)


class CallCounter:
    """Wraps ``module.name`` so that each call is counted (``.calls``); ``restore()`` puts the original back."""

    def __init__(self, module, name: str):
        self.module, self.name = module, name
        self.original = getattr(module, name)
        self.calls: list = []

        def counted(*args, **kwargs):
            self.calls.append([str(arg) for arg in args])
            return self.original(*args, **kwargs)

        setattr(module, name, counted)

    def restore(self) -> None:
        setattr(self.module, self.name, self.original)


def count_calls(module, name: str):
    return CallCounter(module, name)


def open_image(png: bytes):
    """A Pillow image from PNG bytes the checks drew (a canvas drawing), for the learner's to_mnist."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def image_facts(png: bytes) -> dict:
    """What a saved picture shows, roughly: its size, and how much of it is dark, light, or in colour.

    (The checks ask a fresh worker, one that never ran the learner's code, to look at the picture.)
    """
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
        if width * height > 40_000_000:
            raise ValueError(f"the picture is too large to look at ({width} x {height})")
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    gray = rgb.mean(axis=2)
    saturation = rgb.max(axis=2) - rgb.min(axis=2)
    return {
        "width": int(width),
        "height": int(height),
        "dark": float((gray < 0.25).mean()),
        "light": float((gray > 0.9).mean()),
        "colour": float((saturation > 0.25).mean()),
    }


# -- the learner's web app -------------------------------------------------------------


def ask_app(app, method: str, path: str, query_string: str, headers: list, body: bytes) -> dict:
    """One request, built by the checks, answered by the learner's Flask app through its own test client."""
    response = app.test_client().open(
        path, method=method, query_string=query_string, headers=[tuple(pair) for pair in headers], data=body
    )
    return {"status": response.status_code, "headers": list(response.headers.items()), "body": response.get_data()}


# -- the whole pipeline (lesson 6's capstone) -----------------------------------------


def train_pipeline(target: str, **options) -> dict:
    """The learner's lessons 1-5 chained, as `make train` runs them; the summary, as data."""
    from course.pipeline import train_pipeline as pipeline

    summary = pipeline(target, **options)
    return {key: (str(value) if isinstance(value, Path) else value) for key, value in summary.items()}
