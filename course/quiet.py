"""Import TensorFlow without its start-up chatter.

TensorFlow writes oneDNN notices and absl warnings straight to file
descriptor 2 while it loads, whatever TF_CPP_MIN_LOG_LEVEL says; a learner
cannot tell them from real errors. We hide stderr for the import only.
"""

import contextlib
import os
import sys
from pathlib import Path


@contextlib.contextmanager
def silenced(*descriptors: int):
    """Send what is written to these file descriptors (C and C++ code included) to /dev/null while inside."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(descriptor) for descriptor in descriptors]
    try:
        with open(os.devnull, "w") as devnull:
            for descriptor in descriptors:
                os.dup2(devnull.fileno(), descriptor)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        for descriptor, copy in zip(descriptors, saved):
            os.dup2(copy, descriptor)
            os.close(copy)


@contextlib.contextmanager
def quietly():
    """Silence what runs inside, Python's prints and the file descriptors (TensorFlow's converter talks from C++)."""
    with (
        silenced(1, 2),
        open(os.devnull, "w") as sink,
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        yield


def import_tensorflow():
    """Import (or return the already imported) tensorflow, quietly."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with silenced(2):
        import keras  # noqa: F401  (keras prints the same notices on its first import)
        import tensorflow
    return tensorflow


def uses_tensorflow(path) -> bool:
    """Whether a lesson file imports Keras or TensorFlow (then import it quietly first)."""
    text = Path(path).read_text(encoding="utf-8")
    return "import keras" in text or "import tensorflow" in text
