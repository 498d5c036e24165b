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

from course.worker.models import (
    clone_model,
    compiled_tiny_model,
    cosine_decay,
    dense_softmax_model,
    one_weight_model,
    save_model,
    set_seed,
    tiny_model,
)

__all__ = [
    "ask_app",
    "call_in_littered_memory",
    "clone_model",
    "close_figures",
    "compiled_tiny_model",
    "cosine_decay",
    "dense_softmax_model",
    "file_facts",
    "folder_names",
    "make_folder",
    "model_from_bytes",
    "one_weight_model",
    "open_image",
    "read_bytes",
    "save_model",
    "served_folder",
    "served_predictor",
    "set_seed",
    "tiny_model",
    "touch_model",
    "train_pipeline",
    "working_folder",
    "wrap",
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


def call_in_littered_memory(function, *args, size: int = 5, value: float = 0.77):
    """Call ``function`` just after leaving ``value`` in freed memory that a new array of ``size`` floats may
    reuse: np.empty's garbage (or np.divide's without ``out=``) made visible, never a lucky 0."""
    leftovers = [np.full(int(size), float(value)) for _ in range(16)]
    del leftovers
    return function(*args)


def open_image(png: bytes):
    """A Pillow image from PNG bytes the checks drew (a canvas drawing), for the learner's to_mnist."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    return image


# -- the learner's web app -------------------------------------------------------------


def ask_app(app, method: str, path: str, query_string: str, headers: list, body: bytes) -> dict:
    """One request, built by the checks, answered by the learner's Flask app through its own test client."""
    response = app.test_client().open(
        path, method=method, query_string=query_string, headers=[tuple(pair) for pair in headers], data=body
    )
    return {"status": response.status_code, "headers": list(response.headers.items()), "body": response.get_data()}


# -- models and the app's served versions -------------------------------------------


def model_from_bytes(data: bytes):
    """A Keras model from .h5 bytes the judge made (so the judge knows its answers, and this worker holds a copy)."""
    from course.worker.models import _keras

    keras = _keras()
    with tempfile.NamedTemporaryFile(suffix=".h5") as handle:
        handle.write(bytes(data))
        handle.flush()
        return keras.models.load_model(handle.name, safe_mode=True)


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


def served_predictor(model_path: str):
    """What the app serves for a model folder (the course's served_predictor: the tree's LitePredictor, or None)."""
    from course.serving import served_predictor as served

    return served(model_path)


def touch_model(model_path: str) -> None:
    """The model trained again: the .h5 changes, the served version stays as it was."""
    path = Path(model_path)
    path.write_bytes(path.read_bytes() + b"\0")


class Wrapped:
    """``module.name`` replaced by a function that tells a stand-in of each call, then calls the original."""

    def __init__(self, target, name: str, standin):
        self.target, self.name = target, str(name)
        self.original = getattr(target, self.name)
        original = self.original

        def told(*args, **kwargs):
            standin(*args, **kwargs)
            return original(*args, **kwargs)

        told.__name__ = getattr(original, "__name__", self.name)
        setattr(target, self.name, told)

    def restore(self) -> None:
        setattr(self.target, self.name, self.original)


def wrap(target, name: str, standin):
    """Tell ``standin`` of every call of ``target.name`` (a module of the learner's, or a library module by its
    name), then make the call as before; ``.restore()`` puts the original back."""
    import importlib

    from course.worker.answers import ROOTS

    if isinstance(target, str):
        if target.split(".")[0] not in (*ROOTS, "ai_edge_litert"):
            raise LookupError(f"the checks cannot wrap {target[:60]}")
        target = importlib.import_module(target)
    return Wrapped(target, name, standin)


# -- the whole pipeline (lesson 6's capstone) -----------------------------------------


def train_pipeline(target: str, **options) -> dict:
    """The learner's lessons 1-5 chained, as `make train` runs them; the summary, as data."""
    from course.pipeline import train_pipeline as pipeline

    summary = pipeline(target, **options)
    return {key: (str(value) if isinstance(value, Path) else value) for key, value in summary.items()}
