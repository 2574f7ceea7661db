"""``copkit serve`` run as a subprocess (its own process group) on a loopback port."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import requests

START_TIMEOUT = 90.0
"""Seconds to wait for ``/healthz`` to answer 200 after starting the server.

Generous on purpose: a start imports pandas and warms every worker, which took over 20 s on a
2-core machine at load 10 (a CI run failed on it); a healthy start answers in about 3 s."""

SECRET_KEY = "load-test-secret-key-0123456789abcdef0123456789"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def copkit_command() -> list[str]:
    """How to run the ``copkit`` command of this interpreter's environment."""
    script = shutil.which("copkit", path=str(Path(sys.executable).parent))
    if script is not None:
        return [script]
    return [sys.executable, "-c", "from survey_app.cli import main; main()"]


class LiveServer:
    """``copkit serve --workers N`` on a database, started and stopped by the test.

    The server runs in a new session (``start_new_session=True``), so the gunicorn master
    and its workers form one process group that :meth:`kill` can SIGKILL at once. Output
    goes to ``log_path`` (appended across restarts).
    """

    def __init__(
        self, database_url: str, instance_path: Path, log_path: Path, *, workers: int = 3
    ) -> None:
        self.database_url = database_url
        self.instance_path = instance_path
        self.log_path = log_path
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """The shell's environment without COPKIT_* settings, plus the server's own."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("COPKIT_")}
        env.update(
            COPKIT_DATABASE_URL=self.database_url,
            COPKIT_SECRET_KEY=SECRET_KEY,
            COPKIT_SESSION_COOKIE_SECURE="false",
            COPKIT_INSTANCE_PATH=str(self.instance_path),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> None:
        """Start the server and wait (at most :data:`START_TIMEOUT`) until ``/healthz`` is 200."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("the server is already running")
        self._log = self.log_path.open("ab")
        command = [*copkit_command(), "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(self.workers)]
        self.process = subprocess.Popen(
            command,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"copkit serve exited with {self.process.returncode}\n{self.log_tail()}"
                )
            try:
                if requests.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"copkit serve did not answer /healthz in {START_TIMEOUT:.0f} s\n{self.log_tail()}"
        )

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers) and reap the master."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._wait_group_gone()
        self._close_log()

    def stop(self) -> None:
        """Stop the server: SIGTERM to the group, SIGKILL if it is still there after 10 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
        self.kill()

    def _wait_group_gone(self, timeout: float = 5.0) -> None:
        """Wait until no process of the group is left (workers are reaped by init)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's output."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def error_lines(self) -> list[str]:
        """Lines of the log that report a traceback or a worker failure."""
        if not self.log_path.exists():
            return []
        markers = ("Traceback", "[ERROR]", "[CRITICAL]")
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if any(mark in line for mark in markers)]
