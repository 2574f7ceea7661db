"""Under gunicorn (``copkit serve``), neither the access log nor the error log holds a link token.

The server runs on a database whose invitations table is then renamed away, so a survey link
fails with a 500: Flask logs "Exception on /s/<token>..." with a traceback, gunicorn logs the
request line and its referrer. The whole log is searched for the tokens afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from survey_app import migrate
from survey_app.database import make_engine
from tests.load.live_server import LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

SURVEY_TOKEN = "LeakCanaryLiveToken0123456789abcdefghijklm"
REFERRER_TOKEN = "LeakCanaryReferrer0123456789abcdefghijklm"
RESET_TOKEN = "LeakCanaryLiveReset0123456789abcdefghijkl"


def test_no_token_in_the_access_or_error_log(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'copkit.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    server = LiveServer(url, tmp_path / "instance", tmp_path / "server.log", workers=1)
    server.start()
    try:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE invitations RENAME TO invitations_gone"))
        referrer = {"Referer": f"{server.base_url}/s/{REFERRER_TOKEN}/page/1"}
        failing = requests.get(f"{server.base_url}/s/{SURVEY_TOKEN}", headers=referrer, timeout=10)
        assert failing.status_code == 500
        reset = requests.get(f"{server.base_url}/auth/reset/{RESET_TOKEN}", timeout=10)
        assert reset.status_code < 500
    finally:
        server.stop()
        engine.dispose()
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert "Exception on /s/[token] [GET]" in log  # the error log did record the failure
    assert "Traceback" in log
    assert '"GET /s/[token] HTTP/1.1" 500' in log  # and the access log the request
    for token in (SURVEY_TOKEN, REFERRER_TOKEN, RESET_TOKEN):
        assert token not in log, token
