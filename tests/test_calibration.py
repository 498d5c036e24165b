"""Honest confidence (course/calibration.py), in milliseconds.

Temperature scaling and the expected calibration error.
"""

import numpy as np
import pytest

from course.calibration import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    load_temperature,
    save_temperature,
    sidecar,
)


def over_sure(n=4000, temperature=2.5, seed=0):
    """Labels drawn from softmax(logits), and the probabilities a model twice as sure (logits x 2.5) would give."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2.0, (n, 10))
    honest = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(10, p=row) for row in honest])
    sure = np.exp(logits * temperature)
    return sure / sure.sum(axis=1, keepdims=True), labels, honest


def test_temperature_keeps_the_answer_and_softens_it():
    probabilities, _, _ = over_sure(50)
    soft = apply_temperature(probabilities, 2.0)
    assert np.array_equal(soft.argmax(axis=1), probabilities.argmax(axis=1))
    assert np.all(soft.max(axis=1) <= probabilities.max(axis=1) + 1e-6)
    assert np.allclose(soft.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(apply_temperature(probabilities, 1.0), probabilities, atol=1e-6)


def test_the_fitted_temperature_undoes_over_confidence():
    probabilities, labels, honest = over_sure()
    temperature = fit_temperature(probabilities, labels)
    assert temperature == pytest.approx(2.5, rel=0.1)
    before = expected_calibration_error(probabilities, labels)
    after = expected_calibration_error(apply_temperature(probabilities, temperature), labels)
    assert after < before / 3 and after == pytest.approx(expected_calibration_error(honest, labels), abs=0.02)


def test_expected_calibration_error_by_hand():
    # two answers at 0.9 (one right) and two at 0.6 (both right): |0.5 - 0.9| / 2 + |1.0 - 0.6| / 2 = 0.4
    probabilities = np.array([[0.9, 0.1], [0.9, 0.1], [0.4, 0.6], [0.4, 0.6]])
    assert expected_calibration_error(probabilities, np.array([0, 1, 1, 1]), bins=10) == pytest.approx(0.4)


def test_the_temperature_file_beside_the_model(tmp_path):
    model = tmp_path / "digit_classifier.h5"
    assert sidecar(model).name == "digit_classifier.calibration.json"
    assert load_temperature(model) == 1.0  # none saved: no change
    save_temperature(model, 1.7, validation_ece_before=0.01)
    assert load_temperature(model) == 1.7
    sidecar(model).write_text("{not json")
    assert load_temperature(model) == 1.0
