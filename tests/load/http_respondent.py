"""A respondent's browser over real HTTP: follows a link through consent, every page and submit."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from tests.load.load_fixtures import PlannedAnswers
from tests.survey_app.survey_fixtures import LAST_PAGE, PAGES, csrf_token

REQUEST_TIMEOUT = (5.0, 30.0)
"""Connect and read timeouts (seconds) of every request."""

MAX_STEPS = 3 * LAST_PAGE
"""More requests than a complete walk needs; a client that loops is a failure."""

THANKS_HEADING = "<h1>Thank you</h1>"
ALREADY_SENT = "You have already sent your answers"
_PAGE_PATH = re.compile(r"/page/(\d+)$")


class ServerError(AssertionError):
    """The server answered 5xx."""


class UnexpectedPageError(AssertionError):
    """A page the walk does not know what to do with (e.g. a refused form)."""


class HttpRespondent:
    """One respondent's browser (a :class:`requests.Session`) following ``/s/<token>``.

    Parameters
    ----------
    base_url
        The server, ``http://127.0.0.1:<port>``.
    link_token
        The invitation's token.
    answers
        What to send on each page.
    before_submit
        Called once, just before the final page is posted (to line clients up).
    """

    def __init__(
        self,
        base_url: str,
        link_token: str,
        answers: PlannedAnswers,
        *,
        before_submit: Callable[[], None] | None = None,
    ) -> None:
        self.base_url = base_url
        self.token = link_token
        self.answers = answers
        self.before_submit = before_submit
        self.session = requests.Session()
        self.statuses: list[int] = []
        self.requests = 0

    def close(self) -> None:
        """Close the browser's connections."""
        self.session.close()

    def _send(
        self, method: str, path: str, data: dict[str, object] | None = None
    ) -> requests.Response:
        response = self.session.request(
            method, f"{self.base_url}{path}", data=data, timeout=REQUEST_TIMEOUT
        )
        for hop in (*response.history, response):
            self.requests += 1
            self.statuses.append(hop.status_code)
            if hop.status_code >= 500:
                raise ServerError(f"{method} {urlsplit(hop.url).path} -> {hop.status_code}")
        return response

    def _form(self, number: int) -> dict[str, object]:
        page = PAGES[number - 1]
        if page.kind == "rated":
            return {q.id: str(self.answers.rated[q.id]) for q in page.questions}
        if page.kind == "network":
            ties = sorted(self.answers.ties)
            return {"knowledge_ties": [str(member) for member in ties] or ["none"]}
        return {"helped": self.answers.comment}

    def complete(self) -> str:
        """Open the link and carry on from wherever it leads until the survey is sent.

        Returns
        -------
        str
            ``"thanks"`` when this browser was shown the thank-you page, ``"already_sent"``
            when the link says the answers were already sent (another browser, or an earlier
            attempt whose reply was lost).

        Raises
        ------
        ServerError
            On any 5xx.
        UnexpectedPageError
            On a refused form or an unknown page.
        requests.RequestException
            When the connection fails (the server is down).
        """
        response = self._send("GET", f"/s/{self.token}")
        submit_hook = self.before_submit
        for _ in range(MAX_STEPS):
            path = urlsplit(response.url).path
            if response.status_code == 200 and path.endswith("/thanks"):
                if THANKS_HEADING not in response.text:
                    raise UnexpectedPageError(f"{path} without its heading")
                return "thanks"
            if ALREADY_SENT in response.text and response.status_code in (200, 409):
                return "already_sent"
            if response.status_code != 200:
                raise UnexpectedPageError(f"{path} answered {response.status_code}")
            form: dict[str, object] = {"csrf_token": csrf_token(response.text)}
            if path.endswith("/consent"):
                form["agree"] = "y"
                response = self._send("POST", f"/s/{self.token}/consent", form)
                continue
            match = _PAGE_PATH.search(path)
            if match is None:
                raise UnexpectedPageError(f"unknown page {path}")
            number = int(match.group(1))
            form.update(self._form(number))
            form["action"] = "next"
            if number == LAST_PAGE and submit_hook is not None:
                submit_hook()
                submit_hook = None
            response = self._send("POST", f"/s/{self.token}/page/{number}", form)
        raise UnexpectedPageError(f"no end after {MAX_STEPS} steps")
