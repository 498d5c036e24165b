"""Submissions that try to cheat, for the red-team tests: what a determined student would hand in.

Each attack is a folder built from the stubs (or the solutions) with a few
lines added (``attack_code``). Graded in one process with the checks, most of
the first team's earned full marks; graded as ``make grade-all`` grades them now
(the checks and the learner's code in two processes, each worker in a sandbox
of its own, limits counted by cgroup), each must earn only what its honest part
earns. ``EXPECTED`` says what that is.

The attack code is deliberately written the way a student who read the
grader's source would write it: dynamic imports that the tamper scan cannot
see, ``gc`` to reach the checks, file descriptors found in ``/proc/self/fd``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from course.authoring import stubs
from course.bench import attack_code, attack_judge
from course.lessons import SOLUTIONS_DIR, all_lessons, get_lesson


def _tree(destination: Path, solved: tuple[int, ...]) -> Path:
    stubs.write_tree(destination)
    for lesson_id in solved:
        lesson = get_lesson(lesson_id)
        shutil.copy(lesson.file_in(SOLUTIONS_DIR), lesson.file_in(destination))
    return destination


def _append(tree: Path, lesson_id: int, code: str) -> None:
    path = get_lesson(lesson_id).file_in(tree)
    path.write_text(path.read_text() + "\n" + code)


def _prepend(tree: Path, lesson_id: int, code: str) -> None:
    path = get_lesson(lesson_id).file_in(tree)
    source = path.read_text()
    cut = source.index("\nimport ")  # after the module docstring
    path.write_text(source[:cut] + "\n" + code + source[cut:])


def build(kind: str, destination: Path, escape_target: Path | None = None) -> Path:
    """Write the submission of attack ``kind`` (see ATTACKS) to ``destination``."""
    if kind == "symlinks_to_solutions":
        destination.mkdir(parents=True)
        for lesson_id in (1, 2):
            lesson = get_lesson(lesson_id)
            (destination / lesson.dir).mkdir()
            lesson.file_in(destination).symlink_to(lesson.file_in(SOLUTIONS_DIR))
    elif kind == "runs_the_reference":
        tree = _tree(destination, ())
        for lesson_id in (1, 2):
            lesson = get_lesson(lesson_id)
            _append(tree, lesson_id, attack_code.RUN_THE_REFERENCE.format(path=f"{lesson.dir}/{lesson.stub}"))
    elif kind == "no_ops_the_checks":
        tree = _tree(destination, ())
        for lesson_id in (1, 2):
            _append(tree, lesson_id, attack_code.NO_OP_THE_CHECKS)
    elif kind == "forges_results_at_exit":
        _append(_tree(destination, ()), 1, attack_code.FORGE_AT_EXIT)
    elif kind == "hook_off_then_escape":
        _append(
            _tree(destination, ()),
            1,
            attack_code.HOOK_OFF_THEN_ESCAPE.format(target=str(escape_target or "/tmp/course-escape.txt")),
        )
    elif kind == "poisoner":
        _append(_tree(destination, ()), 1, attack_code.POISON)
    elif kind == "copies_a_classmate":
        _append(_tree(destination, ()), 1, attack_code.COPY_A_CLASSMATE)
    elif kind == "reads_hidden_checks":
        _append(_tree(destination, (1, 2)), 1, attack_code.READ_THE_HIDDEN_CHECKS)
    elif kind == "c_loop_at_import":
        _prepend(_tree(destination, (1, 2, 3)), 2, attack_code.C_LEVEL_LOOP)
    elif kind == "holds_memory":
        _prepend(_tree(destination, (1, 2)), 1, attack_code.HOLD_MEMORY)
    elif kind == "huge_message":
        _append(_tree(destination, (1, 2)), 2, attack_code.HUGE_MESSAGE)
    elif kind == "reads_the_history":
        _append(_tree(destination, ()), 1, attack_judge.READ_THE_HISTORY)
    elif kind == "forges_the_yardsticks":
        tree = _tree(destination, ())
        for lesson in all_lessons():
            _append(tree, lesson.id, attack_judge.FORGE_THE_YARDSTICKS)
    elif kind == "forged_heartbeat":
        _append(_tree(destination, (1,)), 1, attack_judge.FORGED_HEARTBEAT)
    elif kind == "hidden_inputs_in_an_error":
        _append(_tree(destination, (1, 2)), 1, attack_judge.HIDDEN_INPUTS_IN_AN_ERROR)
    elif kind == "fork_hopper":
        _prepend(_tree(destination, (1,)), 1, attack_judge.FORK_HOPPER)
    elif kind in SECOND_TEAM:
        SECOND_TEAM[kind](destination, escape_target)
    else:
        raise ValueError(f"unknown attack: {kind}")
    return destination


# attack -> {lesson: points it should get out of that lesson's points} when lessons 1-3 are graded
EXPECTED = {
    "symlinks_to_solutions": {1: 0, 2: 0},
    "runs_the_reference": {1: 0, 2: 0},
    "no_ops_the_checks": {1: 0, 2: 0},
    "forges_results_at_exit": {1: 0},
    "hook_off_then_escape": {1: 0, 2: 0},
    "poisoner": {1: 0, 2: 0},
    "copies_a_classmate": {1: 0},
    "reads_hidden_checks": {1: 10, 2: 10},  # finds nothing: no worker ever sees a check, public or hidden
    "c_loop_at_import": {1: 10, 2: 0, 3: 15},
    "holds_memory": {1: 0, 2: 10},
    "huge_message": {1: 10},
}


def _forges_everything(destination: Path, _escape) -> None:
    tree = _tree(destination, ())
    for lesson in all_lessons():
        _prepend(tree, lesson.id, attack_code.FORGE_EVERYTHING)


def _deep_folders(destination: Path, _escape) -> None:
    tree = _tree(destination, (1,))
    folder = tree / "01_load_data"
    for _ in range(1200):  # one folder at a time (os.makedirs recurses, and gives up long before 1,200)
        folder = folder / "d"
        folder.mkdir()


def _deep_expression(destination: Path, _escape) -> None:
    _prepend(_tree(destination, (1, 2)), 2, attack_code.deep_expression())


def _odd_link_name(destination: Path, _escape) -> None:
    tree = _tree(destination, (1,))
    os.symlink(b"/nowhere/\xff", os.fsencode(tree / "01_load_data") + b"/\xff\xfe-notes.py")


def _big_links_in_its_checks(destination: Path, escape_target) -> None:
    tree = _tree(destination / "lessons", (1,))
    checks = tree.parent / "checks"
    checks.mkdir()
    big = (escape_target or destination).parent / "big-file.bin"
    with open(big, "wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GiB, sparse
    for name, target in (
        ("conftest.py", big),
        ("zero.py", Path("/dev/zero")),
        ("pagemap.py", Path("/proc/self/pagemap")),
    ):
        (checks / name).symlink_to(target)
    (checks / "root").symlink_to("/")


def _at_import(code: str, solved: tuple[int, ...], lesson_id: int):
    def build_it(destination: Path, _escape) -> None:
        _prepend(_tree(destination, solved), lesson_id, code)

    return build_it


# The second red team (issues 18 and 19): forging from the worker, and taking what a sandbox can take.
SECOND_TEAM = {
    "forges_everything": _forges_everything,
    "deep_folders": _deep_folders,
    "deep_expression": _deep_expression,
    "odd_link_name": _odd_link_name,
    "big_links_in_its_checks": _big_links_in_its_checks,
    "memfd_hog": _at_import(attack_code.MEMFD_HOG, (1, 2), 1),
    "shm_hog": _at_import(attack_code.SHM_HOG, (1, 2), 1),
    "disk_hog": _at_import(attack_code.DISK_HOG, (1, 2), 1),
    "thread_bomb": _at_import(attack_code.THREAD_BOMB, (1, 2), 1),
    "immortal_thread": _at_import(attack_code.IMMORTAL_THREAD, (1, 2), 1),
}
EXPECTED.update(
    {
        "forges_everything": {1: 0, 2: 0, 3: 0},
        "deep_folders": {1: 10},
        "deep_expression": {1: 10, 2: 0},
        "odd_link_name": {1: 10},
        "big_links_in_its_checks": {1: 10},
        "memfd_hog": {1: 0, 2: 10},
        "shm_hog": {1: 0, 2: 10},  # /dev/shm is not its to write: it breaks its own lesson
        "disk_hog": {1: 10, 2: 10},  # the disk is bounded; nothing is gained or broken
        "thread_bomb": {1: 0, 2: 10},  # it breaks its own lesson (its threads take its memory), and no one else's
        "immortal_thread": {1: 10, 2: 10},
    }
)
ATTACKS = tuple(EXPECTED)


def remove_deep(path: Path) -> None:
    """Remove a folder tree however deep (shutil.rmtree recurses, and gives up at about 1,000 levels)."""
    stack = [os.fspath(path)]
    while stack:
        top = stack[-1]
        entries = list(os.scandir(top))
        folders = [entry.path for entry in entries if entry.is_dir(follow_symlinks=False)]
        if folders:
            stack.extend(folders)
            continue
        for entry in entries:
            os.unlink(entry.path)
        os.rmdir(top)
        stack.pop()
