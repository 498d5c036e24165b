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
def _stderr_silenced():
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow():
    """Import (or return the already imported) tensorflow, quietly."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_silenced():
        import keras  # noqa: F401  (keras prints the same notices on its first import)
        import tensorflow
    return tensorflow


def uses_tensorflow(path) -> bool:
    """Whether a lesson file imports Keras or TensorFlow (then import it quietly first)."""
    text = Path(path).read_text(encoding="utf-8")
    return "import keras" in text or "import tensorflow" in text
