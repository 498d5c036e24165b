"""The trained model's file: where a tree keeps it, and loading it with a message that names the fix.

Used by `make train`, the app (lesson 6's given code, through ``course.helpers``),
`make finetune` and the benchmarks.
"""

from __future__ import annotations

import os
from pathlib import Path

from course.lessons import ROOT, SOLUTIONS_DIR, all_lessons, display_path


class ModelFileError(RuntimeError):
    """The trained model file is missing or unreadable; the message says which `make train` to run."""


def default_model_path(target: Path) -> Path:
    """Where a tree's trained model lives: MODEL_PATH, else digit_classifier.h5 (solutions at the top)."""
    if os.environ.get("MODEL_PATH"):
        return Path(os.environ["MODEL_PATH"])
    folder = ROOT if target.resolve() == SOLUTIONS_DIR.resolve() else target
    return folder / "digit_classifier.h5"


def train_command(model_path) -> str:
    """The command that trains the model at ``model_path``: `make train`, with TARGET= for a learner's tree."""
    path = Path(model_path).resolve()
    if path == (ROOT / "digit_classifier.h5").resolve():
        return "make train"
    if path.name == "digit_classifier.h5" and any((path.parent / lesson.dir).is_dir() for lesson in all_lessons()):
        return f"make train TARGET={display_path(path.parent)}"
    return f"make train MODEL_PATH={display_path(path)}"


def load_trained_model(path):
    """Load a saved Keras model, or explain in one sentence what to do."""
    path = Path(path)
    if not path.is_file():
        elsewhere = "" if os.environ.get("MODEL_PATH") else " (or set MODEL_PATH=... to a model trained elsewhere)"
        raise ModelFileError(
            f"There is no trained model at {display_path(path)}; run `{train_command(path)}` first{elsewhere}."
        )
    import keras

    from course.calibration import load_temperature

    try:
        model = keras.models.load_model(path, compile=False)  # for predictions only
    except Exception as error:  # truncated file, not HDF5, wrong architecture: the fix is the same
        raise ModelFileError(
            f"{display_path(path)} could not be loaded as a Keras model ({type(error).__name__}: {str(error)[:120]}); "
            f"delete it and run `{train_command(path)}` again."
        ) from None
    model.course_temperature = load_temperature(path)  # 1.0 unless `make train` calibrated it
    return model
