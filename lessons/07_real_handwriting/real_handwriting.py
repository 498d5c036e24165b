"""
Lesson 7: Beyond MNIST: real handwriting
Your model reads more than 99% of MNIST's test digits. Does it read yours?
Here it meets digits drawn with a pen by 30 people who are not in MNIST,
drawn on the app's canvas the way a user would draw them. You measure it,
see which digits fail and why, and write the fix: show the model those
shapes, with a split by writer so that the measure stays honest.

Run it with `make run-lesson7` (measures the model `make train TARGET=lessons`
made on writers it never saw); grade it with `make check-lesson7`. Once it
passes, `make train TARGET=lessons` mixes the training writers' drawings in:
retrain, run it again, and compare.
"""

import keras
import matplotlib
import numpy as np
from keras import layers

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from course.helpers import draw_pen_digits, load_pen_digits, mistakes_gallery, output_path

NUM_CLASSES = 10
VALIDATION_WRITERS = tuple(range(21, 31))  # writers 1-20 may be trained on; 21-30 only measure
PEN_RENDERINGS = 2  # each training writer's digit drawn this many times, at other sizes, places and pens
AUGMENT = False  # True: `make train` also puts augmentation() in front of the model (see "Try this")

"""
## Writers, not samples

MNIST's digits come from a few hundred people, Census Bureau staff and
students, and its test set from the same kind of people. A user of the app
is someone new. To measure what the model will do for them, the digits it is
measured on must come from people it never trained on. Split by *writer*:
if one writer's 9s were on both sides, the model could pass by remembering
that writer's hand, and the figure would promise more than the app delivers.
"""


def split_by_writer(digits, validation_writers=VALIDATION_WRITERS):
    """Return (training digits, validation digits): every digit of a validation writer is held out."""
    # TODO 1: Each digit has a .writer (1 to 30). Put the digits whose writer is in
    #   `validation_writers` in the second list, all the others in the first, each in its
    #   original order, and return the two lists.
    raise NotImplementedError("TODO 1: split_by_writer() is not done yet")


"""
## Measuring the model on them

Accuracy alone says how often; the accuracy per digit says where; and the
most frequent confusions say what the model mistakes for what. On these
writers the MNIST-only model mistakes a 9 whose tail hooks to the left for a
3, and a 1 written with a flag and a base for a 7: shapes MNIST's writers
rarely drew. That is *distribution shift*: the data the model meets is not
the data it learned from.
"""


def measure(model, images, labels):
    """Return {"accuracy": float, "per_digit": [10 floats], "confusions": [(true, predicted, count), ...]}.

    `images` are (N, 28, 28) floats in [0, 1]; the confusions are the mistakes, most frequent first.
    """
    # TODO 2: Predict the digits (model.predict on images with a channel axis added,
    #   verbose=0, then argmax). Return the overall accuracy, the accuracy of each digit 0-9
    #   (0.0 for a digit with no images), and every (true, predicted) pair of a mistake with how
    #   often it happened, most frequent first.
    raise NotImplementedError("TODO 2: measure() is not done yet")


"""
## The fix: show the model these shapes

The most direct cure for distribution shift is data from the distribution you
care about: the training writers' digits, drawn on the canvas a few times each
and prepared like any drawing, mixed into MNIST. (The validation writers stay
out: they are the honest measure.) A few thousand drawings among 55,000 MNIST
digits are enough to teach the hooked 9 and the flagged 1, without losing
MNIST's own accuracy.
"""


def training_mix(mnist_images, mnist_labels, pen_images, pen_labels, seed=0):
    """Return (images, labels): MNIST and the pen drawings together, shuffled the same way for the same seed."""
    # TODO 3: Join the two sets of images and of labels (images first with images, labels
    #   with labels, in the same order), then shuffle images and labels with the same random
    #   permutation from np.random.default_rng(seed).
    raise NotImplementedError("TODO 3: training_mix() is not done yet")


"""
## Augmentation: small distortions, for free

A second lever: while training, turn, scale and shift every picture a little,
differently each epoch. The model then cannot rely on a digit's exact size,
slant or place, which differ most between writers. Keras's preprocessing
layers do it inside the model while training and do nothing when predicting.
Keep the distortions small: a 6 turned by 180 degrees is a 9.
"""


def augmentation(rotation=0.03, zoom=0.08, shift=0.06, seed=0):
    """Return a keras.Sequential that turns, zooms and shifts pictures a little (only while training)."""
    # TODO 4: A keras.Sequential of layers.RandomRotation(rotation), layers.RandomZoom(zoom)
    #   and layers.RandomTranslation(shift, shift), each with fill_mode="constant" (new pixels are
    #   black, like the background) and seed=seed.
    raise NotImplementedError("TODO 4: augmentation() is not done yet")


def plot_mistakes(images, labels, predicted, path, count=24):
    """Given: the first `count` misread drawings, titled true -> read."""
    title = "Drawings by writers the model never saw, misread (true → read)"
    return mistakes_gallery(images, labels, predicted, path, title, count=count)


def plot_augmented(image, path, copies=8):
    """Given: one drawing and `copies` versions of it as augmentation() distorts it while training."""
    layer = augmentation(seed=4)
    batch = np.repeat(image[np.newaxis, ..., np.newaxis], copies, axis=0).astype("float32")
    distorted = np.asarray(layer(batch, training=True))[..., 0]
    fig, axes = plt.subplots(1, copies + 1, figsize=(1.5 * (copies + 1), 1.9))
    for ax, picture, title in zip(axes, [image, *distorted], ["drawn", *[f"copy {n + 1}" for n in range(copies)]]):
        ax.imshow(picture, cmap="gray")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def report(name, results, last=""):
    """Given: one line of accuracy (and the last run's, if given), the digits, and the top confusions."""
    digits = "  ".join(f"{d}: {a:.0%}" for d, a in enumerate(results["per_digit"]))
    top = ", ".join(f"{t}→{p} ×{n}" for t, p, n in results["confusions"][:4])
    print(
        f"{name}: {results['accuracy']:.1%} on unseen writers{last}\n"
        f"    by digit: {digits}\n"
        f"    most frequent mistakes: {top or 'none'}"
    )


def main():
    """Given: measure the model `make train` made on writers it never saw, and draw its mistakes."""
    from course.helpers import default_model_path, load_trained_model, since_last_time

    training, unseen = split_by_writer(load_pen_digits())
    print(
        f"{len(training):,} pen digits to learn from, "
        f"{len(unseen):,} by writers {VALIDATION_WRITERS[0]}-{VALIDATION_WRITERS[-1]} to measure on"
    )
    images, labels, _ = draw_pen_digits(unseen, renderings=1, seed=1)
    path = default_model_path(__file__)
    model = load_trained_model(path)
    results = measure(model, images, labels)
    last = since_last_time("lesson 7: unseen writers", results["accuracy"], "{:.1%}")
    report(f"\nyour model ({path.name})", results, last)
    predicted = model.predict(images[..., np.newaxis], verbose=0).argmax(axis=1)
    print(f"\nIts mistakes: {plot_mistakes(images, labels, predicted, output_path('lesson07_mistakes.png'))}")
    print(f"Augmentation at work: {plot_augmented(images[0], output_path('lesson07_augmented.png'))}")
    print(
        "\nWith this lesson done, `make train TARGET=lessons` mixes the training writers' drawings into MNIST"
        + (" and augments" if AUGMENT else "")
        + ".\nRetrain, run this again, and compare."
    )


if __name__ == "__main__":
    main()
