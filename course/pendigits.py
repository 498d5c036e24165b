"""Real pen-drawn digits: UCI's "Pen-Based Recognition of Handwritten Digits", the training writers.

7,494 digits by 30 writers (about 250 each), drawn with a stylus on a tablet,
one point every 100 ms (Alpaydin and Alimoglu, 1998; CC BY 4.0). The file
``pendigits-orig.tra`` is UCI's own UNIPEN text: a ``.SEGMENT`` line with the
label, a ``.COMMENT label writer index`` line, then strokes of ``x y`` points
between ``.PEN_DOWN`` and ``.PEN_UP``, with y pointing up.

Found offline first, like MNIST: a path you pass, the ``PENDIGITS`` variable,
``data/pendigits-orig.tra``; only then a download of that one file from UCI
(never its test writers, which are kept for the project's acceptance), for
people with internet and ``MNIST_OFFLINE`` unset. Whatever is read is checked,
and every problem is one sentence that names the file and the fix.

Every use splits **by writer**, never by sample: a figure on writers a model
never saw says how it will do on its next user.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course.lessons import ROOT

PROJECT_FILE = ROOT / "data" / "pendigits-orig.tra"
UCI_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/pendigits/pendigits-orig.tra.Z"
WRITERS = tuple(range(1, 31))
VALIDATION_WRITERS = tuple(range(21, 31))  # the course's split: writers 1-20 to train, 21-30 never seen
TABLET = 500.0  # the tablet's coordinates run from 0 to about 500


class PendigitsDataError(RuntimeError):
    """The pen digits could not be found or read; the message says how to fix it."""


@dataclass(frozen=True)
class PenDigit:
    label: int
    writer: int
    strokes: tuple[np.ndarray, ...]  # each (n, 2): x, y in tablet units, y pointing down (as on a screen)


def find_pendigits_file(path: str | os.PathLike | None = None) -> Path | None:
    """A path you name (an argument or PENDIGITS) must exist; else data/; else None (only a download would do)."""
    named = path or os.environ.get("PENDIGITS")
    if named:
        named = Path(named).expanduser()
        if not named.is_file():
            raise PendigitsDataError(
                f"{named} does not exist; set PENDIGITS to the path of pendigits-orig.tra (or unset it)."
            )
        return named
    return PROJECT_FILE if PROJECT_FILE.is_file() else None


def parse(text: str, source: str = "pendigits-orig.tra") -> list[PenDigit]:
    """Every digit in UNIPEN text; raises PendigitsDataError naming the line that does not fit."""
    digits: list[PenDigit] = []
    label = writer = None
    strokes: list[np.ndarray] = []
    points: list[tuple[float, float]] | None = None

    def finish():
        if label is not None:
            if not strokes:
                raise PendigitsDataError(
                    f"{source}: the digit before line {number} has no strokes; the file looks damaged. "
                    "Get a fresh copy of pendigits-orig.tra."
                )
            digits.append(PenDigit(label, writer, tuple(strokes)))

    number = 0
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or words[0] in (".INCLUDE", ".LEXICON", ".HIERARCHY", ".DT"):  # .DT: time between points
            continue
        try:
            if words[0] == ".SEGMENT":
                finish()
                label, writer, strokes = int(words[-1].strip('"')), None, []
                if not 0 <= label <= 9:
                    raise ValueError(f"label {label}")
            elif words[0] == ".COMMENT":
                writer = int(words[2])
            elif words[0] == ".PEN_DOWN":
                points = []
            elif words[0] == ".PEN_UP":
                if points:
                    xy = np.asarray(points, dtype=np.float32)
                    xy[:, 1] = TABLET - xy[:, 1]  # y up on the tablet, down on a screen
                    strokes.append(xy)
                points = None
            elif points is not None:
                points.append((float(words[0]), float(words[1])))
            else:
                raise ValueError(f"unexpected {line.strip()[:40]!r}")
        except (ValueError, IndexError) as error:
            raise PendigitsDataError(
                f"{source}, line {number}: this is not UNIPEN text as UCI's pendigits-orig.tra has it ({error}); "
                "set PENDIGITS to a good copy."
            ) from None
    finish()
    return digits


def read_pendigits(path: str | os.PathLike) -> list[PenDigit]:
    """Read and check ``path``."""
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise PendigitsDataError(
            f"{path} could not be read ({type(error).__name__}); set PENDIGITS to a good copy of pendigits-orig.tra."
        ) from None
    digits = parse(text, str(path))
    writers = {digit.writer for digit in digits}
    if len(digits) < 1000 or not writers <= set(WRITERS) or None in writers:
        raise PendigitsDataError(
            f"{path} holds {len(digits)} digits by writers {sorted(w for w in writers if w is not None)[:5]}...; "
            "expected UCI's 7,494 training digits by writers 1-30. "
            "Set PENDIGITS to pendigits-orig.tra (not the .tes file)."
        )
    return digits


def download_pendigits() -> Path:
    """For people with internet: fetch UCI's pendigits-orig.tra (only that file) into data/."""
    if os.environ.get("MNIST_OFFLINE", "").lower() not in ("", "0", "false", "no"):
        raise PendigitsDataError(
            f"The pen digits were not found (PENDIGITS, {PROJECT_FILE}) and downloads are off (MNIST_OFFLINE is set); "
            "set PENDIGITS=/path/to/pendigits-orig.tra."
        )
    try:
        import unlzw3  # UCI serves the file compressed with Unix `compress` (.Z)
    except ImportError:
        raise PendigitsDataError(
            "Reading UCI's .Z file needs the unlzw3 package; run `make setup` (it installs the pinned packages)."
        ) from None

    print(
        f"No local copy of the pen digits; downloading pendigits-orig.tra once from UCI into {PROJECT_FILE.parent}/ ..."
    )
    try:
        with urllib.request.urlopen(UCI_URL, timeout=60) as response:
            data = unlzw3.unlzw(response.read())
    except Exception as error:
        raise PendigitsDataError(
            f"The pen digits were not found locally and the download failed ({type(error).__name__}: {error}); "
            "download pendigits-orig.tra from UCI's 'Pen-Based Recognition of Handwritten Digits' page "
            "and set PENDIGITS to it."
        ) from None
    PROJECT_FILE.parent.mkdir(parents=True, exist_ok=True)
    PROJECT_FILE.write_bytes(data)
    return PROJECT_FILE


def load_pendigits(path: str | os.PathLike | None = None) -> list[PenDigit]:
    """Every training-writer digit, offline first."""
    found = find_pendigits_file(path)
    return read_pendigits(found if found is not None else download_pendigits())
