"""What a lesson's run produced: the checks' verdicts read from their pipe, the output, the limits that held.

The checks stream one JSON line per check into a pipe only the grader reads.
What arrives is checked against the checks the grader collected before any
learner code ran: a result for a check that does not exist, a second result for
the same check, anything after the final "done" line, or the two control checks
(one must pass, one must fail) coming out wrong is **tampering**.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from course.checking.control import MESSAGE_LIMIT  # characters of one check's message that reach any report
from course.checking.items import HIDDEN_PREFIX

STREAM_LIMIT = 1_000_000  # bytes of results one run may send
LOG_LIMIT = 32_000  # bytes kept of the start and of the end of a run's output


@dataclass
class RunOutcome:
    """What one sandboxed run of a lesson's checks produced."""

    status: int | None  # the checks' process's exit status; None when it was stopped
    records: list[dict] = field(default_factory=list)  # one per check, control checks removed
    done: dict | None = None  # the checks' final line: sandbox violations, collection errors
    tampering: list[str] = field(default_factory=list)
    log: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    stopped: str | None = None  # "cpu", "wall" or "deadline": why the grader stopped it
    out_of_memory: bool = False
    peak_memory_mb: float | None = None
    limits: list[str] = field(default_factory=list)

    @property
    def ran_out(self) -> bool:
        return self.stopped is not None


class Reader(threading.Thread):
    """Reads a pipe to its end, keeping at most ``limit`` bytes (the head, and the tail when ``tail``)."""

    def __init__(self, stream, limit: int, tail: bool = False):
        super().__init__(daemon=True)
        self.stream, self.limit, self.tail = stream, limit, tail
        self.head, self.end, self.total = bytearray(), bytearray(), 0
        self.changed = threading.Event()

    def run(self):
        for chunk in iter(lambda: self.stream.read1(65536) if hasattr(self.stream, "read1") else b"", b""):
            self.total += len(chunk)
            room = self.limit - len(self.head)
            self.head += chunk[: max(0, room)]
            if self.tail:
                self.end = (self.end + chunk)[-self.limit :]
            self.changed.set()

    def text(self) -> str:
        if self.total <= len(self.head) or not self.tail:
            return self.head.decode(errors="replace")
        return (
            self.head.decode(errors="replace")
            + f"\n[... {self.total - len(self.head) - len(self.end)} bytes left out ...]\n"
            + self.end.decode(errors="replace")
        )


def read_verdicts(
    outcome: RunOutcome, stream: bytes, total: int, expected: list[dict], sentinels: dict, hidden: bool
) -> None:
    """Parse the streamed lines into ``outcome``; anything that could not come from honest checks is tampering."""
    known = {check["nodeid"] for check in expected if check["hidden"] == hidden}
    seen: dict[str, dict] = {}
    sentinel_status: dict[str, str] = {}
    if total > STREAM_LIMIT:
        outcome.tampering.append(f"the checks sent {total:,} bytes of results (at most {STREAM_LIMIT:,})")
    for line in stream.decode(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if line.strip():
                outcome.tampering.append("a results line that is not JSON")
            continue
        if not isinstance(record, dict):
            outcome.tampering.append("a results line that is not a record")
            continue
        if outcome.done is not None:
            outcome.tampering.append("results sent after the checks had finished")
            break
        if record.get("type") == "done":
            outcome.done = record
            continue
        nodeid = str(record.get("nodeid", ""))
        name = nodeid.rsplit("::", 1)[-1]
        if name in (sentinels["pass"], sentinels["fail"]):
            if name in sentinel_status:
                outcome.tampering.append("a control check reported twice")
            sentinel_status[name] = str(record.get("status"))
            continue
        nodeid = HIDDEN_PREFIX + nodeid if hidden else nodeid
        if nodeid not in known:
            outcome.tampering.append(f"a result for a check that does not exist ({nodeid[:80]})")
            continue
        if nodeid in seen:
            outcome.tampering.append(f"two results for the same check ({nodeid[:80]})")
            continue
        record["nodeid"] = nodeid
        record["message"] = str(record.get("message", ""))[:MESSAGE_LIMIT]
        seen[nodeid] = record
    outcome.records = list(seen.values())
    passing, failing = sentinel_status.get(sentinels["pass"]), sentinel_status.get(sentinels["fail"])
    if failing == "passed" or (passing is not None and passing != "passed"):
        outcome.tampering.append(
            "the grader's control checks came out wrong (a check that must fail passed, or one that must pass failed)"
        )
    elif outcome.done is not None and (passing is None or failing is None):
        outcome.tampering.append("the grader's control checks did not report")
