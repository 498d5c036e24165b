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
    """A factory for a small compiled CNN standing in for lesson 3's model (stage isolation)."""
    return _tiny_model


def _tiny_model():
    import keras
    from keras import layers

    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ],
        name="fixture_cnn",
    )
    model.compile(
        optimizer=keras.optimizers.Adadelta(learning_rate=1.0), loss="categorical_crossentropy", metrics=["accuracy"]
    )
    return model


@pytest.fixture(scope="session")
def linear_softmax_model():
    """A factory: a linear softmax model with fixed random weights (seeded).

    Its predictions are easy to compute with NumPy. Returns (model, weights (784, 10), bias (10,))."""

    def build(seed):
        import keras

        rng = np.random.default_rng(seed)
        weights = rng.normal(0, 0.3, (784, 10)).astype("float32")
        bias = rng.normal(0, 0.1, 10).astype("float32")
        model = keras.Sequential(
            [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
        )
        model.layers[-1].set_weights([weights, bias])
        return model, weights, bias

    return build
