"""Pictures of what a CNN learned: its first layer's filters, and what they find in one digit.

Lesson 3 (`make run-lesson3`) and lesson 4 (`make run-lesson4`, `make train`)
save them after training; lesson 3's README explains them. Any Keras model
with Conv2D layers will do, whatever its architecture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _figure_module():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def convolutions(model) -> list:
    """The model's Conv2D layers, in order."""
    from keras import layers

    return [layer for layer in model.layers if isinstance(layer, layers.Conv2D)]


def plot_filters(model, path: Path) -> Path:
    """The first Conv2D layer's filters, one small picture each (red: positive weights, blue: negative)."""
    plt = _figure_module()
    first = convolutions(model)[0]
    kernels = np.asarray(first.get_weights()[0])[:, :, 0, :]  # (height, width, filters) for one input channel
    count = kernels.shape[-1]
    columns = min(8, count)
    rows = -(-count // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(1.2 * columns, 1.3 * rows + 0.6), squeeze=False)
    limit = float(np.abs(kernels).max()) or 1.0
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < count:
            ax.imshow(kernels[:, :, index], cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(str(index + 1), fontsize=8)
    figure.suptitle(
        f"The {count} filters of the first convolution ({kernels.shape[0]} x {kernels.shape[1]} weights each)"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


def plot_feature_maps(model, image, path: Path, layers_shown: int = 2, label=None) -> Path:
    """One digit (named by ``label``, if given), then what each filter of the first convolutions finds in it."""
    import keras

    plt = _figure_module()
    chosen = convolutions(model)[:layers_shown]
    probe = keras.Model(model.inputs[0], [layer.output for layer in chosen])
    outputs = probe(np.asarray(image, dtype="float32").reshape(1, 28, 28, 1), training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    maps = [np.maximum(np.asarray(output)[0], 0.0) for output in outputs]  # what relu lets through
    columns = 8
    rows = 1 + sum(-(-found.shape[-1] // columns) for found in maps)
    figure, axes = plt.subplots(
        rows, columns, figsize=(1.2 * columns, 1.25 * rows + 0.4), squeeze=False, layout="constrained"
    )
    for ax in axes.flat:
        ax.axis("off")
    axes[0, 0].imshow(np.asarray(image).reshape(28, 28), cmap="gray")
    axes[0, 0].set_title("the digit" if label is None else f"the digit: a {label}", fontsize=8)
    figure.suptitle("What each filter finds in one digit, layer by layer (bright: a strong match)", fontsize=10)
    row = 1
    for number, found in enumerate(maps, start=1):
        for index in range(found.shape[-1]):
            ax = axes[row + index // columns, index % columns]
            ax.imshow(found[:, :, index], cmap="magma")
            ax.set_title(f"conv {number} · {index + 1}", fontsize=7)
        row += -(-found.shape[-1] // columns)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return Path(path)


COURSE_MAP = [
    ("1", "Load the data", "mnist.npz\n70,000 digits\n28×28 uint8"),
    ("2", "Preprocess", "float32 in [0, 1]\n(N, 28, 28, 1)\none-hot labels"),
    ("3", "Build the CNN", "dense baseline,\nthen convolution\n+ pooling blocks"),
    ("4", "Train", "tf.data, fit,\nearly stopping,\nexperiments"),
    ("5", "Evaluate", "accuracy, confusion\nmatrix, precision,\nrecall, mistakes"),
    ("6", "The Flask app", "draw → MNIST-style\n28×28 → /predict\n→ the digit"),
    ("7", "Real handwriting", "writers MNIST never\nmet: measure, split\nby writer, fix"),
    ("8", "Fast and small", "latency budget,\nTensorFlow Lite,\nint8, serve the\nfastest that holds"),
]


def mistakes_gallery(images, labels, predicted, path, title: str, count: int = 24, columns: int = 8, dpi=None) -> Path:
    """The first ``count`` misread images in a grid, each titled true → read (lesson 7, make bench-handwriting)."""
    plt = _figure_module()
    wrong = np.flatnonzero(np.asarray(predicted) != np.asarray(labels))[:count]
    rows = max(1, -(-len(wrong) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.5 * columns, 1.7 * rows + 0.4))
    for ax in np.atleast_1d(axes).flat:
        ax.axis("off")
    for ax, index in zip(np.atleast_1d(axes).flat, wrong):
        ax.imshow(images[index], cmap="gray")
        ax.set_title(f"{labels[index]} → {predicted[index]}", fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return Path(path)


def course_map(path):
    """The course map of the top README, one box per lesson: `make course-map`."""
    from matplotlib.patches import FancyBboxPatch

    plt = _figure_module()
    count = len(COURSE_MAP)
    fig, ax = plt.subplots(figsize=(2.0 * count, 2.9))
    ax.set_xlim(0, count * 2.0)
    ax.set_ylim(0, 2.9)
    ax.axis("off")
    colours = ["#dbe9f6", "#dbe9f6", "#e4f2dc", "#e4f2dc", "#fdf0d5", "#f6dede", "#eadcf3", "#dcf1ef"]
    for index, (number, title, body) in enumerate(COURSE_MAP):
        x = index * 2.0 + 0.12
        box = FancyBboxPatch(
            (x, 0.25),
            1.72,
            2.3,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=colours[index],
            edgecolor="#4a5560",
            linewidth=1.2,
        )
        ax.add_patch(box)
        ax.text(x + 0.86, 2.28, f"Lesson {number}", ha="center", va="center", fontsize=9, color="#4a5560")
        ax.text(x + 0.86, 1.95, title, ha="center", va="center", fontsize=11, weight="bold")
        ax.text(x + 0.86, 1.05, body, ha="center", va="center", fontsize=9, linespacing=1.35)
        if index < len(COURSE_MAP) - 1:
            ax.annotate(
                "",
                xy=(x + 1.92, 1.4),
                xytext=(x + 1.76, 1.4),
                arrowprops={"arrowstyle": "-|>", "color": "#4a5560", "lw": 1.5},
            )
    ax.text(
        count,
        0.05,
        "make check-lessonN grades each step · make train chains 1–5 (and 7, 8) · make app serves 6 (8's model)",
        ha="center",
        va="bottom",
        fontsize=9,
        color="#4a5560",
    )
    fig.tight_layout(pad=0.2)
    fig.savefig(path, dpi=90)
    plt.close(fig)
