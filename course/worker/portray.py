"""How the worker portrays objects that the checks read as data: a figure's contents, a training history.

A matplotlib Figure crosses as a description of what is drawn (each axes'
place, title, labels, ticks, lines, images, texts and legend), a Keras History
as its ``history``, ``params`` and ``epoch``. The checks read those on their
side (``course.checking.views``); the objects themselves stay in the worker
and go back to the learner's code by reference when the checks hand them on.
Runs in the worker, beside the learner's code (nothing here decides anything).
"""

from __future__ import annotations

import sys

import numpy as np


def view_of(value, encoder, depth: int) -> dict | None:
    """A tagged description of ``value`` if it is a figure or a history, else None."""
    figure_module = sys.modules.get("matplotlib.figure")
    if figure_module is not None and isinstance(value, figure_module.Figure):
        return {"$t": "figure", "v": encoder.encode(describe_figure(value), depth + 1)}
    callbacks = sys.modules.get("keras.callbacks")
    if callbacks is not None and isinstance(value, callbacks.History):
        history = {
            "history": {str(key): [float(v) for v in values] for key, values in dict(value.history).items()},
            "params": {str(key): item for key, item in dict(getattr(value, "params", None) or {}).items()},
            "epoch": [int(epoch) for epoch in getattr(value, "epoch", [])],
        }
        return {"$t": "history", "v": encoder.encode(history, depth + 1)}
    return None


def _text(artist) -> dict:
    x, y = artist.get_position()
    return {
        "text": str(artist.get_text()),
        "x": float(x),
        "y": float(y),
        "ha": str(artist.get_ha()),
        "va": str(artist.get_va()),
    }


def describe_axes(ax) -> dict:
    box = ax.get_position()
    legend = ax.get_legend()
    return {
        "position": [float(box.x0), float(box.y0), float(box.x1), float(box.y1)],
        "title": str(ax.get_title()),
        "xlabel": str(ax.get_xlabel()),
        "ylabel": str(ax.get_ylabel()),
        "axison": bool(ax.axison),
        "xticks": [float(t) for t in ax.get_xticks()],
        "yticks": [float(t) for t in ax.get_yticks()],
        "lines": [
            {
                "x": np.asarray(line.get_xdata(), dtype=float),
                "y": np.asarray(line.get_ydata(), dtype=float),
                "label": str(line.get_label()),
            }
            for line in ax.get_lines()
        ],
        "images": [
            {
                "array": np.asarray(image.get_array()),
                "cmap": str(image.get_cmap().name),
                "norm": type(image.norm).__name__,
            }
            for image in ax.images
        ],
        "texts": [_text(text) for text in ax.texts],
        "legend": None if legend is None else [str(text.get_text()) for text in legend.get_texts()],
    }


def describe_figure(figure) -> dict:
    width, height = figure.get_size_inches()
    return {
        "axes": [describe_axes(ax) for ax in figure.axes],
        "size_inches": [float(width), float(height)],
        "dpi": float(figure.dpi),
        "suptitle": str(figure._suptitle.get_text()) if getattr(figure, "_suptitle", None) is not None else "",
    }
