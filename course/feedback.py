"""The app learns from its user: "Wrong? It was a ..." stores the drawing with the right digit.

Each correction keeps the drawing as the user sent it (PNG), the 28 x 28
picture the model saw, the right digit, the model's guess and its confidence,
and the time, in SQLite (the standard library's ``sqlite3``) in the app's
instance folder. The database runs in WAL mode with a busy timeout, and every
request opens its own connection, so many gunicorn workers and threads can
write at once without "database is locked". ``make finetune``
(``course/finetune.py``) later trains the served model on the corrections.

``register(app, to_mnist)`` adds the routes to a lesson 6 app (its given
code calls it): ``POST /feedback`` and ``GET /feedback``. ``FEEDBACK=False`` in
the app's config turns storing off; ``FEEDBACK_DB`` names the file.
"""

from __future__ import annotations

import base64
import binascii
import io
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,          -- seconds since the epoch
    label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    guess INTEGER CHECK (guess BETWEEN 0 AND 9),
    confidence REAL,
    drawing BLOB NOT NULL,          -- the PNG the page sent
    image28 BLOB NOT NULL           -- the 28 x 28 float32 picture the model saw
)
"""
MAX_DRAWING_BYTES = 2 * 1024 * 1024


class CorrectionStore:
    """The corrections in one SQLite file; safe to use from many processes and threads at once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(100):
            try:
                with closing(self.connect()) as connection:
                    # WAL: readers never block the writer, nor the writer them. Switching to it needs the
                    # file to itself, and SQLite answers "locked" at once (no busy wait) when two workers
                    # open a new file together: so try again, a little later.
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.execute(SCHEMA)
                    connection.commit()
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == 99:
                    raise
                time.sleep(0.05)

    def connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30)  # wait for a busy database, never fail at once
        connection.execute("PRAGMA busy_timeout = 30000")
        return connection

    def add(self, label: int, guess: int | None, confidence: float | None, drawing: bytes, image28: np.ndarray) -> int:
        row = (time.time(), int(label), guess, confidence, drawing, np.asarray(image28, dtype=np.float32).tobytes())
        with closing(self.connect()) as connection, connection:
            cursor = connection.execute(
                "INSERT INTO corrections (created, label, guess, confidence, drawing, image28) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid)

    def count(self) -> int:
        with closing(self.connect()) as connection:
            return int(connection.execute("SELECT COUNT(*) FROM corrections").fetchone()[0])

    def all(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every correction, oldest first: (images (N, 28, 28), labels, guesses, times)."""
        with closing(self.connect()) as connection:
            rows = connection.execute(
                "SELECT image28, label, guess, created FROM corrections ORDER BY created, id"
            ).fetchall()
        images = np.asarray(
            [np.frombuffer(row[0], dtype=np.float32).reshape(28, 28) for row in rows], dtype=np.float32
        ).reshape(-1, 28, 28)
        return (
            images,
            np.asarray([row[1] for row in rows]),
            np.asarray([-1 if row[2] is None else row[2] for row in rows]),
            np.asarray([row[3] for row in rows]),
        )


def _digit(value, name: str, required: bool) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
        raise ValueError(f"{name} must be a whole number from 0 to 9")
    return value


def register(app, to_mnist) -> None:
    """Add POST /feedback and GET /feedback to ``app``; ``to_mnist`` is the app's own preprocessing."""
    from flask import jsonify, request
    from PIL import Image, UnidentifiedImageError

    app.config.setdefault("FEEDBACK", True)
    app.config.setdefault("FEEDBACK_DB", str(Path(app.instance_path) / "corrections.sqlite3"))
    opened: list[CorrectionStore] = []

    def store(create: bool) -> CorrectionStore | None:
        """The store, opened on first use (an app that is never corrected leaves no file behind)."""
        if not app.config["FEEDBACK"]:
            return None
        if not opened and (create or Path(app.config["FEEDBACK_DB"]).is_file()):
            opened.append(CorrectionStore(app.config["FEEDBACK_DB"]))
        return opened[0] if opened else None

    app.extensions["corrections"] = store

    @app.get("/feedback")
    def feedback_count():
        current = store(create=False)
        return jsonify(storing=bool(app.config["FEEDBACK"]), corrections=current.count() if current else 0)

    @app.post("/feedback")
    def feedback():
        if not app.config["FEEDBACK"]:
            return jsonify(error="Corrections are not stored on this server."), 403
        payload = request.get_json(silent=True) if request.is_json else None
        if not isinstance(payload, dict):
            return jsonify(
                error='send JSON like {"image": "data:image/png;base64,...", '
                '"label": 7, "guess": 1, "confidence": 0.62}'
            ), 400
        try:
            label = _digit(payload.get("label"), "label", required=True)
            guess = _digit(payload.get("guess"), "guess", required=False)
            confidence = payload.get("confidence")
            if confidence is not None and (
                isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1
            ):
                raise ValueError("confidence must be a number from 0 to 1")
            header, _, encoded = str(payload.get("image", "")).partition(",")
            if not header.startswith("data:image/png;base64") or not encoded:
                raise ValueError("image must be a PNG data URL: data:image/png;base64,...")
            drawing = base64.b64decode(encoded, validate=True)
            if len(drawing) > MAX_DRAWING_BYTES:
                raise ValueError("the drawing is too large")
            with Image.open(io.BytesIO(drawing)) as picture:
                picture.load()
                image28 = to_mnist(picture)
        except binascii.Error:
            return jsonify(error="the image's base64 data is malformed"), 400
        except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
            return jsonify(error="the image could not be read as a PNG"), 400
        except ValueError as error:
            return jsonify(error=str(error)), 400
        if image28 is None:
            return jsonify(error="The drawing is empty: there is nothing to learn from."), 422
        current = store(create=True)
        number = current.add(label, guess, float(confidence) if confidence is not None else None, drawing, image28)
        return jsonify(stored=number, corrections=current.count()), 201
