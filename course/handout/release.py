"""`make release DEST=dir`: the learners' repository, a git repository ready to push as a template.

It holds what a learner runs: the lesson stubs (refused unless they are exactly
what ``make stubs`` writes), their READMEs and pictures, the public checks, the
course's code for learners and graders (``course.grading.shipping``), the web
page, the pinned requirements, a Makefile without the instructors' block and a
README for learners that says how to hand work in on the chosen platform. It
never holds solutions/, hidden checks, the project's tests, benchmarks, course
makers' tools, this package or the instructors' notes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from course.grading.shipping import grading_files
from course.lessons import ROOT, course_info, display_path

BLOCK_START = "# ---- for instructors and course makers"
BLOCK_END = "# ---- end of the block ----"
TOP_FILES = ("requirements-lab.txt", "pyproject.toml", ".gitignore", "images/course_map.png")
BUILD_DIRS = {"__pycache__", ".pytest_cache", ".ipynb_checkpoints", "instance", "outputs", "notebooks"}
BUILD_ENDINGS = (".pyc", ".h5", ".keras", ".bak", ".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".calibration.json")
TEMPLATE = Path(__file__).with_name("learner_readme.md")
PLATFORMS = ("classroom50", "gradescope")

HAND_IN = {
    "classroom50": """\
Commit your lesson files and push (or run `gh student submit` if your
instructor asks for submissions that way). Classroom 50 grades each submission
on GitHub and publishes it as a Release of your repository: the score and one
line per check, with the same messages as `make check`. `make grade` shows the
same points here first.""",
    "gradescope": """\
Upload your `lessons/` folder (or this repository as a .zip) to the
assignment on Gradescope; it shows the score and one line per check, with the
same messages as `make check`. `make grade` shows the same points here first.""",
}
OWN_CHECKS = """

Only your lesson files (`lessons/NN_*/*.py`) are graded: the grader brings its
own copy of the checks and the course's code, so changing `checks/` or
`course/` changes nothing but your own copy."""
GRADED = {"classroom50": OWN_CHECKS, "gradescope": OWN_CHECKS}

# The project README's sections a learner reads too, with what in them is not for learners taken out.
# Each rewrite must still apply (a test releases the course), so the two READMEs cannot drift apart.
README_REWRITES = (
    ("; see [INSTRUCTORS.md](INSTRUCTORS.md).", "."),
    ("`solutions/` mirrors it file for file with\nthe complete code; ", ""),
)

# Lines of the lessons' READMEs that name what a learners' copy does not have (solutions/, the reference's own
# commands), rewritten for learners; each must still apply, and a test reads every README of a release for more.
LESSON_README_REWRITES = {
    "01_load_data": (("\n  Compare with the reference: `make run-lesson1 TARGET=solutions`.", ""),),
    "04_train": (
        (
            "$ make train                 # the reference solutions, all of MNIST\n"
            "$ make train TARGET=lessons  # your own lessons, saved as lessons/digit_classifier.h5",
            "$ make train                 # your own lessons, all of MNIST, saved as lessons/digit_classifier.h5",
        ),
    ),
    "06_flask_app": (("$ make app                     # the reference solution\n", ""),),
}
NOT_FOR_LEARNERS = ("solutions/", "TARGET=solutions", "reference solution")


class ReleaseRefused(SystemExit):
    """The release would not be what learners should get; the message names the fix."""


def build_product(path: Path) -> bool:
    return bool(BUILD_DIRS.intersection(path.parts)) or path.name.endswith(BUILD_ENDINGS)


def learner_files(root: Path = ROOT) -> list[Path]:
    """Every file the learners' copy takes from ``root`` as it is, relative to it (the Makefile and README aside)."""
    lessons = [path.relative_to(root) for path in (root / "lessons").rglob("*") if path.is_file()]
    taken = {path for path in lessons if not build_product(path)}
    taken.update(grading_files(root))
    taken.update(Path(name) for name in TOP_FILES if (root / name).is_file())
    return sorted(taken)


def learner_makefile(text: str) -> str:
    """The Makefile without the block of instructors' and course makers' commands (there are two: help, rules)."""
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith(BLOCK_START):
            inside = True
        elif inside and line.startswith(BLOCK_END):
            inside = False
        elif not inside:
            kept.append(line)
    return "".join(kept)


def section(readme: str, heading: str) -> str:
    """The body of the README's ``## heading`` section, up to the next section."""
    start = readme.index(f"\n## {heading}\n") + len(heading) + 5
    end = readme.find("\n## ", start)
    return readme[start : end if end >= 0 else len(readme)].strip()


def learner_readme(platform: str, root: Path = ROOT) -> str:
    """The learners' README: the template, with the project README's lessons and loop, and how to hand in."""
    readme = (root / "README.md").read_text()
    for old, new in README_REWRITES:
        if old not in readme:
            raise ReleaseRefused(f"README.md no longer says {old!r}: update README_REWRITES in {__name__}.")
        readme = readme.replace(old, new)
    return TEMPLATE.read_text().format(
        title=course_info()["course"]["title"],
        lessons=section(readme, "The lessons"),
        loop=section(readme, "For learners: the loop"),
        handin=HAND_IN[platform] + GRADED[platform],
    )


def refuse_unless_ready(dest: Path) -> None:
    """Stubs as `make stubs` writes them, checks as the manifest records them, and a new folder to write to."""
    from course.authoring.stubs import out_of_sync
    from course.grading.integrity import modified_files

    if dest.exists() and any(dest.iterdir()):
        raise ReleaseRefused(f"{dest} is not empty: name a new folder (the release is a repository of its own).")
    drift = out_of_sync()
    if drift:
        raise ReleaseRefused(f"lessons/ is not what `make stubs` writes ({drift[0]}): run `make stubs` first.")
    changed = modified_files()
    if changed:
        raise ReleaseRefused(f"The grading files differ from checks/manifest.json ({changed[0]}): run `make manifest`.")


def write_release(dest: Path, platform: str = "classroom50", root: Path = ROOT) -> list[Path]:
    """Write the learners' repository to ``dest``; return the files written (relative to it)."""
    if platform not in PLATFORMS:
        raise ReleaseRefused(f"PLATFORM={platform}: choose one of {', '.join(PLATFORMS)}.")
    refuse_unless_ready(dest)
    try:
        return _write(dest, platform, root)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)  # never half a release
        raise


def _write(dest: Path, platform: str, root: Path) -> list[Path]:
    written = []
    for name in learner_files(root):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, dest / name)  # times kept: make's setup stamp stays newer than the pins
        written.append(name)
    for folder, rewrites in LESSON_README_REWRITES.items():
        readme = dest / "lessons" / folder / "README.md"
        text = readme.read_text()
        for old, new in rewrites:
            if old not in text:
                raise ReleaseRefused(f"{folder}/README.md no longer says {old!r}: update LESSON_README_REWRITES.")
            text = text.replace(old, new)
        readme.write_text(text)
    (dest / "Makefile").write_text(learner_makefile((root / "Makefile").read_text()))
    (dest / "README.md").write_text(learner_readme(platform, root))
    return sorted([*written, Path("Makefile"), Path("README.md")])


def make_repository(dest: Path) -> str | None:
    """`git init` and one commit; returns None, or why there is no repository (no git here)."""
    if shutil.which("git") is None:
        return "git is not installed: the files are written, but not as a repository"
    who = ["-c", "user.name=Course release", "-c", "user.email=course-release@localhost"]
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], [*who, "commit", "-q", "-m", "The course, to start"]):
        subprocess.run(["git", *command], cwd=dest, check=True, capture_output=True)
    return None


def release_and_say(dest: Path, platform: str = "classroom50") -> int:
    """`make release DEST=dir`: write the learners' repository and say what to do with it."""
    dest = dest.resolve()
    files = write_release(dest, platform)
    problem = make_repository(dest)
    print(f"✓ {display_path(dest)}: the learners' repository, {len(files)} files (no solutions/, no hidden checks).")
    print(f"  {problem}" if problem else "  A git repository with one commit: push it to GitHub, mark it a template.")
    print('  Next: INSTRUCTORS.md, "Hand out the course".')
    return 0
