"""Wall time, CPU time and peak memory of a command and every process it starts."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MIB = 2**20


@dataclass(frozen=True)
class Usage:
    """What one command cost.

    Attributes
    ----------
    wall : float
        Seconds from start to exit.
    cpu : float
        User plus system seconds of the command and every process it started (workers
        included): the larger of the kernel's account for the command and its reaped
        children, and the sum over every process seen while sampling.
    peak_mib : float
        Largest sum of proportional resident memory (PSS) over the command's process tree at
        any sample (every 50 ms), or the largest process's peak if that is larger: what the
        machine had to hold at once.
    max_process_mib : float
        Largest resident memory of any single process of the tree (the kernel's
        ``ru_maxrss``, which is exact for the command and its reaped children).
    returncode : int
    stdout, stderr : str
    """

    wall: float
    cpu: float
    peak_mib: float
    max_process_mib: float
    returncode: int
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)

    def figures(self) -> dict[str, float]:
        """The numbers, rounded, for the JSON result."""
        return {
            "wall_s": round(self.wall, 3),
            "cpu_s": round(self.cpu, 3),
            "peak_mib": round(self.peak_mib, 1),
            "max_process_mib": round(self.max_process_mib, 1),
        }


def _stat(pid: int) -> tuple[int, float] | None:
    """Parent pid and CPU seconds (user + system) of ``pid`` from /proc, or None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    """Child pids of ``pid`` (of every one of its threads), from /proc."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            found.extend(
                int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            )
        except OSError:
            continue
    return found


def _resident_bytes(pid: int) -> int:
    """Proportional resident memory (PSS: pages shared with other processes count in shares)
    of ``pid``, so a forked child does not count its parent's pages twice; RSS where the
    kernel gives no ``smaps_rollup``."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


class TreeSampler:
    """Samples the resident memory and CPU time of a process and all its descendants.

    Every 0.25 s: reading ``smaps_rollup`` walks a process's page tables, and at the 0.05 s
    this sampled before it took a fifth of a core (48 s of system time in a 4-minute power
    run). With both cores busy (power on 2 workers) that came out of the workers: the same
    command ran in 33 s under the sampler and 23 s without it. Memory of these commands
    grows over seconds, so a quarter second misses no peak worth reporting.
    """

    def __init__(self, root: int, interval: float = 0.25) -> None:
        self.root = root
        self.interval = interval
        self.peak_bytes = 0
        self.cpu_by_pid: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        members, frontier = [self.root], [self.root]
        while frontier:
            parent = frontier.pop()
            for child in _children(parent):
                members.append(child)
                frontier.append(child)
        return members

    def sample(self) -> None:
        """Take one sample now."""
        total = 0
        for pid in self._tree():
            found = _stat(pid)
            if found is None:
                continue
            self.cpu_by_pid[pid] = max(self.cpu_by_pid.get(pid, 0.0), found[1])
            total += _resident_bytes(pid)
        self.peak_bytes = max(self.peak_bytes, total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 3600.0,
    check: bool = True,
) -> Usage:
    """Run ``command`` to its end and measure it (see :class:`Usage`).

    Raises
    ------
    RuntimeError
        When ``check`` and the command exits with a non-zero status (its stderr's tail is in
        the message), or when it runs past ``timeout`` (it is killed then).
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    sampler = TreeSampler(process.pid).start()
    output: dict[str, str] = {}

    def read(name: str, stream: object) -> None:
        output[name] = stream.read()  # type: ignore[attr-defined]

    readers = [
        threading.Thread(target=read, args=("stdout", process.stdout), daemon=True),
        threading.Thread(target=read, args=("stderr", process.stderr), daemon=True),
    ]
    for reader in readers:
        reader.start()
    deadline = started + timeout
    while True:
        pid, status, rusage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            sampler.stop()
            raise RuntimeError(f"{' '.join(command)} ran past {timeout:.0f} s and was killed")
        time.sleep(0.01)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    sampler.stop()
    for reader in readers:
        reader.join()
    kernel_cpu = rusage.ru_utime + rusage.ru_stime
    usage = Usage(
        wall=wall,
        cpu=max(kernel_cpu, sum(sampler.cpu_by_pid.values())),
        peak_mib=max(sampler.peak_bytes, rusage.ru_maxrss * 1024) / MIB,
        max_process_mib=rusage.ru_maxrss / 1024,
        returncode=process.returncode,
        stdout=output.get("stdout", ""),
        stderr=output.get("stderr", ""),
    )
    if check and usage.returncode != 0:
        tail = "\n".join(usage.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(command)} exited with {usage.returncode}:\n{tail}")
    return usage


class Server:
    """A long-running command (a web server) whose process tree is sampled until stopped."""

    def __init__(
        self, command: Sequence[str], *, env: Mapping[str, str], cwd: str | os.PathLike[str]
    ) -> None:
        self.command = list(command)
        self.log = Path(cwd) / "server.log"
        self._handle = self.log.open("w")
        self.process = subprocess.Popen(
            self.command,
            env=dict(env),
            cwd=cwd,
            stdout=self._handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.sampler = TreeSampler(self.process.pid).start()

    def stop(self) -> tuple[float, float]:
        """Stop the server (SIGTERM to its process group, then SIGKILL after 20 s).

        Returns
        -------
        tuple of float
            Peak resident memory of its process tree (MiB) and its CPU seconds.
        """
        self.sampler.sample()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.sampler.stop()
        self._handle.close()
        return self.sampler.peak_bytes / MIB, sum(self.sampler.cpu_by_pid.values())
