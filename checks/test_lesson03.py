"""Lesson 3 · Build the CNN: checks for lessons/03_build_cnn/model.py.

Training data for the "it learns" check comes from the course's own loader
and preprocessing (conftest.py), not from lessons 1 and 2.
"""

import numpy as np
import pytest

from course.grader import describe, expect, import_lesson

MAX_PARAMETERS = 1_500_000
MIN_PARAMETERS = 10_000


@pytest.fixture(scope="module")
def lesson():
    return import_lesson(3)


@pytest.fixture(scope="module")
def model(lesson):
    import keras

    keras.utils.set_random_seed(0)
    built = lesson.build_model()
    expect(isinstance(built, keras.Model), "build_model() should return a Keras model", expected="a keras.Model", found=describe(built), hint="Did you `return model` at the end?")
    return built


def test_input_and_output_shapes(model):
    """the model takes (28, 28, 1) images and gives 10 outputs"""
    input_shape = tuple(model.inputs[0].shape)
    expect(input_shape == (None, 28, 28, 1), "wrong input shape", expected=(None, 28, 28, 1), found=input_shape, hint="Start with keras.Input(shape=(28, 28, 1)).")
    output_shape = tuple(model.outputs[0].shape)
    expect(output_shape == (None, 10), "wrong output shape", expected=(None, 10), found=output_shape, hint="The last layer needs one unit per digit.")


@pytest.mark.hint("A final Dense layer with activation='softmax' turns 10 scores into probabilities.")
def test_outputs_are_probabilities(model, train_slice):
    """its outputs are probabilities: between 0 and 1, summing to 1"""
    outputs = np.asarray(model(train_slice[0][:16], training=False))
    expect(outputs.shape == (16, 10), "wrong shape for 16 images", expected=(16, 10), found=outputs.shape)
    expect(outputs.min() >= 0.0 and outputs.max() <= 1.0, "every output should be between 0 and 1", expected="0 <= p <= 1", found=f"values from {outputs.min():.3f} to {outputs.max():.3f}")
    sums = outputs.sum(axis=1)
    expect(np.allclose(sums, 1.0, atol=1e-4), "each image's 10 outputs should sum to 1", expected="sums of 1.0", found=f"sums from {sums.min():.3f} to {sums.max():.3f}")


def test_has_convolution_and_pooling(model):
    """it has convolution, pooling and dense layers"""
    from keras import layers

    kinds = [type(layer).__name__ for layer in model.layers]
    expect(any(isinstance(layer, layers.Conv2D) for layer in model.layers), "a CNN needs Conv2D layers", expected="at least one Conv2D", found=kinds)
    pooling = (layers.MaxPooling2D, layers.AveragePooling2D)
    expect(any(isinstance(layer, pooling) for layer in model.layers), "a CNN needs pooling layers", expected="MaxPooling2D (or AveragePooling2D)", found=kinds)
    expect(isinstance(model.layers[-1], layers.Dense), "the last layer should be Dense", expected="Dense(10, activation='softmax')", found=kinds[-1])


def test_compiled_with_adadelta(model):
    """it is compiled with Adadelta and a learning rate that learns"""
    import keras

    optimizer = getattr(model, "optimizer", None)
    expect(optimizer is not None, "the model is not compiled", expected="model.compile(optimizer=..., ...)", found="no optimizer")
    expect(isinstance(optimizer, keras.optimizers.Adadelta), "the course uses the Adadelta optimizer", expected="keras.optimizers.Adadelta", found=type(optimizer).__name__)
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    expect(
        rate >= 0.1,
        "Adadelta's learning rate is far too small",
        expected="a learning rate near 1.0",
        found=f"{rate:g}",
        hint="Keras 3's Adadelta defaults to 0.001; the 1.0 of older Keras (and of the paper) is what MNIST tutorials assume. Pass learning_rate=learning_rate.",
    )


def test_loss_and_metric(model):
    """it uses categorical cross-entropy and reports accuracy"""
    config = model.get_compile_config() or {}
    loss = config.get("loss")
    loss_name = loss if isinstance(loss, str) else str((loss or {}).get("class_name", loss) if isinstance(loss, dict) else loss)
    normalized = loss_name.lower().replace("_", "")
    expect("categoricalcrossentropy" in normalized and "sparse" not in normalized, "wrong loss for one-hot labels", expected="'categorical_crossentropy'", found=repr(loss_name))
    metrics = config.get("metrics") or []
    names = [metric if isinstance(metric, str) else str(metric.get("class_name") if isinstance(metric, dict) else metric) for metric in metrics]
    expect(any(name.lower().replace("_", "") in ("accuracy", "acc", "categoricalaccuracy") for name in names), "the model should report accuracy", expected="metrics=['accuracy']", found=names)


def test_parameter_budget(model):
    """its size fits a laptop: between 10 thousand and 1.5 million weights"""
    count = model.count_params()
    expect(count <= MAX_PARAMETERS, "the model is too big to train quickly on a CPU", expected=f"at most {MAX_PARAMETERS:,} parameters", found=f"{count:,}", hint="Pooling after each convolution shrinks what the dense layer has to connect.")
    expect(count >= MIN_PARAMETERS, "the model is too small to reach 99%", expected=f"at least {MIN_PARAMETERS:,} parameters", found=f"{count:,}")


@pytest.mark.hint("If the loss hardly moves, look at the learning rate; if it is nan, look at the last activation and the loss.")
def test_it_learns(lesson, train_slice):
    """it learns: 200 training steps on 1,600 digits cut the loss by more than half"""
    import keras

    keras.utils.set_random_seed(1)
    model = lesson.build_model()
    x, y = train_slice
    before = float(model.evaluate(x, y, batch_size=500, verbose=0)[0])
    model.fit(x[:1600], y[:1600], batch_size=32, epochs=4, shuffle=True, verbose=0)
    after = float(model.evaluate(x, y, batch_size=500, verbose=0)[0])
    expect(np.isfinite(after), "the loss became nan or infinite", expected="a finite loss", found=after)
    expect(after < 0.5 * before, "the loss did not drop clearly", expected=f"below {0.5 * before:.2f} (half of {before:.2f})", found=f"{after:.2f}")
