"""Lesson 3 grades goals, not a layer list: other correct CNNs pass, a dense network handed in as the CNN fails."""

import re
import shutil

import pytest

from course.lessons import SOLUTIONS_DIR, get_lesson

ARCHITECTURES = {
    "three convolution blocks": """
    model = keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(16, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )
    return compile_model(model, learning_rate)
""",
    "batch normalization": """
    model = keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(32, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ]
    )
    return compile_model(model, learning_rate)
""",
    "functional API, average pooling": """
    inputs = keras.Input(shape=INPUT_SHAPE)
    x = layers.Conv2D(24, 5, activation="relu")(inputs)
    x = layers.AveragePooling2D(2)(x)
    x = layers.Conv2D(48, 3, activation="relu")(x)
    x = layers.AveragePooling2D(2)(x)
    x = layers.Flatten()(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return compile_model(keras.Model(inputs, outputs), learning_rate)
""",
}

DENSE_AS_CNN = """
    return build_baseline(learning_rate, hidden_units=256)
"""


def with_build_model(tmp_path, body):
    """A copy of solutions/ whose build_model() has ``body`` in its TODO region."""
    tree = shutil.copytree(SOLUTIONS_DIR, tmp_path / "tree", ignore=shutil.ignore_patterns("__pycache__", "*.h5"))
    path = get_lesson(3).file_in(tree)
    source = path.read_text()
    start = source.index("    # BEGIN TODO 3:")
    end = source.index("    # END TODO", start)
    path.write_text(source[:start] + body.strip("\n").join(["", "\n"]) + source[end:])
    return tree


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_other_correct_cnns_pass(make, tmp_path, name):
    tree = with_build_model(tmp_path, ARCHITECTURES[name])
    result = make("check-lesson3", f"TARGET={tree}")
    statuses = result.statuses(3)
    assert result.returncode == 0 and set(statuses) == {"passed"}, result.output


def test_the_dense_baseline_handed_in_as_the_cnn_fails(make, tmp_path):
    tree = with_build_model(tmp_path, DENSE_AS_CNN)
    result = make("check-lesson3", f"TARGET={tree}")
    assert result.returncode != 0
    checks = {check["name"]: check for check in result.results[3]["checks"]}
    blocks = next(check for name, check in checks.items() if "blocks of convolution" in name)
    assert blocks["status"] == "failed" and "0 block(s)" in blocks["message"], result.output
    assert re.search(r"\d+/\d+ checks passed", result.output)
