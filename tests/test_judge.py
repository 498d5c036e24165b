"""The judge owns its instruments: the clock, the stand-ins' answers, the yardsticks, the caller's data.

Run in-process as the checks' side would (a session of workers on a small lesson tree written here): the
learner's code reads a clock only the checks move, a stand-in's answer and record stay here, a call that changes
its caller's data fails in words, and what a learner's file does to the worker's helpers changes no yardstick.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from course.checking import Answer, InputChanged, StandIn, given, judge, last_call, session
from course.checking.spawn import LocalSpawner
from course.checking.standins import Calls
from course.lessons import ROOT, get_lesson

LESSON_8 = """
import time
import numpy as np

def time_stages(stages, repeats=5):
    timings = {}
    for name, call in stages.items():
        call()
        durations = []
        for _ in range(repeats):
            started = time.perf_counter()
            call()
            durations.append(time.perf_counter() - started)
        timings[name] = 1000.0 * float(np.median(durations))
    return timings

def sleepy(seconds):
    started = time.monotonic()
    time.sleep(seconds)
    return time.monotonic() - started, time.process_time()

def pops(items):
    items.pop()
    return len(items)

def scales(images):
    images *= 2
    return images

def same(images):
    return images

def read_attribute(stage):
    return getattr(stage, "milliseconds", None), getattr(stage, "costs", None)
"""

# What a learner's file can do to the worker's own helpers: replace every yardstick it could reach.
FORGER = """
import sys
for name, module in list(sys.modules.items()):
    if name.startswith("course.worker"):
        for key in list(vars(module)):
            if key in ("lite_facts", "image_facts", "keras_outputs", "model_facts", "predict_saved_model"):
                setattr(module, key, lambda *a, **k: {"forged": True})
try:
    import importlib
    y = importlib.import_module("course.worker.yardsticks")
    y.image_facts = lambda *a, **k: {"forged": True}
except Exception:
    pass
"""


@pytest.fixture
def pool(tmp_path):
    tree = tmp_path / "lessons"
    lesson = get_lesson(8)
    lesson.file_in(tree).parent.mkdir(parents=True)
    lesson.file_in(tree).write_text(LESSON_8 + FORGER)
    opened = session.open_session(tree, LocalSpawner(tmp_path / "workers"))
    yield opened
    session.close_session()


class Stage(StandIn):
    def __init__(self, costs):
        self.costs, self.calls = list(costs), 0

    def answer(self, method, args, kwargs):
        cost = self.costs[self.calls % len(self.costs)]
        self.calls += 1
        return Answer(wall=cost / 1000, cpu=cost / 2000)


def module(pool):
    from course.checking.api import RemoteModule

    return RemoteModule(pool, get_lesson(8))


def test_the_learners_clock_moves_only_as_the_checks_say(pool):
    lesson = module(pool)
    stage = Stage([5.0, 1.0, 3.0, 2.0, 100.0, 2.5])  # a warm-up, then 1, 3, 2, 100, 2.5 ms
    timings = lesson.time_stages({"stage": stage}, repeats=5)
    assert stage.calls == 6
    assert abs(timings["stage"] - 2.5) < 1e-3, timings  # the median of 1, 3, 2, 100, 2.5, exactly
    waited, cpu = lesson.sleepy(30.0)  # half a minute, in no time
    assert 30.0 <= waited < 30.001 and cpu < 1.0


def test_a_stand_in_carries_no_answer(pool):
    """The proxy the learner's code holds has only what the stand-in shows: its costs and count stay here."""
    lesson = module(pool)
    assert lesson.read_attribute(Stage([1.0])) == (None, None)


def test_a_call_that_changes_its_callers_data_fails_in_words(pool):
    lesson = module(pool)
    with pytest.raises(InputChanged) as caught:
        lesson.pops([1, 2, 3])
    assert "pops() changed the data it was given: `items` (a list)" in caught.value.what
    with pytest.raises(InputChanged):
        lesson.scales(np.ones(3))
    images = np.ones((2, 2))
    lesson.same(images)
    assert last_call()["aliases"] == ["images"]
    assert np.array_equal(images, np.ones((2, 2)))


def test_a_wrapped_function_tells_a_stand_in_of_each_call(pool):
    lesson = module(pool)
    calls = Calls()
    wrapped = given.wrap(lesson, "pops", calls)
    with pytest.raises(InputChanged):
        lesson.pops([1, 2])
    wrapped.restore()
    assert len(calls.calls) == 1 and calls.calls[0][0] == ([1, 2],)


def test_the_judge_answers_whatever_the_learners_file_did(pool, tmp_path):
    """The learner's file replaced every yardstick it could reach in its own worker: the judge, which never
    imported it, still measures (here: a picture with digits, and a fully transparent one, which shows nothing)."""
    from PIL import Image

    module(pool).same(1)  # the learner's file is imported, its forgery done
    path = tmp_path / "picture.png"
    Image.new("RGBA", (40, 20), (0, 0, 0, 255)).save(path)
    assert judge.image_facts(path.read_bytes())["dark"] == 1.0
    Image.new("RGBA", (40, 20), (0, 0, 0, 0)).save(path)
    assert judge.image_facts(path.read_bytes())["dark"] == 0.0  # transparent: a blank page, not black ink
    assert pool.judge().generation != pool.current().generation


def test_every_given_helper_is_an_input_and_every_yardstick_is_the_judges():
    """The worker's inputs never measure: no helper named for a yardstick is in course.worker.inputs, and the
    judge's module is never in what a learner's worker can read while grading."""
    from course.grading.copies import learner_files
    from course.worker import inputs, yardsticks

    assert not set(inputs.__all__) & set(yardsticks.__all__)
    for lesson_id in range(1, 9):
        readable = {path.as_posix() for path in learner_files(lesson_id)}
        assert "course/worker/yardsticks.py" not in readable
        assert not any(name.startswith(("course/grading/", "course/checking/")) for name in readable)
    assert "course/mnist_file.py" not in {path.as_posix() for path in learner_files(1)}
    assert "course/mnist_file.py" in {path.as_posix() for path in learner_files(2)}


@pytest.mark.parametrize("chaos", ["", "7"])
def test_the_virtual_clock_ignores_the_machines(chaos):
    """With the machine's clock jumping by seconds at random (COURSE_CLOCK_CHAOS), the worker's clock does not."""
    code = textwrap.dedent(
        """
        import time
        from course.worker import clock
        clock.install()
        a, c = time.perf_counter(), time.process_time()
        time.sleep(2.5)
        clock.clock.advance(0.004, 0.001)
        print(round(time.perf_counter() - a, 5), round(time.process_time() - c, 5))
        """
    )
    env = {"PYTHONPATH": str(ROOT), "COURSE_CLOCK_CHAOS": chaos}
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert shown.stdout.split() == ["2.504", "0.001"], shown.stdout + shown.stderr
