"""
Lesson 8: Fast and small
Your app answers a drawing in a few milliseconds. Where do they go? You
measure the app's latency budget stage by stage, then make the model small
and fast enough to serve: convert it to TensorFlow Lite (run by LiteRT, the
runtime Google maintains for it), quantize it, compare every version side by
side, and keep the fastest one whose accuracy holds. Your app then serves it.

Run it with `make run-lesson8` (your trained model, converted three ways and
measured; it says how long each part took); grade it with `make check-lesson8`.
"""

import io
import json
import threading
import time

import matplotlib
import numpy as np
import tensorflow as tf

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from course.helpers import apply_temperature, output_path

REPEATS = 200  # calls timed per stage: enough for a steady median
REPRESENTATIVE = 200  # images int8 calibration measures the activations on
QUANTIZATIONS = ("none", "dynamic", "int8")
MAX_LOSS = 0.002  # accuracies are fractions: 0.002 is 0.2 percentage points, on MNIST test and on new writers
MAX_DIGIT_LOSS = 0.01  # ... and 0.01, 1 percentage point, on any one digit

"""
## The latency budget

One request to `/predict` goes through four stages: decode the PNG, prepare
it the MNIST way (`to_mnist`), run the model, write the JSON answer. Before
making anything faster, measure which stage costs what: speeding up a stage
that takes 5% of the time can win at most 5%. Time each stage many times and
keep the **median**: one slow call (the garbage collector, another program
on the machine) would drag a mean up, not a median.
"""


def time_stages(stages, repeats=REPEATS):
    """Each stage's median time in milliseconds: {name: ms}, in the order of `stages` (a dict of calls)."""
    # BEGIN TODO 1: For each name and call of the dict `stages`: call it once first (a first call warms
    #   caches up and is not what a served app pays), then time `repeats` calls one by one, and keep the
    #   median duration of a call, in milliseconds.
    # HINT: time.perf_counter() gives seconds as a float with a fine resolution; what do you multiply by?
    # HINT: Time each call on its own, then take np.median of the durations: why not the total divided
    #   by the number of calls?
    timings = {}
    for name, call in stages.items():
        call()
        durations = []
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            durations.append(time.perf_counter() - started)
        timings[name] = 1000.0 * float(np.median(durations))
    return timings
    # END TODO


def app_stages(app_module, predictor, png):
    """Given: the four stages of one /predict request of your lesson 6 app, each a call to time."""
    from PIL import Image

    picture = Image.open(io.BytesIO(png))
    picture.load()
    image28 = app_module.to_mnist(picture)
    probabilities = predictor(image28)

    def decode():
        Image.open(io.BytesIO(png)).load()

    def answer():
        digit = int(np.argmax(probabilities))
        floats = [float(p) for p in probabilities]
        return json.dumps({"digit": digit, "probabilities": floats, "image": np.round(image28, 3).tolist()})

    return {
        "decode": decode,
        "preprocess": lambda: app_module.to_mnist(picture),
        "inference": lambda: predictor(image28),
        "json": answer,
    }


"""
## A serving runtime: TensorFlow Lite

Keras is built to train: every call goes through a framework that can
differentiate, run on GPUs and batch thousands of images. Serving one image
at a time needs none of that. TensorFlow's converter turns the trained model
into a TensorFlow Lite flatbuffer (a `.tflite` file): the forward pass alone,
its operations fused and planned once. LiteRT's interpreter runs it with a
few microseconds of overhead. (ONNX Runtime would do the same job; the
converter that reaches it from Keras 3 is not maintained as closely, and
TensorFlow's own converter comes with the TensorFlow the course already pins.)
"""


def convert(model, quantization="none", representative=None):
    """The Keras model as a TensorFlow Lite flatbuffer (bytes).

    quantization: "none" (float32 weights), "dynamic" (weights stored as 8-bit
    integers) or "int8" (weights and activations as 8-bit integers, calibrated
    on `representative`: images of shape (N, 28, 28, 1)).
    """
    # BEGIN TODO 2: Make a TensorFlow Lite converter for the Keras model (the float32 version needs
    #   nothing more).
    # HINT: tf.lite.TFLiteConverter has a constructor for each kind of model it converts: which one
    #   takes a Keras model?
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    # END TODO
    # BEGIN TODO 3: For "dynamic" and "int8", ask the converter for its default optimization (weights
    #   stored as 8-bit integers). For "int8", also give it the representative images to measure every
    #   layer's range on, one float32 image at a time as a batch of one, and allow integer operations only.
    #   Refuse any other quantization with a ValueError that names the three it knows.
    # HINT: converter.optimizations is a list of tf.lite.Optimize values; representative_dataset is a
    #   function that yields lists of inputs (one array each time); target_spec.supported_ops names the
    #   operation sets allowed (tf.lite.OpsSet).
    # HINT: A batch of one: which shape does image[np.newaxis] have? And the model takes float32, while
    #   images / 255.0 are float64: np.asarray(representative, dtype=np.float32) converts them all at once.
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization should be one of {QUANTIZATIONS}, not {quantization!r}")
    if quantization in ("dynamic", "int8"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "int8":
        images = np.asarray(representative, dtype=np.float32)
        converter.representative_dataset = lambda: ([image[np.newaxis]] for image in images)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    # END TODO
    return converter.convert()


"""
## Quantization, and what it needs to know

Quantizing stores numbers as 8-bit integers instead of 32-bit floats: four
times smaller, and integer arithmetic is fast. Weights are known, so
"dynamic range" quantization just stores them small. Going all the way to
int8 also quantizes the activations, the numbers that flow between layers,
and their range must be measured on real inputs: the **representative set**.
It must look like what the model will meet in the app: MNIST's digits *and*
drawings made on the canvas, picked at random so no one part of either set
dominates.
"""


def representative_images(mnist_images, pen_images, count=REPRESENTATIVE, seed=0):
    """`count` images to calibrate int8 with: half from MNIST, half pen drawings, in a random order.

    Returns float32 of shape (count, 28, 28, 1) in [0, 1] (the inputs are (N, 28, 28) or (N, 28, 28, 1)).
    """
    # BEGIN TODO 4: With np.random.default_rng(seed), pick count // 2 different MNIST images and
    #   count - count // 2 different pen drawings, at random from all of each set, put them together,
    #   shuffle them, and return them as float32 with shape (count, 28, 28, 1).
    # HINT: rng.choice(n, k, replace=False) picks k different positions among n. Why not the first k?
    # HINT: One permutation of the whole set shuffles it: rng.permutation(count).
    rng = np.random.default_rng(seed)
    half = count // 2
    mnist_images = np.asarray(mnist_images, dtype=np.float32).reshape(-1, 28, 28, 1)
    pen_images = np.asarray(pen_images, dtype=np.float32).reshape(-1, 28, 28, 1)
    chosen = np.concatenate(
        [
            mnist_images[rng.choice(len(mnist_images), half, replace=False)],
            pen_images[rng.choice(len(pen_images), count - half, replace=False)],
        ]
    )
    return chosen[rng.permutation(count)]
    # END TODO


class LitePredictor:
    """A TensorFlow Lite model, one 28 x 28 image at a time, calibrated like lesson 6's Predictor."""

    def __init__(self, model_bytes, temperature=1.0):
        from ai_edge_litert.interpreter import Interpreter

        # BEGIN TODO 5: Load model_bytes into a LiteRT Interpreter that uses one thread (the server
        #   runs one per worker), allocate its tensors once, and keep the index of its input tensor in
        #   self.input_index and of its output tensor in self.output_index.
        # HINT: Interpreter(model_content=..., num_threads=...); get_input_details() and
        #   get_output_details() list dicts, each with an "index".
        # HINT: Why allocate the tensors here, once, rather than on every prediction?
        self.interpreter = Interpreter(model_content=model_bytes, num_threads=1)
        self.interpreter.allocate_tensors()
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        self.output_index = self.interpreter.get_output_details()[0]["index"]
        # END TODO
        self.temperature = temperature
        self.model_bytes = model_bytes
        self.size = len(model_bytes)
        self.lock = threading.Lock()  # given: one interpreter answers one call at a time

    def probabilities(self, image28):
        """The model's 10 probabilities for one (28, 28) image, as a NumPy array."""
        # BEGIN TODO 6: Set the input tensor to the image as a float32 batch of one (1, 28, 28, 1),
        #   invoke the interpreter, and return the first row of the output tensor (a copy).
        # HINT: set_tensor(index, array), invoke(), get_tensor(index). What shape does the model expect?
        batch = np.asarray(image28, dtype=np.float32).reshape(1, 28, 28, 1)
        self.interpreter.set_tensor(self.input_index, batch)
        self.interpreter.invoke()
        return np.array(self.interpreter.get_tensor(self.output_index)[0])
        # END TODO

    def __call__(self, image28):
        """Given: the calibrated probabilities (the temperature `make train` saved beside the model).

        The server runs two threads per worker, and an interpreter holds its input and output tensors
        for one call at a time: the lock makes the second request wait its turn (a few hundredths of a
        millisecond) instead of overwriting the first one's input mid-call.
        """
        with self.lock:
            probabilities = self.probabilities(image28)
        return apply_temperature(probabilities, self.temperature)


"""
## Side by side, and the one to serve

Each version is measured on the same images: MNIST's test set and the
drawings of writers 21-30, whom no model here trained on. Accuracy overall
and per digit, the file's size, and the median time of one prediction. The
version to serve is the fastest one that keeps the accuracy: it loses at most
MAX_LOSS on each set and MAX_DIGIT_LOSS on any digit, compared with the Keras
model itself.
"""


def accuracy_of(predict, images, labels):
    """Given: (accuracy, accuracy per digit) of `predict` (one image -> 10 probabilities) on labelled images."""
    labels = np.asarray(labels)
    predicted = np.array([int(np.argmax(predict(image))) for image in images])
    per_digit = [float(np.mean(predicted[labels == d] == d)) if np.any(labels == d) else 0.0 for d in range(10)]
    return float(np.mean(predicted == labels)), per_digit


def compare(predictors, sets, probe, repeats=REPEATS):
    """Every version side by side: {name: {"ms", "bytes", each set's accuracy, and "<set> per digit"}}.

    predictors: {name: predictor (one image -> 10 probabilities), with its .size in bytes};
    sets: {set name: (images, labels)}; probe: one image to time a prediction on.
    """
    # BEGIN TODO 7: For each version, time one prediction of `probe` with time_stages (its median, in
    #   ms), note its size, and measure its accuracy and accuracy per digit on every set with
    #   accuracy_of. Keep the versions in the order they came in.
    # HINT: time_stages takes a dict of calls and gives back a dict {name: median ms}: the row's "ms" is
    #   one number from it. A lambda made in a loop looks the loop's variable up when it runs, not when
    #   it is made: how can each lambda keep its own predictor? (A default value is fixed at once.)
    # HINT: Which keys must a row have? compare()'s docstring names them: each set's own name, and
    #   "<set> per digit" beside it (choose() finds the sets by that pair). Every image of every set counts.
    rows = {}
    for name, predictor in predictors.items():
        timed = time_stages({"predict": lambda predictor=predictor: predictor(probe)}, repeats)
        row = {"ms": timed["predict"], "bytes": predictor.size}
        for set_name, (images, labels) in sets.items():
            row[set_name], row[f"{set_name} per digit"] = accuracy_of(predictor, images, labels)
        rows[name] = row
    return rows
    # END TODO


def choose(rows, baseline="keras"):
    """The fastest version that keeps the baseline's accuracy (the baseline itself if none does)."""
    # BEGIN TODO 8: Keep the versions that lose at most MAX_LOSS on every set and at most MAX_DIGIT_LOSS
    #   on every digit of every set, compared with rows[baseline]; return the name of the fastest of
    #   them (the smallest "ms"). The baseline always keeps its own accuracy, and a loss of exactly
    #   MAX_LOSS is kept (at most).
    # HINT: The sets are the keys that have a "<set> per digit" twin. How does min(names, key=...) pick?
    # HINT: In floating point 0.9938 - 0.9918 is 0.0020000000000000018, a hair above 0.002: leave a
    #   little room (+ 1e-9) in each comparison, so that exactly 0.2 points is not refused.
    base = rows[baseline]
    sets = [key for key in base if f"{key} per digit" in base]

    def keeps(row):
        return all(
            base[name] - row[name] <= MAX_LOSS + 1e-9
            and all(b - r <= MAX_DIGIT_LOSS + 1e-9 for b, r in zip(base[f"{name} per digit"], row[f"{name} per digit"]))
            for name in sets
        )

    kept = [name for name, row in rows.items() if name == baseline or keeps(row)]
    return min(kept, key=lambda name: rows[name]["ms"])
    # END TODO


def plot_versions(rows, chosen, path):
    """Given: time per prediction and size of each version, the one to serve in green."""
    names = list(rows)
    colours = ["tab:green" if name == chosen else "tab:gray" for name in names]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].barh(names, [rows[name]["ms"] for name in names], color=colours)
    axes[0].set_xlabel("milliseconds per prediction (median)")
    axes[1].barh(names, [rows[name]["bytes"] / 1e3 for name in names], color=colours)
    axes[1].set_xlabel("size (kB)")
    for ax in axes:
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"One prediction, each version of your model (served: {chosen})")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def serve_fastest(model, model_path, app_module, temperature=1.0, verbose=True, repeats=REPEATS, count=REPRESENTATIVE):
    """Given: convert the model three ways, compare every version with the Keras model on the same images,
    and save the fastest one that keeps its accuracy beside the model, for your app to serve.
    Returns (rows, chosen, predictors). `make train` runs this too, for a tree whose lesson 8 is done."""
    from pathlib import Path

    from course.helpers import quietly, save_served_model, serving_data

    data = serving_data(app_module.to_mnist)
    keras_version = app_module.Predictor(model)
    keras_version.size = Path(model_path).stat().st_size
    predictors = {"keras": keras_version}
    representative = representative_images(data.mnist_train, data.pen_train, count)
    with quietly():  # the converter's own chatter
        for quantization in QUANTIZATIONS:
            converted = convert(model, quantization, representative)
            predictors[f"tflite {quantization}"] = LitePredictor(converted, temperature)
    rows = compare(predictors, data.sets, data.sets["MNIST test"][0][0], repeats)
    chosen = choose(rows)
    if verbose:
        print(f"{'version':16} {'ms':>7} {'kB':>7} " + " ".join(f"{name:>15}" for name in data.sets))
        for name, row in rows.items():
            accuracies = " ".join(f"{row[set_name]:>15.2%}" for set_name in data.sets)
            served = "   ← served" if name == chosen else ""
            print(f"{name:16} {row['ms']:>7.3f} {row['bytes'] / 1e3:>7.1f} {accuracies}{served}")
    data_bytes = None if chosen == "keras" else predictors[chosen].model_bytes
    said = save_served_model(model_path, data_bytes, chosen, rows)
    if verbose:
        print(said)
    return rows, chosen, predictors


def main():
    """Given: your trained model's latency budget in your app, then the fastest version that keeps its
    accuracy, saved beside it; your app (lesson 6) serves that one from then on."""
    from course.helpers import default_model_path, drawn_png, lesson_modules, load_trained_model, since_last_time, tried

    started = time.perf_counter()
    repeats, count = tried("REPEATS", REPEATS), tried("REPRESENTATIVE", REPRESENTATIVE)
    path = default_model_path(__file__)
    model = load_trained_model(path)
    app_module = lesson_modules(__file__).app
    budget = time_stages(app_stages(app_module, app_module.Predictor(model), drawn_png()), repeats)
    print("Your app's latency budget with the Keras model (median milliseconds per request):")
    print("  " + "   ".join(f"{name} {ms:.3f}" for name, ms in budget.items()) + "\n")
    rows, chosen, predictors = serve_fastest(model, path, app_module, model.course_temperature, True, repeats, count)
    if chosen != "keras":
        budget = time_stages(app_stages(app_module, predictors[chosen], drawn_png()), repeats)
        print(f"With {chosen}: " + "   ".join(f"{name} {ms:.3f}" for name, ms in budget.items()))
    last = since_last_time("lesson 8: ms per prediction, served", rows[chosen]["ms"], "{:.3f} ms")
    print(f"Served: {chosen}, {rows[chosen]['ms']:.3f} ms per prediction{last}.")
    print(f"Picture: {plot_versions(rows, chosen, output_path('lesson08_versions.png'))}")
    print(f"{time.perf_counter() - started:.0f} s in all.")


if __name__ == "__main__":
    main()
