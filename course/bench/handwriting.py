"""`make bench-handwriting`: how the app reads people it never met, MNIST-only model beside the reference.

The pen digits of the validation writers (21-30 of UCI's training writers; no
model here trains on them) are drawn as the page's canvas draws them: a round
pen near the page's own width, a random size and place, black on the
transparent canvas and now and then white on black. Each drawing goes through
the app's own preprocessing and then through two models trained in the same
way with the same seed: one on MNIST alone, and the reference (`make train`:
MNIST plus the training writers' drawings). Printed: accuracy, accuracy per
digit, the most frequent confusions, and the expected calibration error before
and after temperature scaling on MNIST test and on these writers. Saved: a
gallery of each model's mistakes and the figures as JSON, under outputs/bench/.

FRESH=1 retrains both models; otherwise a model trained earlier by this bench
(outputs/bench/) or `make train` (digit_classifier.h5) is reused and said so.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from course.lessons import ROOT, display_path
from course.outputs import output_path
from course.pictures import mistakes_gallery

RENDERINGS = 2  # each unseen digit drawn twice, at other sizes, places and pens
SEED = 1


def trained(path: Path, pen_digits: bool) -> Path:
    from course.pipeline import train_pipeline

    if path.is_file() and not os.environ.get("FRESH"):
        print(f"  reusing {display_path(path)} (FRESH=1 retrains it)")
        return path
    what = "MNIST and the training writers' pen digits" if pen_digits else "MNIST alone"
    print(f"  training {display_path(path)} on {what} ...")
    summary = train_pipeline("solutions", model_path=path, verbose=0, pen_digits=pen_digits)
    print(f"  trained in {summary['wall_seconds']:.0f} s; MNIST test {summary['test_accuracy']:.2%}")
    return path


def reference_module(path: Path, name: str):
    """The reference's lesson file at ``path``, imported as ``name`` (the benchmark draws with its to_mnist)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    from course.calibration import apply_temperature, expected_calibration_error
    from course.handwriting import pen_images, read
    from course.lessons import SOLUTIONS_DIR, get_lesson
    from course.mnist_file import load_mnist
    from course.model_file import load_trained_model
    from course.pendigits import VALIDATION_WRITERS, load_pendigits
    from course.pipeline import configure_tensorflow

    configure_tensorflow()
    started = time.perf_counter()
    folder = output_path("bench")
    folder.mkdir(parents=True, exist_ok=True)
    unseen = [digit for digit in load_pendigits() if digit.writer in VALIDATION_WRITERS]
    reference_app = reference_module(get_lesson(6).file_in(SOLUTIONS_DIR), "reference_app")
    images, labels, _ = pen_images(unseen, reference_app.to_mnist, renderings=RENDERINGS, seed=SEED)
    print(
        f"{len(images):,} canvas drawings of {len(unseen):,} pen digits "
        f"by writers {VALIDATION_WRITERS[0]}-{VALIDATION_WRITERS[-1]}, "
        "whom no model here trains on\n"
    )
    _, (x_test, y_test) = load_mnist()
    x_test = x_test.astype(np.float32) / 255.0
    models = {
        "MNIST only": trained(folder / "mnist_only.h5", pen_digits=False),
        "reference": trained(Path(os.environ.get("MODEL_PATH") or ROOT / "digit_classifier.h5"), pen_digits=True),
    }
    results = {}
    for name, path in models.items():
        model = load_trained_model(path)
        temperature = getattr(model, "course_temperature", 1.0)
        writers = read(model, images, labels)
        mnist = read(model, x_test, y_test)
        results[name] = {
            "model": display_path(path),
            "mnist_test": mnist.accuracy,
            "writers": writers.accuracy,
            "per_digit": writers.per_digit,
            "confusions": writers.confusions[:6],
            "temperature": temperature,
            "ece": {
                where: {
                    "before": expected_calibration_error(reading.probabilities, truth),
                    "after": expected_calibration_error(apply_temperature(reading.probabilities, temperature), truth),
                }
                for where, reading, truth in (("mnist_test", mnist, y_test), ("writers", writers, labels))
            },
            "gallery": str(
                mistakes_gallery(
                    images,
                    labels,
                    writers.predicted,
                    folder / f"handwriting_mistakes_{name.split()[0].lower()}.png",
                    f"{name}: drawings by unseen writers, misread (true → read)",
                    count=40,
                    columns=10,
                    dpi=80,
                )
            ),
        }
    report(results, len(images))
    results["drawings"] = {"count": len(images), "writers": list(VALIDATION_WRITERS), "renderings": RENDERINGS}
    (folder / "handwriting.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"\nFigures: {display_path(folder / 'handwriting.json')}; galleries of mistakes beside it. "
        f"{time.perf_counter() - started:.0f} s in all."
    )
    return 0


def report(results: dict, count: int) -> None:
    names = list(results)
    width = 14
    print(f"\n{'':30}" + "".join(f"{name:>{width}}" for name in names))
    print(f"{'MNIST test':30}" + "".join(f"{results[n]['mnist_test']:>{width}.2%}" for n in names))
    print(f"{'unseen writers':30}" + "".join(f"{results[n]['writers']:>{width}.2%}" for n in names))
    for digit in range(10):
        print(f"{'  digit ' + str(digit):30}" + "".join(f"{results[n]['per_digit'][digit]:>{width}.1%}" for n in names))
    for where, label in (("mnist_test", "MNIST test"), ("writers", "unseen writers")):
        for when in ("before", "after"):
            row = f"ECE {label}, {when} T"
            print(f"{row:30}" + "".join(f"{results[n]['ece'][where][when]:>{width}.2%}" for n in names))
    print(f"{'temperature T':30}" + "".join(f"{results[n]['temperature']:>{width}.2f}" for n in names))
    for name in names:
        top = ", ".join(f"{t}→{p} ×{k}" for t, p, k in results[name]["confusions"]) or "none"
        print(f"\n{name}: most frequent mistakes on the {count:,} drawings: {top}")
    first, last = results[names[0]]["writers"], results[names[-1]]["writers"]
    print(f"\nUnseen writers: {first:.2%} -> {last:.2%}; errors x{(1 - last) / max(1 - first, 1e-9):.2f}")


def measured(fresh: bool = True) -> dict:
    """handwriting.json of a run of this benchmark (``fresh``: run it now; the models are reused if trained)."""
    path = output_path("bench") / "handwriting.json"
    if fresh or not path.is_file():
        main()
    return json.loads(path.read_text())


def measured_table() -> str:
    """Lesson 7's README table: the two models on MNIST test and the unseen writers, and the first's mistakes."""
    results = measured()
    drawings, only, both = results["drawings"], results["MNIST only"], results["reference"]
    worst = {name: min(range(10), key=lambda d: results[name]["per_digit"][d]) for name in ("MNIST only", "reference")}
    rows = [
        "| | MNIST only | MNIST + writers 1–20 |",
        "|---|---:|---:|",
        f"| MNIST test | {only['mnist_test']:.2%} | {both['mnist_test']:.2%} |",
        f"| unseen writers | **{only['writers']:.2%}** | **{both['writers']:.2%}** |",
        "| worst digit | "
        + " | ".join(f"{worst[n]}: {results[n]['per_digit'][worst[n]]:.1%}" for n in ("MNIST only", "reference"))
        + " |",
    ]
    mistakes = ", ".join(f"{t} read as {p} ({k} times)" for t, p, k in only["confusions"][:3])
    writers = drawings["writers"]
    return (
        f"Two models trained the same way, with the same seed, measured on the same {drawings['count']:,}\n"
        f"drawings ({drawings['renderings']} of each pen digit) by writers "
        f"{writers[0]}–{writers[-1]}, whom neither model ever saw\n"
        f"(measured by the course's makers, with a benchmark that is not in your copy of the course):\n\n"
        + "\n".join(rows)
        + f"\n\nThe MNIST-only model's most frequent mistakes: {mistakes}.\n"
    )


def calibration_table() -> str:
    """Lesson 7's README table: expected calibration error of the reference, before and after its temperature."""
    reference = measured(fresh=False)["reference"]
    ece = reference["ece"]
    return (
        f"| | before (T = 1) | after (T = {reference['temperature']:.2f}) |\n|---|---:|---:|\n"
        f"| MNIST test | {ece['mnist_test']['before']:.2%} | {ece['mnist_test']['after']:.2%} |\n"
        f"| unseen writers | {ece['writers']['before']:.2%} | {ece['writers']['after']:.2%} |\n\n"
        f"The temperature moves the gap from {ece['mnist_test']['before']:.2%} to {ece['mnist_test']['after']:.2%} "
        f"on MNIST's test set, and from {ece['writers']['before']:.2%} to {ece['writers']['after']:.2%} on people\n"
        "the model never met, where over-confidence costs most.\n"
    )
