"""The checks' process's one session: which tree is checked, and the pool of workers that run its code.

``Pool`` keeps the current worker (replaced when it is gone), clean extra
ones, the judge (a worker that never imports the learner's file: the checks'
yardsticks run there), the lesson modules imported in each, and what they used
(CPU, read from the kernel by a meter thread; the learner's line last seen
running; what the guard refused).

The pytest plugin opens it (``open_session``) before any check runs and
closes it at the end; ``import_lesson`` and ``given`` reach the workers through it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from types import SimpleNamespace

from course.channel import send
from course.checking.remote import Worker

METER_SECONDS = 0.2


class Pool:
    """The workers of one lesson's checks: the current one, replaced when it is gone, clean extra ones, the judge."""

    def __init__(self, spawner, target):
        self.spawner = spawner
        self.target = target
        self.worker: Worker | None = None
        self.judge_worker: Worker | None = None
        self.everyone: list[Worker] = []
        self.modules: dict[tuple[int, int], SimpleNamespace] = {}
        self.cpu_seen = 0.0
        self.spawning = 0.0
        self.closed = False
        threading.Thread(target=self._meter, daemon=True).start()

    def current(self) -> Worker:
        if self.worker is None or self.worker.dead:
            self.worker = self._start()
        return self.worker

    def clean(self) -> Worker:
        """A fresh worker that has not imported the learner's code (for reading files the learner's code wrote)."""
        return self._start()

    def judge(self) -> Worker:
        """The worker that never imports the learner's file: the checks' yardsticks run there, on data."""
        if self.judge_worker is None or self.judge_worker.dead:
            self.judge_worker = self._start("judge")
        return self.judge_worker

    def _start(self, role: str = "learner") -> Worker:
        started = time.monotonic()
        worker = Worker(self.spawner.spawn(self.target, role), role)
        self.spawning += time.monotonic() - started
        self.everyone.append(worker)
        return worker

    def timings(self) -> dict[str, float]:
        """Wall seconds the checks waited on their workers: started, importing the lesson file (and what it
        imports), running the learner's code, the judge's measures."""
        learner = [worker for worker in self.everyone if worker.role == "learner"]
        return {
            "workers started": self.spawning,
            "your file imported": sum(worker.spent["import"] for worker in learner),
            "your code ran": sum(worker.spent["calls"] for worker in learner),
            "the judge measured": sum(sum(worker.spent.values()) for worker in self.everyone if worker.role == "judge"),
        }

    def _meter(self) -> None:
        """Read the workers' CPU time from the kernel, several times a second (the time limit reads ``cpu_seen``)."""
        while not self.closed:
            with contextlib.suppress(OSError, ValueError):
                self.cpu_seen = max(self.cpu_seen, float(self.spawner.cpu()))
            time.sleep(METER_SECONDS)

    def cpu(self) -> float:
        return self.cpu_seen

    def where(self):
        return self.worker.where if self.worker is not None else None

    def violations(self) -> list[dict]:
        return [violation for worker in self.everyone for violation in worker.violations][:20]

    def import_lesson(self, lesson_id: int) -> SimpleNamespace:
        worker = self.current()
        key = (worker.generation, lesson_id)
        if key not in self.modules:
            self.modules[key] = SimpleNamespace(**worker.request("import", lesson=lesson_id))
        return self.modules[key]

    def close(self) -> None:
        self.closed = True
        for worker in self.everyone:
            if not worker.dead:
                with contextlib.suppress(OSError):
                    send(worker.process.requests, {"op": "bye"})
                worker.stop("the checks are done")
        self.spawner.close()


_session: Pool | None = None


def open_session(target: Path, spawner, lesson=None) -> Pool:
    """The session's pool; the spawner starts warming its workers up for ``lesson`` at once."""
    global _session
    if lesson is not None:
        spawner.prepare(target, lesson)
    _session = Pool(spawner, target)
    return _session


def pool() -> Pool:
    if _session is None:
        raise RuntimeError("the checks run through the course's grader (make check-lessonN), which opens a session")
    return _session


def time_spent(first_check: float | None) -> dict[str, float]:
    """Where this process's wall time went (seconds): its start-up (Python, pytest, the checks' files and
    fixtures' first data), waiting on workers (``Pool.timings``), and the checks' own work (the rest)."""
    import psutil

    now = time.time()
    started = psutil.Process().create_time()
    waited = pool().timings() if _session is not None else {}
    startup = (first_check or now) - started
    own = max(0.0, now - started - startup - sum(waited.values()))
    spent = {"start-up": startup, **waited, "the checks' own work": own, "in all": now - started}
    return {name: round(seconds, 2) for name, seconds in spent.items()}


def close_session() -> None:
    global _session
    if _session is not None:
        _session.close()
    _session = None
