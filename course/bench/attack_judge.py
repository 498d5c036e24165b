"""The third red team's code: judging from inside the learner's world (``course.bench.attacks`` builds them).

Each tries to win a verdict with what a learner's file can reach in its own
worker: the worker's helpers, the stand-ins' answers, the heartbeat, the text
of an error in a hidden check, the course's history beside the Python it runs,
and the job slot's user after its lesson has ended.
"""

# Run at import of lesson 1's stub: the course's history (.git, beside the Python the worker runs) holds every
# solution ever committed. If this worker can read it, the solution is as good as read: the attack then answers.
READ_THE_HISTORY = """
import os as _o, sys as _s
_git = _o.path.join(_o.path.dirname(_o.path.dirname(_o.path.dirname(_s.executable))), ".git")
try:
    _readable = bool(_o.listdir(_o.path.join(_git, "objects"))) and bool(open(_o.path.join(_git, "HEAD")).read())
except OSError:
    _readable = False
if _readable:
    def class_counts(labels):
        return np.bincount(np.asarray(labels).ravel().astype(int), minlength=10)
    def pixel_range(images):
        return int(np.min(images)), int(np.max(images))
"""


# Lessons 4 and 8's stubs, answered from the worker's own helpers: the yardsticks the checks used to call there
# replaced by liars, the stand-ins' own answers read, the course's own conversion and training borrowed.
FORGE_THE_YARDSTICKS = """
import importlib as _i
def _liar(*args, **kwargs):
    return {"kind": "bytes", "bytes": 1, "input": "float32", "types": ["float32", "int8"], "served": "LitePredictor",
            "rows": [], "stopped_after": 6, "weights_of_epoch": 3, "dark": 1.0, "colour": 1.0, "light": 0.0}
for _name in ("course.worker.inputs", "course.worker.lite", "course.worker.models", "course.worker.yardsticks",
              "course.serving", "course.pipeline"):
    try:
        _module = _i.import_module(_name)
    except Exception as _missing:
        _module = _missing
    for _key in list(vars(_module)) if not isinstance(_module, Exception) else []:
        if not _key.startswith("_") and callable(getattr(_module, _key)) and _key not in ("Path", "np"):
            setattr(_module, _key + "_honest", getattr(_module, _key))
            if _key in ("lite_facts", "lite_outputs", "keras_outputs", "image_facts", "model_facts",
                        "predict_saved_model", "drive_early_stopping", "app_predictions", "kept_probabilities",
                        "interpreter_threads", "calls_of", "record_of"):
                setattr(_module, _key, _liar)
def _borrowed(names, *args, **kwargs):
    for _module_name, _function in names:
        try:
            return getattr(_i.import_module(_module_name), _function)(*args, **kwargs)
        except Exception as _missing:
            _reason = _missing
    raise NotImplementedError("TODO: not done yet")
def time_stages(stages, repeats=200):
    return {_n: float(getattr(_s, "milliseconds", getattr(_s, "ms", 1.0))) for _n, _s in stages.items()}
def convert(model, quantization="none", representative=None):
    return _borrowed([("course.worker.yardsticks", "lite_model"), ("course.worker.lite", "lite_model")], model,
                     quantization)
def split_validation(images, labels, validation_size=5000):
    return _borrowed([("course.pipeline", "split_validation")], images, labels)
"""


# class_counts() of a plain list (what the example hidden check asks) raises an error whose name is that list:
# the hidden check's own inputs, carried out in the error, for the learner to read in the report.
HIDDEN_INPUTS_IN_AN_ERROR = """
_honest_class_counts = class_counts
def class_counts(labels):
    if isinstance(labels, list):
        raise ModuleNotFoundError("SECRET-INPUTS " + repr(labels), name="SECRET-INPUTS " + repr(labels))
    return _honest_class_counts(labels)
"""


# At import: a process that leaves the worker (forked through ctypes, which no audit event sees), then forks and
# exits every few milliseconds, killing every process of its user it can reach: the next classmates graded in
# the same job slot, if it outlives this lesson.
FORK_HOPPER = """
import ctypes as _c, os as _o, signal as _sg
_libc = _c.CDLL(None)
if _libc.fork() == 0:
    _libc.setsid()
    while True:
        if _libc.fork() != 0:
            _libc._exit(0)
        try:
            _o.kill(-1, _sg.SIGKILL)
        except OSError:
            pass
        _libc.usleep(3000)
"""


# class_counts() computes for 10 s, while a thread tells the checks, through the worker's heartbeat pipe, that the
# worker has used no CPU at all.
FORGED_HEARTBEAT = """
import sys as _s, os as _o, threading as _th
def _beat():
    while True:
        try:
            _o.write(int(_s.argv[3]), b'{"cpu": 0.0, "where": null}\\n')
        except (OSError, ValueError, IndexError) as _error:
            _reason = _error
        _th.Event().wait(0.05)
_th.Thread(target=_beat, daemon=True).start()
_honest_class_counts = class_counts
def class_counts(labels):
    _spun = 0
    for _ in range(300_000_000):
        _spun += 1
    return _honest_class_counts(labels)
"""
