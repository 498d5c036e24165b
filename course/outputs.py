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
