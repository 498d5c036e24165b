"""Where lessons save what they make (figures, models): ``outputs/`` unless COURSE_OUTPUTS says otherwise."""

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
