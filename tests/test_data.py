"""The offline-first MNIST loader: finds the file, and explains every way it can be wrong."""

import numpy as np
import pytest

from course import data, mnist_file
from course.data import MNISTDataError


def write_npz(path, **overrides):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 20).astype(np.uint8),
        "x_test": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 6).astype(np.uint8),
    }
    arrays.update(overrides)
    np.savez_compressed(path, **{key: value for key, value in arrays.items() if value is not None})
    return path


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No MNIST anywhere: no MNIST_NPZ, an empty data/ folder and Keras cache, downloads off."""
    monkeypatch.delenv("MNIST_NPZ", raising=False)
    monkeypatch.setenv("MNIST_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(data, "PROJECT_DATA", tmp_path / "data" / "mnist.npz")
    return tmp_path


def test_loads_a_good_file(nowhere):
    path = write_npz(nowhere / "good.npz")
    (x_train, _y_train), (_x_test, y_test) = mnist_file.load_mnist(path)
    assert x_train.shape == (20, 28, 28) and y_test.shape == (6,)


def test_search_order(nowhere, monkeypatch):
    keras_file = nowhere / "keras" / "datasets" / "mnist.npz"
    keras_file.parent.mkdir(parents=True)
    write_npz(keras_file)
    assert data.find_mnist_file() == keras_file
    data.PROJECT_DATA.parent.mkdir()
    write_npz(data.PROJECT_DATA)
    assert data.find_mnist_file() == data.PROJECT_DATA
    explicit = write_npz(nowhere / "explicit.npz")
    monkeypatch.setenv("MNIST_NPZ", str(explicit))
    assert data.find_mnist_file() == explicit
    assert data.find_mnist_file(keras_file) == keras_file


def test_missing_file_named_by_env(nowhere, monkeypatch):
    monkeypatch.setenv("MNIST_NPZ", str(nowhere / "typo.npz"))
    with pytest.raises(MNISTDataError, match=r"MNIST_NPZ points to .*typo\.npz, which does not exist"):
        mnist_file.load_mnist()


def test_nothing_found_offline(nowhere):
    with pytest.raises(MNISTDataError) as error:
        mnist_file.load_mnist()
    message = str(error.value)
    assert "MNIST_NPZ" in message and "data/mnist.npz" in message and "MNIST_OFFLINE" in message
    assert "\n" not in message


def test_wrong_keys(nowhere):
    path = write_npz(nowhere / "odd.npz", x_test=None)
    with pytest.raises(MNISTDataError, match=r"odd\.npz is missing x_test .*Set MNIST_NPZ"):
        mnist_file.load_mnist(path)


def test_truncated_file(nowhere):
    good = write_npz(nowhere / "good.npz")
    cut = nowhere / "cut.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(MNISTDataError, match=r"cut\.npz could not be read .*truncated or corrupt\. Delete it"):
        mnist_file.load_mnist(cut)


def test_not_a_zip_at_all(nowhere):
    path = nowhere / "notes.npz"
    path.write_text("hello")
    with pytest.raises(MNISTDataError, match="truncated or corrupt"):
        mnist_file.load_mnist(path)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"x_train": np.zeros((20, 28, 27), np.uint8)}, r"x_train has shape \(20, 28, 27\), expected \(N, 28, 28\)"),
        ({"x_test": np.zeros((6, 28, 28), np.float32)}, "x_test has dtype float32, expected uint8"),
        ({"y_train": np.zeros(19, np.uint8)}, r"y_train has shape \(19,\), expected \(20,\)"),
        ({"y_test": np.array([0, 1, 2, 3, 4, 12], np.uint8)}, "y_test has labels from 0 to 12, expected 0 to 9"),
    ],
)
def test_wrong_contents(nowhere, overrides, message):
    path = write_npz(nowhere / "bad.npz", **overrides)
    with pytest.raises(MNISTDataError, match=message):
        mnist_file.load_mnist(path)


def test_the_course_data_is_valid():
    """The MNIST the checks use (MNIST_NPZ in CI) passes the loader's own validation."""
    (_x_train, _y_train), (_x_test, y_test) = mnist_file.load_mnist()
    assert np.bincount(y_test, minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
