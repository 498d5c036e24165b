"""The worker's clock: the learner's code reads time the checks hand out, never the machine's.

Installed before the learner's file is imported, it replaces ``time.perf_counter``,
``perf_counter_ns``, ``monotonic``, ``monotonic_ns``, ``time``, ``time_ns``,
``process_time``, ``process_time_ns``, ``thread_time``, ``thread_time_ns`` and
``sleep`` in the worker. Time moves only when the checks say so: a stand-in
the checks made (a stage, a predictor) advances it by the cost the checks
chose for that call (wall time, and the CPU part of it), ``sleep(s)`` by ``s``,
and every reading by a tenth of a microsecond (so that a loop waiting for
time to pass still ends). So a timing check gives the same verdict idle, on a
machine busy with other work, or on half a CPU: nothing it measures depends on
the machine.

``COURSE_CLOCK_CHAOS`` (the project's tests only) first makes the machine's own
clock jump by seconds at random: whatever still read it would show.
"""

from __future__ import annotations

import os
import random
import threading
import time

TICK = 1e-7  # seconds a reading moves the clock on
NAMES = (
    "perf_counter",
    "perf_counter_ns",
    "monotonic",
    "monotonic_ns",
    "time",
    "time_ns",
    "process_time",
    "process_time_ns",
    "thread_time",
    "thread_time_ns",
    "sleep",
)
REAL = {name: getattr(time, name) for name in NAMES}  # the machine's clock, for the worker's own heartbeat


class VirtualClock:
    def __init__(self):
        self.lock = threading.Lock()
        self.wall = 0.0  # seconds since the worker started, as the checks have moved it
        self.cpu = 0.0
        self.epoch = REAL["time"]()  # time.time() starts at the real date, then moves virtually

    def advance(self, wall: float, cpu: float | None = None) -> None:
        wall = max(0.0, float(wall))
        cpu = wall if cpu is None else min(wall, max(0.0, float(cpu)))
        with self.lock:
            self.wall += wall
            self.cpu += cpu

    def read(self, cpu: bool = False) -> float:
        with self.lock:
            self.wall += TICK
            self.cpu += TICK
            return self.cpu if cpu else self.wall

    def functions(self) -> dict:
        def seconds(base: float = 0.0, cpu: bool = False):
            return lambda: base + self.read(cpu)

        def nanoseconds(base: float = 0.0, cpu: bool = False):
            return lambda: int((base + self.read(cpu)) * 1e9)

        def sleep(seconds: float) -> None:
            if seconds < 0:
                raise ValueError("sleep length must be non-negative")
            self.advance(float(seconds), 0.0)
            REAL["sleep"](0)  # let other threads run, as a real sleep would

        start = 1000.0  # an arbitrary origin, as the machine's counters have
        return {
            "perf_counter": seconds(start),
            "perf_counter_ns": nanoseconds(start),
            "monotonic": seconds(start),
            "monotonic_ns": nanoseconds(start),
            "time": seconds(self.epoch),
            "time_ns": nanoseconds(self.epoch),
            "process_time": seconds(cpu=True),
            "process_time_ns": nanoseconds(cpu=True),
            "thread_time": seconds(cpu=True),
            "thread_time_ns": nanoseconds(cpu=True),
            "sleep": sleep,
        }


clock = VirtualClock()


def install() -> None:
    """Put the virtual clock in ``time`` (before the learner's file is imported)."""
    chaos = os.environ.get("COURSE_CLOCK_CHAOS")
    if chaos:
        _jumpy(int(chaos))
    for name, function in clock.functions().items():
        function.__name__ = function.__qualname__ = name
        setattr(time, name, function)


def _jumpy(seed: int) -> None:
    """The machine's clock, made to jump forward by up to three seconds at random on each reading."""
    rng, jumped = random.Random(seed), [0.0]

    def jumping(name: str):
        real = REAL[name]
        scale = 1e9 if name.endswith("_ns") else 1.0

        def read():
            jumped[0] += rng.uniform(0.0, 3.0)
            value = real() + jumped[0] * scale
            return int(value) if name.endswith("_ns") else value

        return read

    for name in NAMES:
        if name != "sleep":
            setattr(time, name, jumping(name))
