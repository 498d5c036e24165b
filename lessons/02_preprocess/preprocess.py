"""
Lesson 2: Preprocess
Turn raw MNIST into what a Keras CNN eats: images of shape (N, 28, 28, 1)
as float32 in [0, 1], and labels as one-hot rows of shape (N, 10).

Run it with `make run-lesson2`; grade it with `make check-lesson2`.
"""

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from load_data import load_mnist

from course.helpers import output_path

IMAGE_SIZE = 28
NUM_CLASSES = 10

"""
## Images: add a channel axis, scale to [0, 1]

A Conv2D layer wants every image as height x width x channels. MNIST is
grayscale, so there is one channel: (N, 28, 28) becomes (N, 28, 28, 1).
Pixels arrive as uint8 from 0 to 255; networks train best on small floats,
so we divide by 255 -- after converting to float32, because dividing a
uint8 array with `//` (or in place) would keep whole numbers.
"""


def preprocess_images(images):
    """Return `images` (N, 28, 28) uint8 as a new float32 array (N, 28, 28, 1) in [0, 1].

    Raises ValueError if the images are not 28 x 28. The input is not changed.
    """
    images = np.asarray(images)
    # TODO 1: If `images` is not 3-D with 28 x 28 images, raise a ValueError whose
    #   message says which shape was expected and which was found.
    raise NotImplementedError("TODO 1: preprocess_images() is not done yet")
    # TODO 2: Return a float32 copy scaled to [0, 1] with a channel axis at the end:
    #   shape (N, 28, 28, 1).
    raise NotImplementedError("TODO 2: preprocess_images() is not done yet")


"""
## Labels: one-hot

The network's last layer gives 10 probabilities. To compare them with the
truth, each label becomes a row of 10 numbers: 1.0 at the label's index and
0.0 elsewhere. A 3 becomes [0, 0, 0, 1, 0, 0, 0, 0, 0, 0].
"""


def one_hot(labels, num_classes=NUM_CLASSES):
    """Return labels (N,) as float32 one-hot rows (N, num_classes).

    Raises ValueError for a label outside 0 .. num_classes - 1.
    """
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be 0 to {num_classes - 1}, found {labels.min()} to {labels.max()}")
    # TODO 3: Turn each label into a float32 row with a single 1.0 at the label's index.
    raise NotImplementedError("TODO 3: one_hot() is not done yet")


def preprocess(x, y):
    """Preprocess images and labels together: returns (images, one_hot_labels)."""
    return preprocess_images(x), one_hot(y)


def plot_before_after(raw_image, image, label_row, path):
    """Given: a picture of one digit before and after preprocessing, and its one-hot label."""
    fig, (before, after, label) = plt.subplots(1, 3, figsize=(10, 3.2), gridspec_kw={"width_ratios": [1, 1, 1.3]})
    for ax, picture, title in (
        (before, raw_image, f"before: {raw_image.dtype}, 0..255"),
        (after, image[..., 0], f"after: {image.dtype}, 0..1"),
    ):
        shown = ax.imshow(picture, cmap="gray")
        fig.colorbar(shown, ax=ax, fraction=0.046)
        ax.set_title(title)
        ax.axis("off")
    label.bar(range(NUM_CLASSES), label_row, color="tab:blue")
    label.set_xticks(range(NUM_CLASSES))
    label.set_ylim(0, 1.1)
    label.set_title(f"one-hot label: {int(label_row.argmax())}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main():
    (x_train, y_train), (x_test, y_test) = load_mnist()
    train_images, train_labels = preprocess(x_train, y_train)
    test_images, _test_labels = preprocess(x_test, y_test)
    print(f"train images: {x_train.shape} {x_train.dtype} -> {train_images.shape} {train_images.dtype}")
    print(f"test images:  {x_test.shape} {x_test.dtype} -> {test_images.shape} {test_images.dtype}")
    print(f"pixel range:  {x_train.min()}..{x_train.max()} -> {train_images.min():.1f}..{train_images.max():.1f}")
    print(f"train labels: {y_train.shape} -> {train_labels.shape}")
    print(f"first label {y_train[0]} becomes {train_labels[0].astype(int).tolist()}")
    path = output_path("lesson02_before_after.png")
    plot_before_after(x_train[0], train_images[0], train_labels[0], path)
    print(f"Saved the first digit before and after preprocessing to {path}")


if __name__ == "__main__":
    main()
