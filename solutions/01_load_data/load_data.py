"""
Lesson 1: Load the data
Look at MNIST before you teach a network anything: how many images, what
shape, which labels, what the digits look like.

Run it with `make run-lesson1`; grade it with `make check-lesson1`.
"""

import matplotlib
import numpy as np

matplotlib.use("Agg")  # draw into files, not windows: works on any machine
import matplotlib.pyplot as plt

from course.helpers import check_mnist, download_mnist, find_mnist_file, friendly_data_errors, output_path

NUM_CLASSES = 10

"""
## Load the four arrays

`mnist.npz` is a zip of NumPy arrays named `x_train`, `y_train`, `x_test` and
`y_test`. Keras's own `mnist.load_data()` hands them back as two pairs:
`(x_train, y_train), (x_test, y_test)`. We return exactly that, so every
later lesson (and any Keras tutorial you read) can unpack it the same way.
"""


def load_mnist(path=None):
    """Return MNIST as ((x_train, y_train), (x_test, y_test))."""
    # Given: where the file is. MNIST_NPZ, then data/mnist.npz, then the Keras cache.
    path = find_mnist_file(path)
    if path is None:
        return download_mnist()  # only for people with internet
    with friendly_data_errors(path):  # a damaged file gets a clear message
        # BEGIN TODO 1: Open `path` with np.load and build the classic tuple
        #   ((x_train, y_train), (x_test, y_test)) in a variable called `arrays`.
        # HINT: np.load gives you a dict-like object. Which names does the README's table list?
        # HINT: np.load keeps the file open until it is closed. Which Python statement closes it
        #   for you at the end of a block, and must the arrays be taken out inside that block?
        with np.load(path) as data:
            arrays = (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
        # END TODO
    check_mnist(arrays, path)  # given: shapes, dtypes and labels are what we expect
    return arrays


"""
## Count each class

A classifier trained on lopsided data learns the lopsidedness. MNIST is
close to balanced; counting the labels shows how close.
"""


def class_counts(labels):
    """Return an int array of length 10: how many times each digit 0-9 appears."""
    # BEGIN TODO 2: Count how many labels are 0, how many are 1, ... up to 9.
    #   Return a NumPy array of 10 whole numbers, even if some digit never appears.
    # HINT: np.bincount counts for you. What does its `minlength` argument do?
    return np.bincount(np.asarray(labels).ravel(), minlength=NUM_CLASSES)
    # END TODO


def pixel_range(images):
    """Return (smallest, largest) pixel value in `images`, as plain Python ints."""
    # BEGIN TODO 3: Return the smallest and the largest pixel value as a tuple of two ints.
    # HINT: Which array methods give the smallest and largest value? And what turns a NumPy number
    #   into a plain Python int?
    return int(images.min()), int(images.max())
    # END TODO


"""
## Look at the digits

A grid of examples with their labels: the quickest sanity check there is.
If the labels don't match the pictures, nothing later will work.
"""


def plot_samples(images, labels, path, n_rows=3, n_cols=6):
    """Save a grid of the first n_rows * n_cols digits, each titled with its label.

    Returns the matplotlib Figure, so you can look at it in a notebook too.
    """
    # BEGIN TODO 4: Make a figure with an n_rows x n_cols grid of axes (plt.subplots).
    #   In axes number i show images[i] in gray with imshow, set its title to the
    #   label (e.g. "5"), and hide the ticks with axis("off"). Save it to `path` as a PNG
    #   and return the figure.
    # HINT: plt.subplots(n_rows, n_cols) returns (figure, axes). How do you walk a 2-D grid of axes in
    #   reading order (axes.flat), and which image goes in axes number i?
    # HINT: Which method of the figure writes it to a file, and how does it know the file should be a PNG?
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.4 * n_cols, 1.6 * n_rows))
    for index, ax in enumerate(np.atleast_1d(axes).flat):
        ax.imshow(images[index], cmap="gray")
        ax.set_title(str(int(labels[index])))
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
    return fig
    # END TODO


def main():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    print(f"x_train: {x_train.shape} {x_train.dtype}   y_train: {y_train.shape} {y_train.dtype}")
    print(f"x_test:  {x_test.shape} {x_test.dtype}   y_test:  {y_test.shape} {y_test.dtype}")
    print("Training images per digit:")
    for digit, count in enumerate(class_counts(y_train)):
        print(f"  {digit}: {count:5d}  {'#' * (count // 200)}")
    low, high = pixel_range(x_train)
    print(f"Pixel values run from {low} to {high}.")
    path = output_path("lesson01_samples.png")
    plot_samples(x_train, y_train, path)
    print(f"Saved a grid of sample digits to {path}")


if __name__ == "__main__":
    main()
