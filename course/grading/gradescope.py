"""Gradescope: `make gradescope` builds dist/autograder.zip; its run_autograder grades each upload.

Gradescope unzips the package into ``/autograder/source``, runs ``setup.sh``
once when it builds the image, then ``run_autograder`` for every submission,
with the uploaded files in ``/autograder/submission``, and shows
``/autograder/results/results.json``. The package holds the course's code and
verified checks, the hidden checks, MNIST and the pinned requirements; never
``solutions/``.

``run_autograder`` accepts a ``lessons/`` tree, a whole clone, a .zip, or the
lesson files uploaded flat (matched to lessons by file name), and grades them
as ``make grade-all`` does: each lesson in a bubblewrap sandbox when the image
allows namespaces, else (Gradescope's containers often do not) as the
unprivileged users with the same limits. The sandboxes read copies of the course
made for each grading (``course.grading.copies``); the source folder itself is
closed to every other user but for its virtual environment, and the hidden
checks are readable by the checks' user only, during their own run.
``AUTOGRADER_ROOT`` stands in for ``/autograder``
(the project's tests use a temporary folder).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import zipfile
from pathlib import Path

from course.lessons import ROOT, display_path

DIST = ROOT / "dist" / "autograder.zip"

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root with internet, when it builds the autograder image
# (Ubuntu 22.04 by default). Written by `make gradescope`.
set -euo pipefail
SOURCE="${AUTOGRADER_ROOT:-/autograder}/source"
cd "$SOURCE"
if [ "${COURSE_SETUP_OFFLINE:-}" != "1" ]; then
  apt-get update -qq
  # bubblewrap sandboxes each lesson; setpriv (util-linux) runs the code as nobody.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap util-linux
  PYTHON=""
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PYTHON="$candidate"; break
    fi
  done
  if [ -z "$PYTHON" ]; then
    # The pinned packages need Python 3.11 or later; Ubuntu 22.04 has 3.10, and 3.11 in its updates.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv \\
      || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq software-properties-common \\
           && add-apt-repository -y ppa:deadsnakes/ppa && apt-get update -qq \\
           && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11 python3.11-venv; }
    PYTHON=python3.11
  fi
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements-lock.txt
fi
# The graded code runs as other users: they run the venv's Python and nothing else of the source (each
# grading copies what its sandboxes read, without the hidden checks, into a folder of its own).
chmod o+x "$SOURCE" && chmod -R go-rwx "$SOURCE"/* && chmod -R a+rX "$SOURCE/.venv"
.venv/bin/python -m course gradescope-check
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. Written by `make gradescope`.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$ROOT/source"
mkdir -p "$ROOT/results"
exec .venv/bin/python -m course gradescope-grade --submission "$ROOT/submission" --results "$ROOT/results/results.json"
"""


def build_package(out: Path = DIST, hidden: Path | None = None) -> Path:
    """Write the autograder package: setup.sh and run_autograder at its root, the course beside them."""
    from course.grading import integrity
    from course.grading.checkset import mnist_on_disk
    from course.grading.shipping import grading_files
    from course.lessons import HiddenChecks

    changed = integrity.modified_files()
    if changed:
        raise SystemExit(
            f"The grading files differ from checks/manifest.json ({', '.join(changed[:3])}): run `make manifest` first."
        )
    hidden = hidden if hidden is not None else HiddenChecks.setting().folder
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16  # executable, as Gradescope needs
            bundle.writestr(info, text)
        for name in grading_files():  # what grading needs, never a benchmark or a course maker's tool
            bundle.write(ROOT / name, name.as_posix())
        bundle.write(mnist_on_disk(), "data/mnist.npz")
        if hidden is not None:
            for file in sorted(Path(hidden).glob("test_lesson*.py")):
                bundle.write(file, f"hidden_checks/{file.name}")
    return out


def check_ready() -> int:
    """setup.sh's last step: the package is whole (checks as recorded, MNIST readable, bubblewrap or root)."""
    from course.grading import integrity, isolation
    from course.mnist_file import read_mnist_file

    problems = [f"grading file changed: {name}" for name in integrity.modified_files()]
    try:
        read_mnist_file(ROOT / "data" / "mnist.npz")
    except Exception as error:
        problems.append(f"MNIST: {error}")
    level = isolation.level()
    if level == "none":
        problems.append(f"learner code cannot be isolated here: {isolation.why_not_isolated()}")
    for problem in problems:
        print(f"✗ {problem}")
    print("✓ the autograder is ready" if not problems else "The autograder is not ready.", f"(isolation: {level})")
    return 1 if problems else 0


def grade_one(submission: Path, results: Path, settings) -> int:
    """Grade one upload; write Gradescope's results.json. The exit status is 0 whenever results were written."""
    from dataclasses import replace

    from course.grading.checkset import prepare_checks
    from course.grading.grade import grade_submission, isolation_for, kept_from_others, lanes_here
    from course.grading.reports import gradescope_results, text_report
    from course.lessons import HiddenChecks

    hidden = ROOT / "hidden_checks"
    settings = replace(settings, hidden=HiddenChecks.at(hidden) if hidden.is_dir() else HiddenChecks.none())
    started = time.monotonic()
    level = isolation_for(settings)
    with tempfile.TemporaryDirectory(prefix="course-gradescope-") as scratch, kept_from_others(level, settings.hidden):
        Path(scratch).chmod(0o711)
        checks = prepare_checks(Path(scratch), settings.hidden)
        work = Path(scratch) / "work"
        grade = grade_submission("submission", submission, checks, work, settings, level, lanes=lanes_here())
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(gradescope_results(grade), indent=2), encoding="utf-8", errors="replace")
    print(text_report(grade))
    print(f"\nGraded in {time.monotonic() - started:.0f} s (isolation: {level}).")
    return 0


def build_and_say(hidden: Path | None = None, out: Path = DIST) -> int:
    """`make gradescope`: build the package and say where it is."""
    path = build_package(out, hidden)
    size = path.stat().st_size / 1e6
    print(
        f"✓ {display_path(path)} ({size:.1f} MB): upload it as the autograder of a Gradescope programming assignment."
    )
    return 0


def grade_upload(submission: Path, results: Path, settings) -> int:
    """run_autograder's last step: grade one upload into results.json (GRADE_LESSONS=1,2 limits the lessons)."""
    from dataclasses import replace

    lessons = os.environ.get("GRADE_LESSONS")
    if lessons:
        settings = replace(settings, lesson_ids=tuple(int(part) for part in lessons.split(",")))
    return grade_one(submission, results, settings)
