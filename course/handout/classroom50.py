"""`make classroom50`: Classroom 50's autograder bundle for this course.

Classroom 50 runs ``CLASSROOM/autograders/ASSIGNMENT/autograder.py`` of the
instructor's classroom50 repository once per submission, in the learner's
checkout on GitHub Actions, with every other file of that folder beside it.
The bundle is that folder: ``autograder.py``, the course's grader with its own
checks in ``grader/`` (``course.grading.shipping``: what grading needs), a
suggested ``runtime.json`` and a README. ``autograder.py`` takes only the
lesson files from the checkout and calls ``course.grading.classroom50``, which
writes ``result.json``.

Hidden checks never go in: Classroom 50 publishes autograders on GitHub Pages,
where anyone can read them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from course.grading.shipping import grading_files
from course.lessons import ROOT, all_lessons, course_info, display_path

DIST = ROOT / "dist" / "classroom50"
RUNTIME = {"runs-on": "ubuntu-24.04", "python": "3.11", "apt": ["bubblewrap"]}

AUTOGRADER = '''\
"""Classroom 50 autograder for "@TITLE@". Written by `make classroom50`; do not edit.

The runner calls this once per submission, in the learner's checkout. Only the
lesson files are taken from there: the grader, its checks and its settings are
the copies in grader/ beside this file. Each lesson runs in a sandbox of its
own (bubblewrap, or unprivileged users; the grader refuses to run learner code
it cannot isolate). It writes ./result.json: one test per check, scored in
hundredths of a point (Classroom 50 counts in whole numbers; 10000 is the whole
course), and ./release-body.md with the grade report.

COURSE_PYTHON names an interpreter that already has the course's pinned
packages; otherwise they are installed once into .venv beside this file.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GRADER = HERE / "grader"
PACKAGES = ("tensorflow", "keras", "flask", "numpy", "PIL", "matplotlib", "pytest", "hypothesis", "psutil")
PROBE = (
    "import importlib.util, sys\\n"
    "sys.exit(sys.version_info < (3, 11) or any(importlib.util.find_spec(name) is None for name in sys.argv[1:]))"
)


def has_packages(python):
    return subprocess.run([python, "-c", PROBE, *PACKAGES]).returncode == 0


def interpreter():
    """A Python with the course's pinned packages: COURSE_PYTHON, this one, or a venv made once here."""
    for candidate in (os.environ.get("COURSE_PYTHON"), sys.executable):
        if candidate and has_packages(candidate):
            return candidate
    if sys.version_info < (3, 11):
        sys.exit(f"The course needs Python 3.11 or later (this is {sys.version.split()[0]}): "
                 "set the assignment's runtime python to 3.11 (runtime.json beside this file).")
    venv = HERE / ".venv"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(GRADER / "requirements.txt"), "-c", str(GRADER / "requirements-lock.txt")], check=True)
    return python


def as_root():
    """The grader isolates learner code best as root: run it with sudo where the runner allows that."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n", "--preserve-env"]
    return []


def main():
    checkout = Path.cwd()
    python = interpreter()
    env = dict(os.environ, PYTHONPATH=str(GRADER), TF_CPP_MIN_LOG_LEVEL="3")
    if not env.get("MNIST_NPZ"):  # MNIST on disk before grading (graded code never downloads): once, then cached
        find = (
            "from course import data, mnist_file; mnist_file.load_mnist(); "
            "print(data.find_mnist_file() or data.keras_cache_file())"
        )
        found = subprocess.run([python, "-c", find], cwd=GRADER, env=env, capture_output=True, text=True)
        if found.returncode != 0:
            print(found.stdout + found.stderr, file=sys.stderr)
            return 1
        env["MNIST_NPZ"] = found.stdout.strip().splitlines()[-1]
    sudo = as_root()
    if sudo or os.geteuid() == 0:  # the sandboxes' users must reach this Python: folders above it searchable
        folders = {str(parent) for path in (Path(python), Path(os.path.realpath(python))) for parent in path.parents}
        subprocess.run([*sudo, "chmod", "o+x", *sorted(folders)], capture_output=True)
    grade = [*sudo, python, "-m", "course", "classroom50-grade",
             "--submission", str(checkout), "--result", str(checkout / "result.json")]
    return subprocess.run(grade, cwd=GRADER, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
'''

README = """\
# Classroom 50 autograder: {title}

Written by `make classroom50`. To use it:

1. Copy this folder into your classroom50 repository as
   `CLASSROOM/autograders/ASSIGNMENT/` (your classroom's short name and the
   assignment's slug), commit and push; publish-pages makes it live.
2. Give the assignment the runtime in `runtime.json` (Python 3.11, bubblewrap):
   `gh teacher assignment add ORG CLASSROOM ASSIGNMENT ... --runtime runtime.json`,
   or the same values under **Advanced settings** in the web form.
3. The template repository is the learners' copy: `make release DEST=dir`.

Each submission is graded lesson by lesson ({lessons} lessons, {points} points):
`result.json` has one test per check, scored in hundredths of a point (10000 is
the whole course), with the checker's message for each check that did not pass.
No hidden checks are bundled: Classroom 50 publishes this folder on GitHub
Pages, where anyone can read it.
"""


def write_bundle(dest: Path | None = None) -> Path:
    """Write the bundle to ``dest`` (a folder, replaced); return it."""
    from course.grading import integrity

    changed = integrity.modified_files()
    if changed:
        raise SystemExit(
            f"The grading files differ from checks/manifest.json ({', '.join(changed[:3])}): run `make manifest` first."
        )
    dest = Path(dest or DIST)
    if dest.exists():
        shutil.rmtree(dest)
    for name in grading_files():
        (dest / "grader" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / "grader" / name)
    title = course_info()["course"]["title"]
    (dest / "autograder.py").write_text(AUTOGRADER.replace("@TITLE@", title))
    (dest / "runtime.json").write_text(json.dumps(RUNTIME, indent=2) + "\n")
    points = sum(lesson.points for lesson in all_lessons())
    (dest / "README.md").write_text(README.format(title=title, lessons=len(all_lessons()), points=points))
    return dest


def build_and_say(dest: Path | None = None) -> int:
    """`make classroom50`: write the bundle and say where it goes."""
    path = write_bundle(dest)
    files = sum(1 for item in path.rglob("*") if item.is_file())
    print(f"✓ {display_path(path)}/: the Classroom 50 autograder bundle ({files} files, no hidden checks).")
    print(f"  Where it goes, and the runtime to set: {display_path(path)}/README.md")
    return 0
