"""Honest confidence: temperature scaling (Guo et al., 2017).

A network trained with cross-entropy tends to be over-sure: all but certain of
a scribble. Temperature scaling divides the network's log-probabilities by
one number T (fitted on validation data, never the test) before the softmax.
T > 1 softens every answer alike, so the predicted digit never changes; only
how sure the app says it is.

``make train`` fits T on its validation images and saves it beside the model
(``digit_classifier.calibration.json``); ``load_trained_model`` reads it back
into ``model.course_temperature`` and the app's Predictor applies it.
The expected calibration error (ECE) measures the gap between how sure the
model says it is and how often it is right, averaged over confidence bins.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np

UNSURE_BELOW = 0.6  # the page says "not sure" below this confidence (app_template/static/app.js)


def sidecar(model_path) -> Path:
    """Where a model's temperature is kept: beside it, digit_classifier.h5 -> digit_classifier.calibration.json."""
    path = Path(model_path)
    return path.with_name(path.stem + ".calibration.json")


def apply_temperature(probabilities, temperature: float = 1.0) -> np.ndarray:
    """Soften (T > 1) or sharpen (T < 1) probabilities along the last axis; T = 1 leaves them as they are."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if temperature == 1.0:
        return probabilities.astype(np.float32)
    logits = np.log(np.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    exp = np.exp(logits)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


def negative_log_likelihood(probabilities, labels) -> float:
    picked = np.asarray(probabilities)[np.arange(len(labels)), np.asarray(labels)]
    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))


def fit_temperature(probabilities, labels, low: float = 0.25, high: float = 8.0) -> float:
    """The T that minimises the negative log-likelihood of ``labels`` (a golden-section search on log T)."""
    a, b = np.log(low), np.log(high)
    ratio = (np.sqrt(5) - 1) / 2

    def loss(log_t):
        return negative_log_likelihood(apply_temperature(probabilities, float(np.exp(log_t))), labels)

    c, d = b - ratio * (b - a), a + ratio * (b - a)
    for _ in range(40):
        if loss(c) < loss(d):
            b = d
        else:
            a = c
        c, d = b - ratio * (b - a), a + ratio * (b - a)
    return round(float(np.exp((a + b) / 2)), 4)


def expected_calibration_error(probabilities, labels, bins: int = 15) -> float:
    """Average |accuracy - confidence| over equal-width confidence bins, weighted by how many answers fall in each."""
    probabilities = np.asarray(probabilities)
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == np.asarray(labels)
    edges = np.linspace(0.0, 1.0, bins + 1)
    error = 0.0
    for low, high in itertools.pairwise(edges):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            error += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(error)


def save_temperature(model_path, temperature: float, **measured) -> Path:
    path = sidecar(model_path)
    path.write_text(json.dumps({"temperature": temperature, **measured}, indent=2) + "\n")
    return path


def load_temperature(model_path) -> float:
    """The temperature saved beside a model, or 1.0 (no change) when there is none or it cannot be read."""
    path = sidecar(model_path)
    try:
        value = float(json.loads(path.read_text())["temperature"])
    except (OSError, ValueError, KeyError, TypeError):
        return 1.0
    return value if 0.05 <= value <= 20 else 1.0


def calibrate(model, x_val, y_val, model_path) -> float:
    """Fit the temperature that makes the model's confidence honest on the validation images.

    The temperature is saved beside the model.
    """
    from course.lessons import display_path

    probabilities = np.asarray(model.predict(x_val, batch_size=1000, verbose=0))
    labels = np.asarray(y_val).argmax(axis=1) if np.ndim(y_val) == 2 else np.asarray(y_val)
    temperature = fit_temperature(probabilities, labels)
    before = expected_calibration_error(probabilities, labels)
    after = expected_calibration_error(apply_temperature(probabilities, temperature), labels)
    path = save_temperature(
        model_path, temperature, validation_ece_before=round(before, 5), validation_ece_after=round(after, 5)
    )
    print(
        f"Calibration: temperature {temperature:.2f}; "
        f"expected calibration error on validation {before:.2%} -> {after:.2%} ({display_path(path)})"
    )
    return temperature
