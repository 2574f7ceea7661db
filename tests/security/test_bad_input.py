"""Bad input to every form, to the URLs and to the roster importer: no 500, nothing stored.

Hypothesis draws each field of each form from a mix of plausible values and hostile ones (HTML
and script, SQL fragments, template syntax, NUL and other control characters, right-to-left
overrides, stacked combining marks, lone surrogates sent as raw bytes, emoji, very long
strings, wrongly typed and repeated values, fields left out, unexpected fields). Every request
carries a valid CSRF token, so each one reaches the form's own checks. For every case:

- the app answers below 500 (in testing, an exception would surface here);
- a refused form leaves every table as it was (audit events of the refusal itself aside: a
  failed sign-in is counted for throttling and a rejected roster is recorded);
- no page echoes hostile markup unescaped, neither the form shown again nor, once accepted,
  the page showing what was stored.

The forms run on SQLite and on PostgreSQL, whose text cannot hold NUL characters. A module
counter records how many cases ran (printed at the end of the run).
"""

from __future__ import annotations

import csv
import gc
import io
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_from_bytes

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from survey_app.cli import main
from survey_app.extensions import db
from survey_app.models import Member, Membership, Team, Theme
from survey_app.services.roster_import import RosterError, parse_roster
from tests.security.conftest import (
    ADMIN,
    ANONYMOUS,
    EVALUATOR,
    FUZZ_ACCEPTED,
    FUZZ_CASES,
    MARKUP,
    RESET_TOKEN,
    RESPONDENT,
    RESPONDENT_TOKEN,
    SPARE_EMAIL,
    STAFF_EMAILS,
    SecurityApp,
    World,
    assert_escaped,
    build_url,
    describe_differences,
    read_rows,
    routes,
)
from tests.survey_app.staff_support import PASSWORD
from tests.survey_app.survey_fixtures import PAGES

# --- hostile values -------------------------------------------------------------------------

INJECTIONS = (
    "'; DROP TABLE members; --",
    "Robert'); DROP TABLE studies;--",
    "1' OR '1'='1",
    '" OR 1=1 --',
    "admin'--",
    "{{ 7*7 }}",
    "{% for x in range(99) %}x{% endfor %}",
    "${7*7}",
    "%s%s%s%n",
    "../../../etc/passwd",
    "javascript:alert(1)",
    "=cmd|' /C calc'!A0",
)
ODDITIES = (
    "\x00",
    "nul\x00inside",
    "tab\there",
    "line\nbreak",
    "\r\n",
    "\u202eevil.exe\u202c",
    "e\u0301\u0301\u0301\u0301",
    "Z\u0337\u0327\u031ba\u0336l\u0338g\u0334o",
    "\ud800",
    "\udcff tail",
    "\\ud800",
    "\U0001f3e5\U0001f469\u200d\u2695\ufe0f",
    "\ufeffbom",
    "zero\u200bwidth",
    "\u0130stanbul \u00df \u01c5",
    "\uffff\ufffe",
    " ",
    "",
)
LONG_LENGTHS = (199, 200, 201, 320, 321, 1000, 2001, 4001, 20_000, 200_000)


def _long_text() -> st.SearchStrategy[str]:
    return st.tuples(st.sampled_from(LONG_LENGTHS), st.sampled_from(("a", "é", "<", "\u202e"))).map(
        lambda pair: pair[1] * pair[0]
    )


NASTY: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(MARKUP + INJECTIONS + ODDITIES),
    st.tuples(
        st.text(max_size=8), st.sampled_from(MARKUP + INJECTIONS + ODDITIES), st.text(max_size=8)
    ).map("".join),
    st.text(max_size=60),
    _long_text(),
)
"""Hostile text (lone surrogates are sent as the invalid UTF-8 bytes they encode to)."""

Value = str | bytes | list[str | bytes] | None
"""A field's value: text, raw bytes, several values, or None for a field left out."""


@dataclass(frozen=True)
class Field:
    """How one field is drawn: values a user would enter, and wrong values peculiar to it."""

    valid: st.SearchStrategy[Any]
    wrong: st.SearchStrategy[Any] = field(default_factory=st.nothing)

    def attacked(self) -> st.SearchStrategy[Any]:
        """Often hostile or wrong, sometimes plausible, missing, repeated or raw bytes."""
        single = st.one_of(self.valid, self.wrong, NASTY)
        return st.one_of(
            self.valid,
            self.wrong,
            self.wrong,
            NASTY,
            NASTY,
            st.none(),
            st.lists(single, min_size=2, max_size=3),
            st.binary(max_size=24),
        )


@st.composite
def form_values(draw: st.DrawFn, fields: Mapping[str, Field]) -> dict[str, Any]:
    """A submission: either one field attacked and the others plausible, or every field attacked.

    The first kind gets past the other fields' checks, so hostile text in one field is often
    accepted and stored (and then shown), not only refused.
    """
    if not fields:
        return {}
    only = draw(st.one_of(st.none(), st.sampled_from(sorted(fields))))
    return {
        name: draw(spec.attacked() if only in (None, name) else spec.valid)
        for name, spec in fields.items()
    }


def words(*examples: str) -> st.SearchStrategy[str]:
    """Plausible text: the examples, or letters and spaces."""
    return st.one_of(
        st.sampled_from(examples), st.from_regex(r"[A-Za-z][A-Za-z .'-]{0,30}", fullmatch=True)
    )


def text(*examples: str) -> Field:
    """A free-text field with plausible ``examples``."""
    return Field(words(*examples))


def choice(*values: str, wrong: Sequence[str] = ()) -> Field:
    """A field taking one of ``values``."""
    return Field(st.sampled_from(values), st.sampled_from(wrong) if wrong else st.nothing())


DATES = Field(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)).map(date.isoformat),
    st.one_of(
        st.dates().map(date.isoformat),
        st.sampled_from(
            (
                "2024-02-30",
                "2024-13-01",
                "0001-01-01",
                "9999-12-31",
                "31/12/2024",
                "2024-1-1",
                "yesterday",
                "2024-01-01T00:00",
                "1e10",
                "-2024-01-01",
            )
        ),
    ),
)


def moments(first_year: int, last_year: int) -> st.SearchStrategy[str]:
    """Times as a datetime-local field sends them, within the years given."""
    return st.datetimes(
        min_value=datetime(first_year, 1, 1), max_value=datetime(last_year, 12, 31)
    ).map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M"))


MOMENTS = Field(
    moments(2030, 2035),
    st.one_of(
        st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
        st.sampled_from(
            (
                "0001-01-01T00:00",
                "9999-12-31T23:59",
                "2024-02-30T10:00",
                "2024-01-01T25:00",
                "2024-03-31T01:30",  # does not exist in London (clocks go forward)
                "2024-10-27T01:30",  # happens twice in London
                "2024-01-01",
                "now",
            )
        ),
    ),
)
WRONG_NUMBERS = st.one_of(
    st.integers(min_value=-5, max_value=1005).map(str),
    st.sampled_from(
        (
            "0",
            "-1",
            "2147483648",
            "9223372036854775808",
            "9" * 30,
            "9" * 5000,
            "1.5",
            "1e3",
            " 3 ",
            "\u0663",
            "NaN",
            "0x10",
            "-0",
            "+1",
        )
    ),
)
NUMBERS = Field(st.integers(min_value=1, max_value=50).map(str), WRONG_NUMBERS)


def ids(own: Sequence[int], others: Sequence[int] = ()) -> Field:
    """Ids of the study's objects; wrong ones are another study's objects or nothing at all."""
    wrong = (
        st.one_of(st.sampled_from([str(i) for i in others]), WRONG_NUMBERS)
        if others
        else WRONG_NUMBERS
    )
    return Field(st.sampled_from([str(i) for i in own]), wrong)


EXTRA_KEYS = st.dictionaries(
    st.one_of(
        st.sampled_from(("id", "study_id", "role", "me6", "submit", "csrf")), st.text(max_size=8)
    ),
    NASTY,
    max_size=2,
)

# --- sending a form -------------------------------------------------------------------------


def _bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def urlencode(pairs: Sequence[tuple[str, str | bytes]]) -> bytes:
    """A form body, byte by byte (so invalid UTF-8 can be sent)."""
    return b"&".join(
        quote_from_bytes(_bytes(key)).encode() + b"=" + quote_from_bytes(_bytes(value)).encode()
        for key, value in pairs
    )


def pairs_of(values: Mapping[str, Value]) -> list[tuple[str, str | bytes]]:
    """The (key, value) pairs a browser would send for ``values``."""
    pairs: list[tuple[str, str | bytes]] = []
    for key, value in values.items():
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            if one is not None:  # a field left out (e.g. drawn inside a repeated value)
                pairs.append((key, one))
    return pairs


@dataclass(frozen=True)
class FormCase:
    """A form to attack: who sends it, where, and how each field is drawn."""

    name: str
    role: str
    url: Callable[[World], str]
    fields: Callable[[World], dict[str, Field]]
    accepted: tuple[int, ...] = (302, 303)
    """Statuses of an accepted form (anything else is a refusal and must change nothing)."""
    allowed_audit: frozenset[str] = frozenset()
    """Audit events a refusal itself may record."""
    shows: Callable[[World], str] | None = None
    """A page showing what an accepted form stored."""
    method: str = "POST"
    multipart: bool = False
    """Sent as multipart/form-data (a file upload)."""
    examples: int = 30


def _study(world: World) -> str:
    return f"/admin/studies/{world.a.study_id}"


def _wave(world: World) -> str:
    return f"{_study(world)}/waves/{world.a.wave_id}"


def _member(world: World) -> str:
    return f"{_study(world)}/members/{world.a.member_ids['ann@example.org']}"


def _survey(number: int) -> Callable[[World], str]:
    return lambda world: f"/s/{RESPONDENT_TOKEN}/page/{number}"


def _teams(world: World) -> Field:
    return ids(list(world.a.team_ids.values()), list(world.b.team_ids.values()))


def _member_fields(world: World) -> dict[str, Field]:
    return {
        "name": text("Dee Newton", "Zoë O'Brien", "Dr A. N. Other"),
        "email": Field(
            st.one_of(
                st.sampled_from(("dee@example.org", "ANN@example.org", "bob@example.org")),
                st.emails(),
            ),
            st.sampled_from(("not-an-email", "a@b", "two@@example.org", "sp ace@example.org")),
        ),
        "profession": text("nurse", "GP", "pharmacist"),
        "organisation": text("Trust A", "Practice B"),
        "organisation_type": text("acute trust", "general practice"),
    }


def _rated(number: int) -> Callable[[World], dict[str, Field]]:
    page = PAGES[number - 1]

    def fields(world: World) -> dict[str, Field]:
        drawn = {
            question.id: choice(
                *[str(v) for v, _ in question.options], "na", wrong=("0", "8", "4.5", "-1", "")
            )
            for question in page.questions
        }
        drawn["action"] = choice("next", "back")
        return drawn

    return fields


def _wave_fields(number: str) -> Callable[[World], dict[str, Field]]:
    return lambda world: {
        "number": choice(number, wrong=("1", "0", "-1", "1001", "2147483648", "x")),
        "opens": Field(moments(2030, 2031), MOMENTS.wrong),
        "closes": Field(moments(2032, 2035), MOMENTS.wrong),
        "instrument": choice("cop-health@1", wrong=("cop-health@2", "x@1", "@", "cop-health")),
    }


def _account(world: World) -> str:
    return f"/admin/users/{world.spare_user_id}"


def _account_scope(world: World) -> dict[str, Field]:
    return {
        "role": choice("admin", "evaluator", "manager", wrong=("owner", "Admin", "")),
        "studies": ids([world.a.study_id, world.b.study_id], [0, 999_999]),
        # left out as often as chosen: only managers have teams
        "teams": Field(st.one_of(st.none(), _teams(world).valid), _teams(world).wrong),
    }


ACCOUNT_PASSWORD = choice("a new long password", wrong=("short", "123456789"))


def _roster_file(world: World) -> dict[str, Field]:
    return {"file": Field(ROSTER_FILE)}


FORMS: tuple[FormCase, ...] = (
    FormCase(
        "survey consent",
        RESPONDENT,
        lambda world: f"/s/{RESPONDENT_TOKEN}/consent",
        lambda world: {"agree": choice("y", "on", "1", "true", wrong=("", "n"))},
    ),
    FormCase("survey scale page", RESPONDENT, _survey(1), _rated(1), shows=_survey(1)),
    FormCase("survey frequency page", RESPONDENT, _survey(7), _rated(7)),
    FormCase(
        "survey roster question",
        RESPONDENT,
        _survey(8),
        lambda world: {
            "knowledge_ties": Field(
                st.sampled_from((str(world.a.member_ids["ann@example.org"]), "none")),
                ids([], [*world.a.member_ids.values(), *world.b.member_ids.values()]).wrong,
            ),
            "action": choice("next", "back"),
        },
        shows=_survey(8),
    ),
    FormCase(
        "survey comments",
        RESPONDENT,
        _survey(9),
        lambda world: {
            "helped": text("The weekly huddle"),
            "hindered": text("Rota gaps"),
            "action": choice("next", "back", "back"),
        },
        shows=_survey(9),
    ),
    FormCase(
        "sign-in",
        ANONYMOUS,
        lambda world: "/auth/",
        lambda world: {
            "email": choice(STAFF_EMAILS[EVALUATOR], wrong=("nobody@example.org",)),
            "password": choice(PASSWORD, wrong=("wrong password",)),
        },
        allowed_audit=frozenset({"login.failure", "login.locked"}),
        examples=20,  # each failure checks a slow password hash
    ),
    FormCase(
        "forgot password",
        ANONYMOUS,
        lambda world: "/auth/forgot",
        lambda world: {"email": choice(SPARE_EMAIL, STAFF_EMAILS[EVALUATOR], "nobody@example.org")},
        accepted=(200,),  # the same answer for every address
        examples=20,
    ),
    FormCase(
        "password reset link",
        ANONYMOUS,
        lambda world: f"/auth/reset/{RESET_TOKEN}",
        lambda world: {
            "new": choice("lantern orchard velvet ninety", wrong=("short", "1234567890")),
            "confirmation": choice("lantern orchard velvet ninety", wrong=("other",)),
        },
    ),
    FormCase(
        "password change",
        EVALUATOR,
        lambda world: "/auth/password",
        lambda world: {
            "current": choice(PASSWORD, wrong=("wrong",)),
            "new": choice("a new long password", wrong=("short",)),
            "confirmation": choice("a new long password", wrong=("short",)),
        },
    ),
    FormCase(
        "study",
        ADMIN,
        lambda world: "/admin/studies",
        lambda world: {"name": text("Study C", "Study A")},
        shows=lambda world: "/admin/",
    ),
    FormCase(
        "new staff account",
        ADMIN,
        lambda world: "/admin/users/new",
        lambda world: {
            "email": _member_fields(world)["email"],
            **_account_scope(world),
            "password": ACCOUNT_PASSWORD,
        },
        shows=lambda world: "/admin/users",
    ),
    FormCase("staff account", ADMIN, _account, _account_scope, shows=_account),
    FormCase(
        "staff password reset",
        ADMIN,
        lambda world: f"{_account(world)}/password",
        lambda world: {"password": ACCOUNT_PASSWORD},
        shows=_account,
    ),
    FormCase(
        "participant information",
        EVALUATOR,
        lambda world: f"{_study(world)}/information",
        lambda world: {
            "respondent_title": text("Ward teams survey", ""),
            "sponsor": text("University of Salford", ""),
            "chief_investigator": text("Dr Priya Raman", ""),
            "ethics_reference": text("IRAS 312345", ""),
            "privacy_notice_url": choice(
                "https://example.org/privacy",
                "",
                wrong=("javascript:alert(1)", "www.example.org", "https://", "ftp://x.org"),
            ),
            "contact_email": _member_fields(world)["email"],
        },
        shows=lambda world: f"/s/{RESPONDENT_TOKEN}/consent",
    ),
    FormCase(
        "e-mail template",
        EVALUATOR,
        lambda world: f"{_study(world)}/mail/invitation",
        lambda world: {
            "invitation-subject": text("Survey about {team}", "Survey {study}"),
            "invitation-body": choice(
                "Dear {name},\n\n{link}",
                "{link}\n\nIt closes {closes}. {{braces}}",
                wrong=("{name.__class__} {link}", "{link:>999999}", "no link", "{", "{nope}"),
            ),
        },
        shows=lambda world: f"{_study(world)}/mail",
    ),
    FormCase(
        "theme",
        EVALUATOR,
        lambda world: f"{_study(world)}/themes",
        lambda world: {"theme-name": text("Stroke", "CKD")},
        shows=_study,
    ),
    FormCase(
        "team",
        EVALUATOR,
        lambda world: f"{_study(world)}/teams",
        lambda world: {
            "team-theme": ids(list(world.theme_ids.values()), list(world.other_theme_ids.values())),
            "team-name": text("Ward 9", "Renal"),
        },
        shows=_study,
    ),
    FormCase(
        "theme name",
        EVALUATOR,
        lambda world: f"{_study(world)}/themes/{world.theme_ids['Heart failure']}/name",
        lambda world: {
            f"theme-{world.theme_ids['Heart failure']}-name": text("Cardiac", "Heart failure")
        },
        shows=_study,
    ),
    FormCase(
        "team name",
        EVALUATOR,
        lambda world: f"{_study(world)}/teams/{world.a.team_ids['Ward 7']}/name",
        lambda world: {"name": text("Ward Seven", "Ward 7", "Renal")},
        shows=lambda world: f"{_study(world)}/teams/{world.a.team_ids['Ward 7']}",
    ),
    FormCase(
        "new member",
        EVALUATOR,
        lambda world: f"{_study(world)}/members",
        lambda world: {
            **_member_fields(world),
            "team": ids([0, *world.a.team_ids.values()], list(world.b.team_ids.values())),
        },
        shows=lambda world: f"{_study(world)}/members",
    ),
    FormCase("member details", EVALUATOR, _member, _member_fields, shows=_member),
    FormCase(
        "membership",
        EVALUATOR,
        lambda world: f"{_member(world)}/memberships",
        lambda world: {"team": _teams(world), "joined_on": DATES},
        shows=_member,
    ),
    FormCase(
        "end of membership",
        EVALUATOR,
        lambda world: (
            f"{_study(world)}/memberships/"
            f"{world.a.membership_ids[('ann@example.org', 'Ward 7')]}/end"
        ),
        lambda world: {"left_on": DATES},
        shows=_member,
    ),
    FormCase(
        "intervention",
        EVALUATOR,
        lambda world: f"{_study(world)}/interventions",
        lambda world: {
            "team": _teams(world),
            "started_on": DATES,
            "kind": text("facilitated workshop", "co-location"),
            "description": text("Two half days", ""),
        },
        shows=lambda world: f"{_study(world)}/interventions",
    ),
    FormCase(
        "new wave",
        EVALUATOR,
        lambda world: f"{_study(world)}/waves",
        _wave_fields("2"),  # wave 1 exists
        shows=lambda world: f"{_study(world)}/waves",
    ),
    FormCase("wave details", EVALUATOR, _wave, _wave_fields("1"), shows=_wave),
    FormCase(
        "data protection",
        EVALUATOR,
        lambda world: f"{_study(world)}/data-protection",
        lambda world: {
            "retention_days": Field(
                st.one_of(st.just(""), st.integers(min_value=1, max_value=36_500).map(str)),
                WRONG_NUMBERS,
            ),
            "share_results": choice("yes", "no", wrong=("maybe", "", "1", "on")),
        },
        shows=lambda world: f"{_study(world)}/data-protection",
    ),
    FormCase(
        "survey withdraw button",
        RESPONDENT,
        lambda world: f"/s/{RESPONDENT_TOKEN}/withdraw",
        lambda world: {},
        accepted=(200,),  # the "you have withdrawn" page: the respondent's data are deleted
        examples=10,
    ),
    FormCase(
        "roster upload",
        EVALUATOR,
        lambda world: f"{_study(world)}/roster",
        _roster_file,
        allowed_audit=frozenset({"roster.reject"}),
        shows=lambda world: f"{_study(world)}/members",
        multipart=True,
    ),
    FormCase(
        "links download",
        EVALUATOR,
        lambda world: f"{_wave(world)}/links",
        lambda world: {"who": choice("everyone", "not_submitted", wrong=("all", "", "none"))},
        accepted=(200, 303),
        examples=20,
    ),
    FormCase(
        "show-link button",
        EVALUATOR,
        lambda world: f"{_wave(world)}/invitations/{world.a.extra['invitation_id']}/link",
        lambda world: {},
        accepted=(200, 303),
        examples=10,
    ),
    FormCase(
        "export download",
        EVALUATOR,
        lambda world: f"/exports/{world.a.study_id}",
        lambda world: {
            "export_format": choice("wide-csv", "long-csv", "codebook", wrong=("pdf", "../x"))
        },
        accepted=(200, 303),
        examples=20,
    ),
    FormCase(
        "dashboard report download",
        EVALUATOR,
        lambda world: f"/dashboard/study/{world.a.study_id}/report",
        lambda world: {"report_format": choice("html", wrong=("pdf", "docx"))},
        accepted=(200, 303),
        examples=20,
    ),
    FormCase(
        "audit filter",
        EVALUATOR,
        lambda world: "/admin/audit",
        lambda world: {
            "action": choice("", "login.success", "study.create"),
            "actor": text("eval", ""),
            "since": DATES,
            "until": DATES,
            "page": NUMBERS,
        },
        accepted=(200,),
        method="GET",
    ),
    *(
        FormCase(name, role, url, lambda world: {}, examples=10)
        for name, role, url in (
            ("sign-out button", EVALUATOR, lambda world: "/auth/logout"),
            ("deactivate-account button", ADMIN, lambda world: f"{_account(world)}/deactivate"),
            ("reactivate-account button", ADMIN, lambda world: f"{_account(world)}/reactivate"),
            ("close-wave button", EVALUATOR, lambda world: f"{_wave(world)}/close"),
            ("delete-wave button", EVALUATOR, lambda world: f"{_wave(world)}/delete"),
            (
                "delete-team button",
                EVALUATOR,
                lambda world: f"{_study(world)}/teams/{world.a.team_ids['Ward 7']}/delete",
            ),
            (
                "delete-theme button",
                EVALUATOR,
                lambda world: f"{_study(world)}/themes/{world.theme_ids['Heart failure']}/delete",
            ),
            ("reminders button", EVALUATOR, lambda world: f"{_wave(world)}/reminders"),
            (
                "test e-mail button",
                EVALUATOR,
                lambda world: f"{_study(world)}/mail/invitation/test",
            ),
            (
                "resend button",
                EVALUATOR,
                lambda world: f"{_wave(world)}/invitations/{world.a.extra['invitation_id']}/resend",
            ),
            (
                "team brief download button",
                EVALUATOR,
                lambda world: f"/dashboard/team/{world.a.team_ids['Ward 7']}/brief",
            ),
            ("erase-member button", EVALUATOR, lambda world: f"{_member(world)}/erase"),
            (
                "delete-intervention button",
                EVALUATOR,
                lambda world: f"{_study(world)}/interventions/{world.a.intervention_id}/delete",
            ),
        )
    ),
)
"""Every form of the app (dashboard forms join here when they exist)."""


# --- roster files ---------------------------------------------------------------------------

HEADER = ["team", "name", "email", "profession", "organisation", "organisation_type"]


@dataclass(frozen=True)
class RosterFile:
    """An uploaded file (``content`` None: a plain text field where the file should be)."""

    content: bytes | None
    filename: str = "roster.csv"
    text: str = ""


def roster_cell() -> st.SearchStrategy[str]:
    return st.one_of(
        words("Ward 7", "Ann Smith", "nurse", "Trust A", "acute trust"),
        st.emails(),
        NASTY.filter(lambda text: len(text) < 5000),
    )


@st.composite
def roster_bytes(draw: st.DrawFn) -> bytes:
    """A CSV file, from nearly right to plain garbage."""
    kind = draw(st.sampled_from(("rows", "rows", "rows", "bytes", "valid")))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "valid":
        return valid_roster(draw(st.integers(min_value=1, max_value=6)), draw(st.integers(0, 99)))
    header = list(HEADER)
    mutation = draw(st.sampled_from(("none", "none", "drop", "add", "repeat", "upper", "theme")))
    if mutation == "drop":
        header.pop(draw(st.integers(0, len(header) - 1)))
    elif mutation == "add":
        header.append(draw(st.sampled_from(("theme", "notes", "<b>x</b>", ""))))
    elif mutation == "repeat":
        header.append(draw(st.sampled_from(header)))
    elif mutation == "upper":
        header = [name.upper() for name in header]
    elif mutation == "theme":
        header.append("theme")
    rows = draw(
        st.lists(
            st.lists(roster_cell(), min_size=len(header) - 1, max_size=len(header) + 1),
            max_size=5,
        )
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(("\n", "\r\n", "\r"))))
    delimiter_row = draw(st.booleans())
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    text = buffer.getvalue()
    if delimiter_row:
        text = text.replace(",", draw(st.sampled_from((",", ";", "\t", ',"'))), 1)
    encoding = draw(st.sampled_from(("utf-8", "utf-8", "utf-8-sig", "latin-1", "utf-16")))
    return text.encode(
        encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace"
    )


def valid_roster(people: int, seed: int) -> bytes:
    """A correct roster of ``people`` new members (emails unique to ``seed``)."""
    lines = [",".join([*HEADER, "theme"])]
    for number in range(people):
        lines.append(
            f"Team {number % 2},Person {seed} {number},p{seed}x{number}@example.org,nurse,"
            f"Trust A,acute trust,Theme {number % 2}"
        )
    return ("\n".join(lines) + "\n").encode()


ROSTER_FILE: st.SearchStrategy[RosterFile | None] = st.one_of(
    st.builds(
        RosterFile,
        roster_bytes(),
        st.one_of(
            st.just("roster.csv"),
            st.sampled_from(("../../etc/passwd", "<b>x</b>.csv", "roster.xlsx", "")),
            st.text(max_size=20).filter(lambda name: name.isprintable()),
        ),
    ),
    st.builds(RosterFile, st.none(), st.just(""), st.text(max_size=40)),
    st.none(),
)


def _multipart(part: RosterFile | str | bytes) -> Any:
    """One part of a multipart body: a file, or a text field (UTF-8, so no lone surrogates)."""
    if isinstance(part, RosterFile):
        return part.text if part.content is None else (io.BytesIO(part.content), part.filename)
    if isinstance(part, bytes):
        return (io.BytesIO(part), "blob.csv")
    return part.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def send(security: SecurityApp, case: FormCase, values: Mapping[str, Any]) -> Any:
    """Send the form as the case's role, with a valid CSRF token."""
    client = security.client(case.role)
    url = case.url(security.world)
    if case.method == "GET":
        query = urlencode(pairs_of(values)).decode()
        return client.get(f"{url}?{query}")
    if case.multipart:
        data: dict[str, Any] = {"csrf_token": security.csrf(case.role, url)}
        for key, value in values.items():
            parts = [part for part in (value if isinstance(value, list) else [value]) if part]
            data[key] = [_multipart(part) for part in parts]
        return client.post(url, data=data, content_type="multipart/form-data")
    pairs = [("csrf_token", security.csrf(case.role, url)), *pairs_of(values)]
    return client.post(url, data=urlencode(pairs), content_type="application/x-www-form-urlencoded")


def check_case(security: SecurityApp, case: FormCase, values: Mapping[str, Any]) -> None:
    """One bad-input case: no server error, nothing stored when refused, markup escaped."""
    security.restore()
    FUZZ_CASES[f"{case.name} ({security.kind})"] += 1
    response = send(security, case, values)
    status = response.status_code
    assert status < 500, f"{case.name}: {status}"
    if response.mimetype == "text/html":
        assert_escaped(response.get_data(as_text=True), f"{case.name} ({status})")
    if case.method == "GET":
        assert security.differences() == [], f"{case.name}: a GET changed the tables"
    if status in case.accepted:
        FUZZ_ACCEPTED[f"{case.name} ({security.kind})"] += 1
        if case.shows is not None:
            page = security.client(case.role).get(case.shows(security.world))
            assert page.status_code == 200, f"{case.name}: the page after it is {page.status_code}"
            assert_escaped(page.get_data(as_text=True), f"{case.name}: the page after it")
        security.differences()  # note whether the next case must restore the world
        return
    changed = security.differences(case.allowed_audit)
    assert changed == [], f"{case.name} refused with {status} but stored: {changed}"


@pytest.mark.slow
@pytest.mark.parametrize("case", FORMS, ids=[case.name for case in FORMS])
def test_no_form_breaks_or_stores_bad_input(security_app: SecurityApp, case: FormCase) -> None:
    fields = form_values(case.fields(security_app.world))

    @settings(
        # PostgreSQL's own failure modes (NUL, integer range) are also tried one by one below
        max_examples=case.examples if security_app.kind == "sqlite" else case.examples // 2,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(fields=fields, extra=EXTRA_KEYS)
    def attack(fields: dict[str, Value], extra: dict[str, str]) -> None:
        check_case(security_app, case, {**extra, **fields})

    attack()


@pytest.mark.parametrize("case", FORMS, ids=[case.name for case in FORMS])
def test_nul_and_lone_surrogates_in_every_field(security_app: SecurityApp, case: FormCase) -> None:
    """PostgreSQL text cannot hold NUL; a lone surrogate is not UTF-8: each field, every form."""
    names = [name for name in case.fields(security_app.world) if name != "file"]
    for oddity in ("a\x00b", "\x00", "\ud800x", "\udcff"):
        for name in names:
            check_case(security_app, case, {name: oddity})


def test_every_form_of_the_app_is_attacked(security_app: SecurityApp) -> None:
    """Each POST route with a form, and each GET form, appears in FORMS (or is said to have none)."""
    world = security_app.world
    attacked = {case.url(world).split("?")[0] for case in FORMS}
    without_fields = {"admin.send_invitations"}  # a button like the reminders one; mails out
    missing = []
    for endpoint, rule, methods in routes():
        if "POST" not in methods or endpoint in without_fields:
            continue
        role = RESPONDENT if endpoint.startswith("participate.") else EVALUATOR
        url = build_url(security_app.app, endpoint, rule, world, role)
        if endpoint == "participate.page":
            continue  # attacked page by page above
        if url not in attacked:
            missing.append(endpoint)
    assert missing == [], f"forms nobody attacks: {missing}"


# --- URLs -----------------------------------------------------------------------------------

PATH_PARTS = st.one_of(
    st.sampled_from(
        (
            "0",
            "-1",
            "2147483648",
            "9223372036854775807",
            "9223372036854775808",
            "99999999999999999999",
            "1e3",
            "%00",
            "%2e%2e",
            "..",
            "<script>",
            "%3Cscript%3E",
            "%ED%A0%80",
        )
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), max_size=20).map(
        lambda text: quote(text, safe="")
    ),
)
URL_SHAPES = (
    "/s/{0}",
    "/s/{0}/consent",
    "/s/{0}/page/{1}",
    "/s/{0}/thanks",
    "/s/" + RESPONDENT_TOKEN + "/page/{0}",
    "/admin/studies/{0}",
    "/admin/studies/{0}/teams/{1}",
    "/admin/studies/{0}/members/{1}",
    "/admin/studies/{0}/waves/{1}",
    "/admin/studies/{0}/waves/{1}/tracking",
    "/admin/studies/{0}/waves/{1}/non-responders",
    "/admin/studies/{0}/interventions",
    "/admin/audit?page={0}&since={1}",
    "/auth/?next={0}",
    "/dashboard/{0}",
    "/exports/{0}",
)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, derandomize=True, database=None)
@given(shape=st.sampled_from(URL_SHAPES), first=PATH_PARTS, second=PATH_PARTS)
def test_odd_addresses_get_a_plain_answer(
    security_app: SecurityApp, shape: str, first: str, second: str
) -> None:
    """Ids beyond any database integer, encoded NULs and the like: never a server error."""
    security = security_app
    security.restore()
    FUZZ_CASES[f"addresses ({security.kind})"] += 1
    url = shape.format(first, second)
    for role in (EVALUATOR, ADMIN, RESPONDENT):
        response = security.client(role).get(url)
        assert response.status_code < 500, f"{url} as {role}: {response.status_code}"
        if response.mimetype == "text/html":
            assert_escaped(response.get_data(as_text=True), url)
    assert security.differences() == []


# --- request size ---------------------------------------------------------------------------

TEN_MB = 10 * 1024 * 1024


def _big_form(token: str, size: int) -> bytes:
    return urlencode([("csrf_token", token), ("theme-name", "x" * size)])


@pytest.mark.slow
def test_a_ten_megabyte_body_is_refused_and_nothing_is_stored(security_app: SecurityApp) -> None:
    world = security_app.world
    targets = (
        (ANONYMOUS, "/auth/", {"email": "x" * TEN_MB, "password": "y"}),
        (EVALUATOR, f"{_study(world)}/themes", {"theme-name": "x" * TEN_MB}),
        (RESPONDENT, f"/s/{RESPONDENT_TOKEN}/page/9", {"helped": "x" * TEN_MB, "action": "back"}),
        (RESPONDENT, f"/s/{RESPONDENT_TOKEN}/consent", {"agree": "y", "pad": "x" * TEN_MB}),
    )
    security_app.restore()
    for role, url, fields in targets:
        body = urlencode([("csrf_token", security_app.csrf(role, url)), *fields.items()])
        assert len(body) > TEN_MB
        response = security_app.client(role).post(
            url, data=body, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 413, url
        assert "too large" in response.get_data(as_text=True)
    with warnings.catch_warnings():
        # Werkzeug's multipart parser leaves the temporary file it was spooling the upload to
        # unclosed when the limit cuts the body off; the garbage collector closes it.
        warnings.simplefilter("ignore", ResourceWarning)
        upload = security_app.client(EVALUATOR).post(
            f"{_study(world)}/roster",
            data={
                "csrf_token": security_app.csrf(EVALUATOR),
                "file": (io.BytesIO(valid_roster(1, 1) + b"#" * TEN_MB), "roster.csv"),
            },
            content_type="multipart/form-data",
        )
        assert upload.status_code == 413
        del upload
        gc.collect()
    assert security_app.differences() == []


def test_the_size_limit_holds_without_a_content_length(security_app: SecurityApp) -> None:
    """A streamed (chunked) body has no Content-Length to refuse up front: it is cut off."""
    security_app.restore()
    url = f"{_study(security_app.world)}/themes"
    body = _big_form(security_app.csrf(EVALUATOR), 2 * 1024 * 1024)
    response = security_app.client(EVALUATOR).post(
        url,
        input_stream=io.BytesIO(body),
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert security_app.differences() == []


def test_the_limit_is_the_configured_one(security_app: SecurityApp) -> None:
    """Just under the limit is handled as a form (refused for its length); just over is 413."""
    limit = security_app.app.config["MAX_CONTENT_LENGTH"]
    token = security_app.csrf(EVALUATOR)
    overhead = len(_big_form(token, 0))
    url = f"{_study(security_app.world)}/themes"
    under = security_app.client(EVALUATOR).post(
        url,
        data=_big_form(token, limit - overhead),
        content_type="application/x-www-form-urlencoded",
    )
    assert under.status_code == 422  # a 1 MB theme name is too long, said on the page
    over = security_app.client(EVALUATOR).post(
        url,
        data=_big_form(token, limit - overhead + 1),
        content_type="application/x-www-form-urlencoded",
    )
    assert over.status_code == 413
    assert security_app.differences() == []


# --- the roster importer on the command line -------------------------------------------------

STUDY_NAMES = st.one_of(
    st.just("CLI study"),
    st.just("Study A"),
    st.sampled_from(MARKUP + INJECTIONS).map(lambda text: f"CLI {text}"),
    st.sampled_from(("", " ", "x" * 201, "\u202eevil", "e\u0301\u0301")),
)


@dataclass
class ImporterRun:
    """Outcome of one ``copkit import-roster`` run."""

    exit_code: int
    output: str
    traceback: bool


@dataclass
class CliWorld:
    """A database for the importer and the configuration pointing at it."""

    config: dict[str, object]
    app: SecurityApp
    files: Path
    counter: list[int] = field(default_factory=lambda: [0])

    def run(self, data: bytes, study: str) -> ImporterRun:
        self.counter[0] += 1
        path = self.files / f"roster-{self.counter[0]}.csv"
        path.write_bytes(data)
        result = CliRunner().invoke(
            main, ["import-roster", str(path), "--study", study], obj=dict(self.config)
        )
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        return ImporterRun(result.exit_code, result.output, crashed)


@pytest.fixture(scope="module")
def cli_world(security_app: SecurityApp, tmp_path_factory: pytest.TempPathFactory) -> CliWorld:
    config = {
        key: security_app.app.config[key]
        for key in ("DATABASE_URL", "SECRET_KEY", "INSTANCE_PATH")
        if key in security_app.app.config
    }
    config["INSTANCE_PATH"] = security_app.app.instance_path
    return CliWorld(config, security_app, tmp_path_factory.mktemp("rosters"))


def _counts(security: SecurityApp) -> tuple[int, int, int, int]:
    with security.app.app_context():
        return tuple(  # type: ignore[return-value]
            int(db.session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Member, Membership, Team, Theme)
        )


def _file_is_valid(data: bytes) -> bool:
    try:
        parse_roster(data)
    except RosterError:
        return False
    return True


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@pytest.mark.slow
@given(data=roster_bytes(), study=STUDY_NAMES)
def test_the_importer_never_crashes_and_imports_all_or_nothing(
    cli_world: CliWorld, data: bytes, study: str
) -> None:
    world = cli_world
    security = world.app
    security.restore()
    FUZZ_CASES[f"copkit import-roster ({security.kind})"] += 1
    before = read_rows(security.app)
    run = world.run(data, study)
    assert not run.traceback and "Traceback" not in run.output, run.output
    assert run.exit_code in (0, 1), (run.exit_code, run.output)
    after = read_rows(security.app)
    if run.exit_code == 0:
        FUZZ_ACCEPTED[f"copkit import-roster ({security.kind})"] += 1
        assert _file_is_valid(data), f"imported a file the checks refuse: {run.output}"
    else:
        assert run.output.strip(), "refused without saying why"
        changed = describe_differences(before, after, frozenset({"roster.reject"}))
        assert changed == [], f"refused ({run.output.strip()[:200]}) but stored: {changed}"
    security.differences()


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(people=st.integers(min_value=1, max_value=8), seed=st.integers(min_value=0, max_value=10**6))
def test_the_importer_takes_every_valid_file(cli_world: CliWorld, people: int, seed: int) -> None:
    world = cli_world
    security = world.app
    security.restore()
    FUZZ_CASES[f"copkit import-roster, valid ({security.kind})"] += 1
    members, memberships, _, _ = _counts(security)
    run = world.run(valid_roster(people, seed), "CLI study")
    assert run.exit_code == 0, run.output
    FUZZ_ACCEPTED[f"copkit import-roster, valid ({security.kind})"] += 1
    assert _counts(security)[:2] == (members + people, memberships + people)
    security.differences()


def test_the_fuzzing_harness_can_fail(sqlite_security_app: SecurityApp) -> None:
    """A page that echoes markup raw, and a refusal that stores, are both caught."""
    with pytest.raises(AssertionError, match="unescaped"):
        assert_escaped("<p><script>alert(1)</script></p>", "a broken page")
    security = sqlite_security_app
    security.restore()
    with security.app.app_context():
        db.session.add(Theme(study_id=security.world.a.study_id, name="stored anyway"))
        db.session.commit()
    assert security.differences() != []
    assert urlencode([("a", "\ud800"), ("b", b"\xff")]) == b"a=%ED%A0%80&b=%FF"
