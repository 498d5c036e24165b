"""Finding and checking MNIST, offline first.

The course never needs the network for its data. ``find_mnist_file`` looks,
in this order, at:

1. a path you pass in;
2. the ``MNIST_NPZ`` environment variable;
3. ``data/mnist.npz`` in the course folder;
4. the Keras cache (``~/.keras/datasets/mnist.npz``, or under ``KERAS_HOME``).

Only when none of these exists does ``download_mnist`` fall back to
``keras.datasets.mnist.load_data()``, which needs the internet (and is switched
off by ``MNIST_OFFLINE=1``, as in the tests and CI). Whatever is loaded is
checked (keys, shapes, dtypes, label range), and every problem is reported as
one sentence that names the file and the fix.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from pathlib import Path

import numpy as np

from course.lessons import ROOT

KEYS = ("x_train", "y_train", "x_test", "y_test")
PROJECT_DATA = ROOT / "data" / "mnist.npz"


class MNISTDataError(RuntimeError):
    """MNIST could not be found or is not what it should be; the message says how to fix it."""


def keras_cache_file() -> Path:
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    return home / "datasets" / "mnist.npz"


def candidate_files() -> list[tuple[str, Path]]:
    """Where we look, in order, as (how it was found, path)."""
    found = []
    if os.environ.get("MNIST_NPZ"):
        found.append(("MNIST_NPZ", Path(os.environ["MNIST_NPZ"]).expanduser()))
    found.append(("the course's data/ folder", PROJECT_DATA))
    found.append(("the Keras cache", keras_cache_file()))
    return found


def find_mnist_file(path: str | os.PathLike | None = None) -> Path | None:
    """Return the first local mnist.npz, or None when only a download would do.

    A path you name (as an argument or in MNIST_NPZ) must exist: a typo there is
    an error, not a reason to quietly look elsewhere.
    """
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise MNISTDataError(f"{path} does not exist; pass the path of a Keras-layout mnist.npz.")
        return path
    for source, candidate in candidate_files():
        if candidate.is_file():
            return candidate
        if source == "MNIST_NPZ":
            raise MNISTDataError(
                f"MNIST_NPZ points to {candidate}, which does not exist; "
                "set MNIST_NPZ to the path of mnist.npz (or unset it)."
            )
    return None


@contextlib.contextmanager
def friendly_data_errors(path: str | os.PathLike):
    """Turn the errors of reading a broken .npz into one clear MNISTDataError."""
    try:
        yield
    except MNISTDataError:
        raise
    except KeyError as error:
        raise MNISTDataError(
            f"{path} has no array named {error.args[0]!r}; it is not a Keras-layout mnist.npz "
            f"(which has {', '.join(KEYS)}). Set MNIST_NPZ to the right file."
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise MNISTDataError(
            f"{path} could not be read ({type(error).__name__}: {error}); the file looks truncated "
            "or corrupt. Delete it and run again, or set MNIST_NPZ to a good copy."
        ) from None


def check_mnist(arrays, source: str | os.PathLike = "MNIST") -> None:
    """Raise MNISTDataError unless ``arrays`` look like the classic MNIST tuple."""
    try:
        (x_train, y_train), (x_test, y_test) = arrays
    except (TypeError, ValueError):
        raise MNISTDataError(
            f"{source}: expected ((x_train, y_train), (x_test, y_test)), found {type(arrays).__name__}; "
            "check how your code builds the tuple."
        ) from None
    problem = _problem(x_train, y_train, x_test, y_test)
    if problem is None:
        return
    if _misordered(x_train, y_train, x_test, y_test):
        raise MNISTDataError(
            f"{problem}: the four arrays are all there, but in another order. Check the order of the tuple "
            "your code builds: ((x_train, y_train), (x_test, y_test)), images before labels, training before test."
        )
    raise MNISTDataError(
        f"{source}: {problem}. This is not the Keras-layout mnist.npz; "
        "set MNIST_NPZ to the right file (or delete a damaged copy and retry)."
    )


def _problem(x_train, y_train, x_test, y_test) -> str | None:
    """What is wrong with four MNIST arrays, in a few words; None when nothing is."""
    for name, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            return f"x_{name} has shape {images.shape}, expected (N, 28, 28)"
        if images.dtype != np.uint8:
            return f"x_{name} has dtype {images.dtype}, expected uint8"
        if labels.shape != (images.shape[0],):
            return f"y_{name} has shape {labels.shape}, expected ({images.shape[0]},) to match x_{name}"
        if not np.issubdtype(labels.dtype, np.integer):
            return f"y_{name} has dtype {labels.dtype}, expected whole numbers"
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            return f"y_{name} has labels from {labels.min()} to {labels.max()}, expected 0 to 9"
    return None


def _misordered(*arrays) -> bool:
    """Whether four arrays that fail the check would pass it in another order (a tuple built wrongly)."""
    import itertools

    return any(_problem(*order) is None for order in itertools.permutations(arrays))


def download_mnist():
    """Last resort, for people with internet: ``keras.datasets.mnist.load_data()``."""
    looked = "; ".join(f"{source} ({path})" for source, path in candidate_files())
    if os.environ.get("MNIST_OFFLINE", "").lower() not in ("", "0", "false", "no"):
        raise MNISTDataError(
            f"MNIST was not found (looked at: {looked}) and downloads are off (MNIST_OFFLINE is set); "
            "set MNIST_NPZ=/path/to/mnist.npz or copy the file to data/mnist.npz."
        )
    print(f"No local copy of MNIST (looked at: {looked}); downloading it once with Keras...")
    try:
        from keras.datasets import mnist

        arrays = mnist.load_data()
    except Exception as error:  # no internet, proxy, full disk: all end the same way
        raise MNISTDataError(
            f"MNIST was not found locally and the download failed ({type(error).__name__}: {error}); "
            "set MNIST_NPZ=/path/to/mnist.npz, or copy the file to data/mnist.npz. "
            f"If {keras_cache_file()} exists now, it may be a partial download: delete it and retry."
        ) from None
    check_mnist(arrays, keras_cache_file())
    return arrays
