"""`make bench-limits`: which limits hold at each isolation level, with and without control groups, measured.

A small class (a complete submission beside submissions that take memory
through memfd, /dev/shm and the heap, fill the disk, start threads without end,
or loop in C) is graded on lesson 1 at each level the machine allows (bwrap,
user, none), each once with control groups and once without (as in a container
that cannot make them). For each attack the table says what the grader saw and
how far the machine's memory in use rose while it ran (sampled every 0.1 s):
a limit held if the rise stayed under the sandbox's limit. What a run leaves
in the machine's shared folders (/dev/shm, /var/tmp) is said, then removed:
at the none level the graded code is the grader's own user, and nobody else
would take its files away (the user level removes its slot user's files).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from course.bench import attacks, sample_class
from course.grading import isolation
from course.lessons import ROOT

ATTACKS = {  # the attack, and the lesson whose file holds it
    "memfd_hog": 1,
    "shm_hog": 1,
    "holds_memory": 1,
    "disk_hog": 1,
    "thread_bomb": 1,
    "c_loop_at_import": 2,
}


class MemoryWatch(threading.Thread):
    """The largest rise of the machine's memory in use (RAM taken, shared memory included) while it runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.baseline = self.in_use()
        self.peak = self.baseline
        self.running = True

    @staticmethod
    def in_use() -> int:
        facts = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        kilobytes = {key: int(value.split()[0]) for key, value in facts.items()}
        return (kilobytes["MemTotal"] - kilobytes["MemAvailable"]) * 1024

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.in_use())
            time.sleep(0.1)

    def rise_mb(self) -> float:
        return (self.peak - self.baseline) / 2**20


SHARED_FOLDERS = ("/dev/shm", "/var/tmp")  # every user may write there, and what is written there outlives a run


def shared_entries() -> set[str]:
    """The paths in the machine's shared temporary folders (a graded run must leave nothing there)."""
    return {entry.path for folder in SHARED_FOLDERS if os.path.isdir(folder) for entry in os.scandir(folder)}


def removed_leftovers(before: set[str]) -> list[str]:
    """Remove what appeared in the shared folders since ``before`` (at the none level nobody else does): its paths."""
    left = sorted(shared_entries() - before)
    for path in left:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            Path(path).unlink(missing_ok=True)
    return left


def grade_one(
    submission: Path, level: str, cgroups: bool, out: Path, lesson: int = 1
) -> tuple[dict, float, float, list[str]]:
    """Grade one lesson of a submission; returns (its grade, seconds, how far memory in use rose in MB, leftovers).

    Leftovers: what the run left in /dev/shm or /var/tmp, which the bench then removes (the bwrap and user levels
    leave nothing; at the none level the graded code runs as the grader's own user, whose files nobody may judge).
    """
    env = {**os.environ, "COURSE_ISOLATION": level, "COURSE_CGROUPS": "1" if cgroups else "0"}
    command = [
        "make",
        "--no-print-directory",
        "grade",
        f"TARGET={submission}",
        f"LESSONS={lesson}",
        f"OUT={out}",
        "HIDDEN_CHECKS=",
        "TIME_LIMIT=15",
        "TRUST=1",
    ]
    before = shared_entries()
    watch = MemoryWatch()
    watch.start()
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    watch.running = False
    watch.join()
    left = removed_leftovers(before)
    return json.loads((out / "grade.json").read_text()), seconds, watch.rise_mb(), left


def outcome(grade: dict, rise: float, left: list[str] = ()) -> str:
    lesson = grade["lessons"][0]
    reason = (lesson["reasons"] or [""])[0].replace("; 0 points for this lesson", "")
    reason = reason[:48] + "..." if len(reason) > 51 else reason
    said = f"{lesson['score']:g}/{lesson['max_score']:g}, +{rise:,.0f} MB" + (f" ({reason})" if reason else "")
    return said + (f"; left {len(left)} file{'s' * (len(left) != 1)} in {os.path.dirname(left[0])}" if left else "")


def main() -> int:
    levels = [level for level in ("bwrap", "user", "none") if _available(level)]
    configurations = [(level, cgroups) for level in levels for cgroups in (True, False)]
    print(f"Which limits hold: lesson 1 of each submission, graded at {', '.join(levels)}, with and without cgroups")
    print(f"(memory limit {isolation.Limits().memory_mb:,} MB per sandbox; '+N MB': the rise of memory in use;")
    print(" 'left N files': what the run left in /dev/shm or /var/tmp, which this bench then removes)\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-limits-") as scratch:
        folder = Path(scratch)
        submissions = {"complete": (sample_class.make_submission("complete", folder / "class" / "complete"), 1)}
        for kind, lesson in ATTACKS.items():
            submissions[kind] = (attacks.build(kind, folder / "class" / kind), lesson)
        for kind, (submission, lesson) in submissions.items():
            cells = []
            for level, cgroups in configurations:
                out = folder / "out" / f"{kind}-{level}-{cgroups}"
                grade, _seconds, rise, left = grade_one(submission, level, cgroups, out, lesson)
                cells.append(outcome(grade, rise, left))
            rows.append((kind, cells))
            print(f"  {kind}: " + " | ".join(cells), flush=True)
    header = ["submission", *(f"{level}{' + cgroups' if cgroups else ''}" for level, cgroups in configurations)]
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for kind, cells in rows:
        print(f"| {kind} | " + " | ".join(cells) + " |")
    return 0


def _available(level: str) -> bool:
    if level == "bwrap":
        return isolation.level() == "bwrap"
    if level == "user":
        return os.geteuid() == 0 and isolation.unreachable_python(isolation.uid_for("worker")) is None
    return True
