"""Control groups: limits that count everything a sandbox's processes take, and the CPU time they used.

A sandbox's processes are put in a control group of their own (when the grader
may make one: root on a VM or in CI, a container that delegates cgroups) with:

* **memory**: every page its processes touch, including tmpfs files, /dev/shm and
  memfd (RLIMIT_DATA counts none of those); past the limit the kernel stops it;
* **processes and threads** (``pids.max``): a fork or thread bomb stays inside;
* **CPU time** (``cpuacct.usage`` / ``cpu.stat``): what the grader's budgets count.

Both cgroup versions are handled: v2 (one unified tree) and v1 (a tree per
controller, as on hosts in hybrid mode), controller by controller, wherever this
process's own group is writable. ``Cgroup.create`` returns None where nothing can be
made; the grader then falls back to rlimits and says so (``held``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

WANTED = ("memory", "pids", "cpu")


@dataclass(frozen=True)
class Place:
    """Where one controller's groups live for this process: the folder of its own group, and the version."""

    folder: Path
    version: int


@lru_cache(maxsize=1)
def places() -> dict[str, Place]:
    """For each wanted controller, this process's own group folder (only where a child group could be made)."""
    mounts: dict[str, tuple[Path, int]] = {}
    unified: Path | None = None
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        parts = line.split(" - ")
        if len(parts) != 2:
            continue
        mount_point = Path(parts[0].split()[4])
        kind, _source, options = [*parts[1].split(), "", ""][:3]
        if kind == "cgroup2":
            unified = mount_point
        elif kind == "cgroup":
            for name in options.split(","):
                if name in ("memory", "pids", "cpuacct"):
                    mounts.setdefault("cpu" if name == "cpuacct" else name, (mount_point, 1))
    own: dict[str, str] = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _number, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                own["cpu" if name == "cpuacct" else (name or "unified")] = path
    except (OSError, ValueError):
        return {}
    found: dict[str, Place] = {}
    if unified is not None and "unified" in own:
        folder = unified / own["unified"].lstrip("/")
        with contextlib.suppress(OSError):
            available = (folder / "cgroup.controllers").read_text().split()
            for name in WANTED:
                if name in available and os.access(folder, os.W_OK):
                    found[name] = Place(folder, 2)
    for name, (mount_point, version) in mounts.items():
        if name not in found and name in own:
            folder = mount_point / own[name].lstrip("/")
            if os.access(folder, os.W_OK):
                found[name] = Place(folder, version)
    return found


def _write(path: Path, text: str) -> bool:
    try:
        path.write_text(text)
        return True
    except OSError:
        return False


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


@dataclass
class Cgroup:
    """One sandbox's control groups (one folder per controller) and the limits that were set."""

    folders: dict[str, Path]  # controller -> folder
    versions: dict[str, int]
    held: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, name: str, memory_mb: int | None, processes: int | None) -> Cgroup | None:
        """Make the groups under this process's own; None when no controller can be used here."""
        folders, versions, held = {}, {}, []
        for controller, place in places().items():
            parent = place.folder
            if place.version == 2:
                _write(parent / "cgroup.subtree_control", f"+{controller}")
            folder = parent / name
            try:
                folder.mkdir(exist_ok=True)
            except OSError:
                continue
            folders[controller], versions[controller] = folder, place.version
        group = cls(folders, versions, held)
        if not folders:
            return None
        if memory_mb and "memory" in folders:
            limit = str(memory_mb * 1024 * 1024)
            if group._memory_limit(limit):
                held.append(f"memory {memory_mb:,} MB, tmpfs and shared memory included (cgroup v{versions['memory']})")
        if processes and "pids" in folders and _write(folders["pids"] / "pids.max", str(processes)):
            held.append(f"{processes} processes and threads (cgroup v{versions['pids']})")
        if "cpu" in folders:
            held.append(f"CPU time counted (cgroup v{versions['cpu']})")
        return group

    def _memory_limit(self, limit: str) -> bool:
        folder = self.folders["memory"]
        if self.versions["memory"] == 2:
            _write(folder / "memory.swap.max", "0")
            return _write(folder / "memory.max", limit)
        ok = _write(folder / "memory.limit_in_bytes", limit)
        _write(folder / "memory.memsw.limit_in_bytes", limit)  # counts swap too, where the kernel accounts it
        return ok

    def join(self) -> None:
        """Put the calling process in the groups (a child calls this just before it runs the sandbox)."""
        pid = str(os.getpid())
        for folder in self.folders.values():
            _write(folder / "cgroup.procs", pid)

    def pids(self) -> set[int]:
        found = set()
        for folder in self.folders.values():
            for word in _read(folder / "cgroup.procs").split():
                found.add(int(word))
        return found

    def cpu_seconds(self) -> float | None:
        folder = self.folders.get("cpu")
        if folder is None:
            return None
        if self.versions["cpu"] == 2:
            for line in _read(folder / "cpu.stat").splitlines():
                if line.startswith("usage_usec"):
                    return int(line.split()[1]) / 1e6
            return None
        text = _read(folder / "cpuacct.usage").strip()
        return int(text) / 1e9 if text else None

    def peak_memory_mb(self) -> float | None:
        folder = self.folders.get("memory")
        if folder is None:
            return None
        name = "memory.peak" if self.versions["memory"] == 2 else "memory.max_usage_in_bytes"
        text = _read(folder / name).strip()
        return int(text) / 2**20 if text.isdigit() else None

    def out_of_memory(self) -> bool:
        folder = self.folders.get("memory")
        if folder is None:
            return False
        if self.versions["memory"] == 2:
            events = dict(line.split() for line in _read(folder / "memory.events").splitlines() if " " in line)
            return int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0
        control = dict(line.split() for line in _read(folder / "memory.oom_control").splitlines() if " " in line)
        if "oom_kill" in control:
            return control["oom_kill"] != "0" or control.get("under_oom", "0") != "0"
        failures = _read(folder / "memory.failcnt").strip()  # older kernels: the limit was reached at all
        return failures.isdigit() and int(failures) > 0

    def kill_all(self) -> None:
        """Kill every process in the groups (again, until none is left, for a second or two)."""
        for folder, version in ((self.folders.get(c), self.versions.get(c)) for c in self.folders):
            if version == 2 and _write(folder / "cgroup.kill", "1"):
                break
        for _ in range(40):
            remaining = self.pids()
            if not remaining:
                return
            for pid in remaining:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    def remove(self) -> None:
        self.kill_all()
        for folder in self.folders.values():
            for _ in range(20):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
