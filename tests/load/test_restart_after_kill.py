"""``copkit serve`` restarts on the same port right after its master was killed with SIGKILL.

A master killed with ``kill -9`` cannot stop its workers; they used to keep the listening socket
for up to half of gunicorn's 60 s timeout, so a restart within those seconds failed with
"Address already in use". Now each worker is told by the kernel when its master dies and leaves
at once, and ``copkit serve`` waits (saying so) for a port that is still held.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from survey_app import migrate
from survey_app.database import make_engine
from tests.load.live_server import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


ORPHANS_GONE_WITHIN = 5.0
"""Seconds within which the workers of a killed master must have left (gunicorn alone: ~30)."""


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'copkit.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_restart_right_after_kill_9_of_the_master_serves(tmp_path: Path) -> None:
    url = _database(tmp_path)
    first = LiveServer(url, tmp_path / "instance", tmp_path / "first.log", workers=2)
    first.start()
    assert first.process is not None
    master = first.process.pid
    second = LiveServer(url, tmp_path / "instance", tmp_path / "second.log", workers=2)
    second.port = first.port
    try:
        os.kill(master, signal.SIGKILL)
        first.process.wait(timeout=10)
        killed_at = time.monotonic()
        starting = threading.Thread(target=second.start)  # at once, on the same port
        starting.start()
        while _group_alive(master) and time.monotonic() - killed_at < 60:
            time.sleep(0.05)
        orphans_lasted = time.monotonic() - killed_at
        starting.join(timeout=120)
        assert orphans_lasted < ORPHANS_GONE_WITHIN, f"old workers lasted {orphans_lasted:.1f} s"
        time.sleep(1.0)
        assert second.process is not None and second.process.poll() is None, second.log_tail()
        assert requests.get(f"{second.base_url}/healthz", timeout=5).status_code == 200
        log = (tmp_path / "second.log").read_text(errors="replace")
        assert f"Listening at: http://127.0.0.1:{first.port}" in log
        assert "Address already in use" not in log
    finally:
        second.stop()
        first.kill()


def test_serve_waits_for_a_port_that_is_still_held(tmp_path: Path) -> None:
    url = _database(tmp_path)
    log_path = tmp_path / "server.log"
    server = LiveServer(url, tmp_path / "instance", log_path, workers=1)
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", server.port))
    holder.listen()
    started: list[BaseException | None] = []

    def start() -> None:
        try:
            server.start()
        except BaseException as error:  # reported by the test below
            started.append(error)
        else:
            started.append(None)

    starting = threading.Thread(target=start)
    starting.start()
    try:
        waiting = f"port {server.port} on 127.0.0.1 is in use"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and waiting not in _text(log_path):
            time.sleep(0.1)
        assert waiting in _text(log_path), server.log_tail()
        time.sleep(1.0)  # still held: the server keeps waiting
        assert server.process is not None and server.process.poll() is None
        holder.close()
        starting.join(timeout=90)
        assert started == [None], started
        log = _text(log_path)
        assert f"port {server.port} is free" in log
        assert f"Listening at: http://127.0.0.1:{server.port}" in log
        assert "Address already in use" not in log
    finally:
        holder.close()
        starting.join(timeout=90)
        server.stop()


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
