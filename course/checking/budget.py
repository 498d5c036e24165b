"""A check's time: the CPU its code used (this process and its workers), with a wall-clock backstop.

A check may use ``cpu_limit`` seconds of computing, counted in this process
and in the workers (read from the kernel by the pool's meter, never as a worker says),
so an honest check gets the same verdict on an idle machine, a busy one, or
half a CPU. A wall-clock limit, several times larger, stops what the CPU count
cannot see (a worker stuck waiting, or a machine too busy to run it) and names itself.
The clock runs while a check's fixtures are set up, while it runs and while it
is torn down, never while pytest reports (an alarm must not interrupt that).
"""

from __future__ import annotations

import contextlib
import signal
import time

TICK = 0.25  # seconds between looks at the clock


def wall_backstop(cpu_limit: float) -> float:
    """The wall-clock backstop for a CPU limit: generous enough for a loaded machine or half a CPU."""
    return 4 * cpu_limit + 30


class CheckTimeout(Exception):
    """A check used up its time: ``kind`` is "cpu" or "wall"; ``where`` the learner's line last seen running."""

    def __init__(self, kind: str, limit: float, where=None):
        self.kind, self.limit, self.where = kind, limit, where
        what = "computing" if kind == "cpu" else "wall-clock time (the machine may be very busy)"
        super().__init__(f"Timeout: the check used up its {limit:g} s of {what}")


class Clock:
    """One check's clock; ``running()`` around each phase it counts."""

    def __init__(self, cpu_limit: float, pool=None, wall_limit: float | None = None):
        self.cpu_limit = cpu_limit
        self.wall_limit = wall_limit or wall_backstop(cpu_limit)
        self.pool = pool
        self.cpu_used = 0.0
        self.wall_used = 0.0

    def _cpu_now(self) -> float:
        return time.process_time() + (self.pool.cpu() if self.pool is not None else 0.0)

    def running(self):
        return _Running(self)


class _Running:
    def __init__(self, clock: Clock):
        self.clock = clock

    def __enter__(self):
        clock = self.clock
        cpu_start, wall_start = clock._cpu_now(), time.monotonic()
        cpu_before, wall_before = clock.cpu_used, clock.wall_used

        def tick(signum, frame):
            clock.cpu_used = cpu_before + clock._cpu_now() - cpu_start
            clock.wall_used = wall_before + time.monotonic() - wall_start
            if clock.cpu_used > clock.cpu_limit or clock.wall_used > clock.wall_limit:
                # The timer keeps ticking, and raising, until the check's phase ends: code that swallows the
                # first raise (a library's own error handling, hypothesis's engine) cannot outlive the budget.
                where = clock.pool.where() if clock.pool is not None else None
                if clock.cpu_used > clock.cpu_limit:
                    raise CheckTimeout("cpu", clock.cpu_limit, where)
                raise CheckTimeout("wall", clock.wall_limit, where)

        self.tick = tick
        self.previous = signal.signal(signal.SIGALRM, tick)
        signal.setitimer(signal.ITIMER_REAL, TICK, TICK)
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        with contextlib.suppress(CheckTimeout):
            self.tick(None, None)  # count the last stretch (no raise: the phase is over)
        return False
