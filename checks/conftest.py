"""Fixtures shared by every lesson's checks.

Stage isolation: a lesson's checks take their inputs from here (the reference
data loader, small fixed arrays), never from the learner's earlier lessons, so
someone stuck on lesson 1 can still be graded on lesson 2.
"""

import numpy as np
import pytest

from course.data import find_mnist_file, load_mnist


@pytest.fixture(scope="session")
def mnist_file():
    """The local mnist.npz the course found (MNIST_NPZ, data/, the Keras cache)."""
    return find_mnist_file()


@pytest.fixture(scope="session")
def mnist():
    """MNIST from the course's reference loader: ((x_train, y_train), (x_test, y_test))."""
    return load_mnist()


@pytest.fixture(autouse=True)
def outputs(tmp_path, monkeypatch):
    """Anything a lesson saves during a check goes to a fresh temporary folder."""
    monkeypatch.setenv("COURSE_OUTPUTS", str(tmp_path))
    return tmp_path


@pytest.fixture
def rng():
    return np.random.default_rng(2024)
