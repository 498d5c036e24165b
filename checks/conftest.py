"""Fixtures shared by every lesson's checks.

Stage isolation: a lesson's checks take their inputs from here (the reference
data loader, small fixed arrays), never from the learner's earlier lessons, so
someone stuck on lesson 1 can still be graded on lesson 2.

The checks run in a process of their own; the learner's code runs in a worker
(``import_lesson``). Inputs that must live beside the learner's code (a small
Keras model, a folder to save into) are made there with ``given`` and
``folder``; what the checks compare against is computed here.
"""

import secrets

import numpy as np
import pytest

from course.checking import folder, given
from course.data import find_mnist_file
from course.mnist_file import load_mnist


@pytest.fixture(scope="session")
def mnist_file():
    """The local mnist.npz the course found (MNIST_NPZ, data/, the Keras cache)."""
    return find_mnist_file()


@pytest.fixture(scope="session")
def mnist():
    """MNIST from the course's reference loader: ((x_train, y_train), (x_test, y_test))."""
    return load_mnist()


@pytest.fixture
def outputs():
    """A fresh folder in the worker's world where the lesson's code saves what it makes during this check.

    (Outside a check's own folder, the worker's temporary space takes what a lesson saves: never the course's
    outputs/.)"""
    return folder("outputs", outputs=True)


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def reference_preprocess(images, labels):
    """The course's own preprocessing (lesson 2's result), so later lessons don't depend on the learner's."""
    x = (np.asarray(images, dtype="float32") / 255.0)[..., np.newaxis]
    y = np.eye(10, dtype="float32")[np.asarray(labels, dtype=int)]
    return x, y


@pytest.fixture(scope="session")
def train_slice(mnist):
    """2,000 preprocessed training images and one-hot labels."""
    (x_train, y_train), _ = mnist
    return reference_preprocess(x_train[:2000], y_train[:2000])


@pytest.fixture(scope="session")
def val_slice(mnist):
    """500 preprocessed images from the end of the training set, for validation."""
    (x_train, y_train), _ = mnist
    return reference_preprocess(x_train[-500:], y_train[-500:])


@pytest.fixture(scope="session")
def make_tiny_model():
    """A factory for a small compiled CNN standing in for lesson 3's model (stage isolation), made in the worker."""
    return given.tiny_model


def linear_weights(seed):
    """Fixed random weights (784, 10) and bias (10,) for a linear softmax model, chosen here."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.3, (784, 10)).astype("float32"), rng.normal(0, 0.1, 10).astype("float32")


def softmax_of(images, weights, bias):
    """What the linear softmax model with these weights answers, computed here with NumPy."""
    logits = np.asarray(images, dtype="float32").reshape(len(images), -1) @ weights + bias
    exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


@pytest.fixture(scope="session")
def linear_softmax_model():
    """A factory: a linear softmax model with fixed random weights (seeded), made in the worker.

    Its predictions are easy to compute with NumPy (``softmax_of``). Returns (model, weights (784, 10), bias (10,))."""

    def build(seed):
        weights, bias = linear_weights(seed)
        return given.dense_softmax_model(weights, bias), weights, bias

    return build


@pytest.fixture
def draw():
    """Random numbers drawn afresh for every run of a check: inputs a learner cannot guess, nor type in."""
    return np.random.default_rng(secrets.randbits(64))
