"""The checks of one grading run: verified, copied to read-only folders, and listed once.

The public checks and the hidden ones are copied to two separate folders, so
that the sandbox that runs the public checks cannot read the hidden ones. The
list of every check (its node id, name and weight) comes from a pytest
collection that imports no learner code, before any submission runs: it is
what the grader expects to hear about, and anything else is tampering.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from course.checking.items import HIDDEN_PREFIX  # hidden checks' node ids start with it
from course.checking.runner import check_environment, pytest_command, run_process
from course.grading import integrity
from course.grading.copies import make_copies
from course.grading.isolation import uid_for
from course.lessons import ROOT, HiddenChecks, all_lessons, display_path

IMPORT_MODE = ("--import-mode=importlib",)  # public and hidden check files may share a name


@dataclass
class CheckSet:
    """The checks for one grading run: public ones in ``folder``, hidden ones in ``hidden_dir``."""

    folder: Path
    files: dict[int, list[Path]]  # lesson id -> public check files
    hidden_files: dict[int, list[Path]]  # lesson id -> hidden check files
    expected: dict[int, list[dict]]  # lesson id -> every check: nodeid, name, points, hidden
    hidden_dir: Path | None
    hidden_configured: bool
    fingerprint: str
    modified: list[str] = field(default_factory=list)
    data_file: Path | None = None
    course_copy: Path = ROOT  # the course's code the checks and the judge read (``copies``)
    lesson_copies: dict[int, Path] = field(default_factory=dict)  # what a learner's worker reads, per lesson

    @property
    def ini(self) -> Path:
        return self.folder / "pytest.ini"

    @property
    def hidden_state(self) -> str:
        """ "run" (hidden checks are part of this grade), "pending" (configured, not here) or "none"."""
        if self.hidden_dir is not None:
            return "run"
        return "pending" if self.hidden_configured else "none"


def _copy_check_folder(destination: Path, names: list[str], source: Path = ROOT / "checks") -> Path:
    destination.mkdir(parents=True)
    for name in ["conftest.py", "pytest.ini", *names]:
        shutil.copy2(source / name, destination / name)
    return destination


def prepare_checks(workdir: Path, hidden: HiddenChecks | None = None) -> CheckSet:
    """Verify the course's checks and copy them (and the hidden ones) into ``workdir``.

    ``hidden``: which hidden checks (None: the class's setting, ``HiddenChecks.setting()``).
    """
    hashes = integrity.current_hashes()
    modified = integrity.modified_files(found=hashes)
    hidden = hidden or HiddenChecks.setting()
    hidden_source, configured = hidden.folder, hidden.configured
    folder = _copy_check_folder(workdir / "checks", [lesson.checks for lesson in all_lessons()])
    files = {lesson.id: [folder / lesson.checks] for lesson in all_lessons()}
    hidden_files: dict[int, list[Path]] = {lesson.id: [] for lesson in all_lessons()}
    hidden_dir = None
    if hidden_source is not None:
        hidden_dir = _copy_check_folder(workdir / "hidden", [])
        for path in sorted(hidden_source.glob("test_lesson*.py")):
            shutil.copy2(path, hidden_dir / path.name)
        for lesson in all_lessons():
            hidden_files[lesson.id] = sorted(hidden_dir.glob(f"test_lesson{lesson.id:02d}*.py"))
    course_copy, lesson_copies = make_copies(workdir)
    data = workdir / "data" / "mnist.npz"  # the sandboxes read this copy: the course's own data/ may be closed
    data.parent.mkdir()
    shutil.copyfile(mnist_on_disk(), data)
    data.parent.chmod(0o755)
    data.chmod(0o644)
    checks = CheckSet(
        folder,
        files,
        hidden_files,
        {},
        hidden_dir,
        configured,
        integrity.fingerprint(hashes),
        modified,
        data,
        course_copy,
        lesson_copies,
    )
    checks.expected = list_checks(checks)
    owner = uid_for("checks")
    for path in [folder, *folder.rglob("*"), *([hidden_dir, *hidden_dir.rglob("*")] if hidden_dir else [])]:
        if os.geteuid() == 0:
            os.chown(path, owner, owner)  # the checks' user reads them; no worker's user can, at any level
        path.chmod(0o500 if path.is_dir() else 0o400)
    return checks


def mnist_on_disk() -> Path:
    """Graded code runs with its own HOME and no network, so MNIST must be found on disk first."""
    from course.data import MNISTDataError, find_mnist_file

    try:
        found = find_mnist_file()
    except MNISTDataError as error:
        raise SystemExit(f"Grading needs MNIST on disk: {error}") from None
    if found is None:
        raise SystemExit(
            "Grading needs MNIST on disk and never downloads it: set MNIST_NPZ=/path/to/mnist.npz "
            "(the Makefile does when ../shared/data/mnist.npz exists) or copy it to data/mnist.npz."
        )
    return found.resolve()


def _collect(folder: Path, files: list[Path]) -> list[dict]:
    """Every check in ``files`` with its weight, from a pytest collection (no learner code runs)."""
    if not files:
        return []
    listing = folder.parent / f"{folder.name}-checks.json"
    extra = (*IMPORT_MODE, "--collect-only", "--list-checks", str(listing))
    command = pytest_command(all_lessons()[0], files, folder / "pytest.ini", extra=extra)
    run_process(command, check_environment(ROOT / "lessons"), 120, quiet=True)
    try:
        return json.loads(listing.read_text())
    except (OSError, ValueError):
        raise SystemExit(
            f"The checks in {display_path(folder)} could not be collected: "
            "run `make check TARGET=solutions` to see why."
        ) from None


def list_checks(checks: CheckSet) -> dict[int, list[dict]]:
    """Every check of every lesson, public then hidden; hidden node ids get the ``hidden/`` prefix."""
    public = _collect(checks.folder, [path for lesson in all_lessons() for path in checks.files[lesson.id]])
    hidden = []
    if checks.hidden_dir is not None:
        hidden = _collect(
            checks.hidden_dir, [path for lesson in all_lessons() for path in checks.hidden_files[lesson.id]]
        )
        for check in hidden:
            check.update(nodeid=HIDDEN_PREFIX + check["nodeid"], hidden=True)
    expected = {}
    for lesson in all_lessons():
        names = {path.name for path in checks.files[lesson.id]}
        hidden_names = {path.name for path in checks.hidden_files[lesson.id]}
        expected[lesson.id] = [check for check in public if check["nodeid"].split("::")[0] in names]
        expected[lesson.id] += [
            check for check in hidden if check["nodeid"].removeprefix(HIDDEN_PREFIX).split("::")[0] in hidden_names
        ]
        if not expected[lesson.id]:
            raise SystemExit(f"No checks were found for lesson {lesson.id} in {display_path(lesson.checks_path)}.")
    return expected
