"""Where lessons save what they make (figures, models): ``outputs/`` unless COURSE_OUTPUTS says otherwise;
what a lesson measured last time; and the values a README's "Try this" sets on the command line."""

import os
from pathlib import Path

from course.lessons import ROOT


def output_path(name: str) -> Path:
    """The path for an output file called ``name``; its folder is created if needed."""
    folder = Path(os.environ.get("COURSE_OUTPUTS") or ROOT / "outputs")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    try:
        return path.resolve().relative_to(Path.cwd())  # shorter to read in messages
    except ValueError:
        return path


def since_last_time(key: str, value: float, form: str = "{:.2%}") -> str:
    """`` (last time: 95.90%)`` beside a score a lesson measures again, and remember this one.

    The scores live in outputs/scores.json, one per ``key`` (a lesson's measure); the first time there is
    nothing to say. ``form`` formats both numbers alike.
    """
    import contextlib
    import json

    path = Path(output_path("scores.json"))
    try:
        scores = json.loads(path.read_text())
    except (OSError, ValueError):
        scores = {}
    before = scores.get(key)
    scores[key] = float(value)
    with contextlib.suppress(OSError):  # a read-only folder: the score is still printed
        path.write_text(json.dumps(scores, indent=2, sort_keys=True) + "\n")
    if not isinstance(before, (int, float)):
        return ""
    if form.format(before) == form.format(value):
        return " (the same as last time)"
    return f" (last time: {form.format(before)})"


def tried(name: str, default):
    """A value from the command line for a "Try this" (``make run-lesson4 OVERFIT_DIGITS=5000``), else ``default``.

    The value is read as the default's type (a number, True/False, or a tuple of numbers written ``0.3,1,3``)
    and said aloud when it is not the default, so the run shows what it tried.
    """
    import os

    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if isinstance(default, bool):
        value = text.lower() in ("1", "true", "yes", "on")
    elif isinstance(default, tuple):
        value = tuple(type(default[0])(part) for part in text.replace(" ", "").split(",") if part)
    else:
        value = type(default)(text)
    print(f"Trying {name}={text} (the file says {default}).")
    return value
