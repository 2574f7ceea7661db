"""Roster import from CSV: check the whole file first, then add themes, teams, members, memberships.

A file with any problem imports nothing; the error lists every problem with its line number.
Importing the same file again changes nothing. Members are matched by email (case-insensitive)
within the study; a person in several teams is one member with several memberships. People on
the roster but not in the file are left as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import Member, Membership, Study, Team, Theme, utcnow
from survey_app.services import audit, recorded
from survey_app.services.audit import Actor
from survey_app.services.errors import Problem, ServiceError
from survey_app.services.members import MemberDetails
from survey_app.services.study_setup import NAME_MAX, create_study, find_study
from survey_app.services.transactions import transactional
from survey_app.services.validation import clean, name_problem

REQUIRED_COLUMNS: tuple[str, ...] = (
    "team",
    "name",
    "email",
    "profession",
    "organisation",
    "organisation_type",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("theme", "role")
DEFAULT_THEME = "General"
"""The theme of a new team when the file has no theme for it."""


class RosterError(ServiceError):
    """A roster file with problems, each a message that starts with its line (``line 4: ...``).

    The problems are about the file as a whole (``field`` is ``None``); ``str(error)`` counts
    them on a first line and gives one per line after it, as the CLI prints them.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        super().__init__([Problem(None, problem) for problem in problems])

    def summary(self) -> str:
        """A count of the problems, then one per line."""
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        return f"the roster has {count} {noun}; nothing was imported:\n" + "\n".join(self.messages)


@dataclass(frozen=True)
class RosterRow:
    """One checked line of a roster file."""

    line: int
    team: str
    theme: str
    details: MemberDetails


@dataclass
class ImportSummary:
    """What an import changed; all zero when the same file is imported again."""

    study: str
    rows: int
    study_created: bool = False
    themes_created: int = 0
    teams_created: int = 0
    members_created: int = 0
    members_updated: int = 0
    memberships_created: int = 0
    updated_emails: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was added or changed."""
        return any(
            (
                self.study_created,
                self.themes_created,
                self.teams_created,
                self.members_created,
                self.members_updated,
                self.memberships_created,
            )
        )

    def describe(self) -> str:
        """One plain sentence for the terminal or a flash message."""
        if not self.changed:
            return f"Roster for {self.study}: {self.rows} rows read, nothing to change."
        parts = [
            f"{self.members_created} new members",
            f"{self.members_updated} members updated",
            f"{self.memberships_created} new memberships",
            f"{self.teams_created} new teams",
            f"{self.themes_created} new themes",
        ]
        created = " (study created)" if self.study_created else ""
        return f"Roster for {self.study}{created}: {self.rows} rows read; " + ", ".join(parts) + "."


def _decode(data: bytes) -> tuple[str, dict[int, str]]:
    """The file as text, and a problem for each line that is not UTF-8 (decoded with U+FFFD)."""
    if data.startswith(b"\xef\xbb\xbf"):  # the byte-order mark Excel writes in "CSV UTF-8"
        data = data[3:]
    problems: dict[int, str] = {}
    lines: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            problems[number] = (
                f"line {number}: not UTF-8 text (byte 0x{raw[error.start]:02X} at position "
                f'{error.start + 1}); save the file as "CSV UTF-8"'
            )
            lines.append(raw.decode("utf-8", errors="replace"))
    return "\n".join(lines), problems


def _records(text: str) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """Each CSV record with the line it starts on (quoted values may span lines).

    A record that cannot be read ends the file with ``(line, None, problem)``.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, None, f"line {reader.line_num}: cannot read the CSV ({error})"
            return
        yield start, record, None
        start = reader.line_num + 1


def _header(number: int, record: list[str]) -> tuple[list[str], list[str]]:
    """The column names (lowercased) and the problems with them."""
    names = [clean(name).lower() for name in record]
    problems: list[str] = []
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    if len(names) == 1 and ";" in names[0]:
        problems.append(
            f"line {number}: the columns seem to be separated by semicolons; "
            f"save the file as comma-separated CSV"
        )
        return names, problems
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(f'line {number}: column "{name}" appears twice')
        seen.add(name)
        if name not in known:
            problems.append(
                f'line {number}: unknown column "{name}" (the columns are '
                f"{', '.join(REQUIRED_COLUMNS)}, and optionally theme and role)"
            )
    problems.extend(
        f'line {number}: missing column "{name}"' for name in REQUIRED_COLUMNS if name not in seen
    )
    return names, problems


def parse_roster(data: bytes) -> list[RosterRow]:
    """Check a roster file and return its rows.

    Parameters
    ----------
    data
        The file's bytes: UTF-8 (a byte-order mark is allowed), comma-separated, a header line
        with the columns ``team,name,email,profession,organisation,organisation_type`` in any
        order and optionally ``theme``.

    Raises
    ------
    RosterError
        Listing every problem with its line number: a line that is not UTF-8, an unknown,
        missing or repeated column, a line with too many or too few values, a missing value, a
        malformed email, one email with two different names (or professions, organisations),
        the same person twice in one team.

    Examples
    --------
    >>> rows = parse_roster(b"team,name,email,profession,organisation,organisation_type\\n"
    ...                     b"Ward 7,Ann Smith,Ann@nhs.net,nurse,Trust A,acute trust\\n")
    >>> rows[0].line, rows[0].details.email
    (2, 'ann@nhs.net')
    >>> parse_roster(b"team,name,email,profession,organisation,organisation_type\\n"
    ...              b"Ward 7,Ann Smith,not-an-email,nurse,Trust A,acute trust\\n")
    Traceback (most recent call last):
    ...
    survey_app.services.roster_import.RosterError: the roster has 1 problem; nothing was imported:
    line 2: email "not-an-email" is not an email address
    """
    text, encoding_problems = _decode(data)
    problems = list(encoding_problems.values())
    header: list[str] | None = None
    rows: list[RosterRow] = []
    for number, record, unreadable in _records(text):
        if record is None:
            problems.append(str(unreadable))
            break
        if not any(clean(value) for value in record):
            continue  # blank line
        if header is None:
            header, header_problems = _header(number, record)
            problems.extend(header_problems)
            if header_problems:
                break  # without a usable header the lines cannot be read
            continue
        if number in encoding_problems:
            continue  # already reported as not UTF-8
        if len(record) != len(header):
            problems.append(
                f"line {number}: {len(record)} values, but the header has {len(header)} columns"
            )
            continue
        values = dict(zip(header, record, strict=True))
        details = MemberDetails.of(
            values["name"],
            values["email"],
            values["profession"],
            values["organisation"],
            values["organisation_type"],
            values.get("role"),
        )
        team = clean(values["team"])
        theme = clean(values.get("theme"))
        line_problems = [name_problem(team, "team", NAME_MAX)]
        line_problems += [problem.message for problem in details.problems()]
        if theme:
            line_problems.append(name_problem(theme, "theme", NAME_MAX))
        found = [p for p in line_problems if p]
        problems.extend(f"line {number}: {problem}" for problem in found)
        if not found:
            rows.append(RosterRow(line=number, team=team, theme=theme, details=details))
    if header is None:
        problems.append("line 1: the file is empty (it needs a header line and a line per person)")
    problems.extend(_consistency_problems(rows))
    if problems:
        raise RosterError(sorted(problems, key=_line_number))
    return rows


def _line_number(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head.removeprefix("line ")) if head.startswith("line ") else 0


def _consistency_problems(rows: list[RosterRow]) -> list[str]:
    """One email with two names (or other details), and a person listed twice in one team."""
    problems: list[str] = []
    first_by_email: dict[str, RosterRow] = {}
    team_lines: dict[tuple[str, str, str], int] = {}
    for row in rows:
        email = row.details.email
        first = first_by_email.setdefault(email, row)
        if first is not row:
            for name, (then, now) in row.details.differences(_as_member(first.details)).items():
                label = name.replace("_", " ")
                problems.append(
                    f'line {row.line}: email "{email}" has the {label} "{then}" but line '
                    f'{first.line} gives it the {label} "{now}"'
                )
        key = (email, row.theme, row.team)
        if key in team_lines:
            problems.append(
                f'line {row.line}: repeats line {team_lines[key]} ("{email}" in team "{row.team}")'
            )
        else:
            team_lines[key] = row.line
    return problems


def _as_member(details: MemberDetails) -> Member:
    return Member(**details.columns())


class _Teams:
    """The study's existing teams by (theme, name), and the teams and themes to create."""

    def __init__(self, session: Session, study: Study | None) -> None:
        self.themes: dict[str, Theme] = {}
        self.teams: dict[tuple[str, str], Team] = {}
        if study is not None:
            for theme in session.scalars(select(Theme).where(Theme.study_id == study.id)):
                self.themes[theme.name] = theme
                for team in theme.teams:
                    self.teams[(theme.name, team.name)] = team

    def themes_of(self, team: str) -> list[str]:
        return sorted(theme for (theme, name) in self.teams if name == team)


def _resolve_themes(rows: list[RosterRow], teams: _Teams) -> dict[int, str]:
    """The theme of each row's team, or RosterError for a team name found in several themes.

    A row without a theme takes the theme other rows give that team, else the theme of the one
    existing team with that name, else :data:`DEFAULT_THEME`.
    """
    named: dict[str, set[str]] = {}
    for row in rows:
        if row.theme:
            named.setdefault(row.team, set()).add(row.theme)
    resolved: dict[int, str] = {}
    problems: list[str] = []
    for row in rows:
        if row.theme:
            resolved[row.line] = row.theme
            continue
        candidates = sorted(named.get(row.team, set()) | set(teams.themes_of(row.team)))
        if len(candidates) > 1:
            problems.append(
                f'line {row.line}: team "{row.team}" is in several themes '
                f"({', '.join(candidates)}); fill in the theme column"
            )
        else:
            resolved[row.line] = candidates[0] if candidates else DEFAULT_THEME
    if problems:
        raise RosterError(problems)
    return resolved


@transactional
def import_roster(
    session: Session,
    study_name: str,
    data: bytes,
    actor: Actor,
    *,
    create_missing_study: bool = True,
    today: date | None = None,
) -> ImportSummary:
    """Import a roster file into a study, all or nothing (the caller commits or rolls back).

    Run it inside a write transaction: the checks against the database and the changes happen
    under the same lock.

    Parameters
    ----------
    study_name
        The study to import into; created when missing if ``create_missing_study``.
    data
        The file's bytes (see :func:`parse_roster`).
    actor
        Who imports, for the audit trail.
    today
        The joining date of new memberships (default: today, UTC).

    Raises
    ------
    RosterError
        Listing every problem; the session is left unchanged.
    ServiceError
        If the study does not exist and may not be created.
    """
    today = utcnow().date() if today is None else today
    rows = parse_roster(data)
    study = find_study(session, study_name)
    if study is None and not create_missing_study:
        raise ServiceError(f'no study named "{clean(study_name)}"')
    teams = _Teams(session, study)
    themes_by_line = _resolve_themes(rows, teams)
    summary = ImportSummary(study=clean(study_name), rows=len(rows))
    if study is None:
        study = create_study(session, study_name, actor)
        summary.study_created = True
    members: dict[str, Member] = {
        member.email: member
        for member in session.scalars(select(Member).where(Member.study_id == study.id))
    }
    existing_memberships = {
        (member_id, team_id)
        for member_id, team_id in session.execute(
            select(Membership.member_id, Membership.team_id)
            .join(Member)
            .where(Member.study_id == study.id)
        )
    }
    placed: list[tuple[Member, Team]] = []
    for row in rows:
        theme_name = themes_by_line[row.line]
        theme = teams.themes.get(theme_name)
        if theme is None:
            theme = Theme(study=study, name=theme_name)
            session.add(theme)
            teams.themes[theme_name] = theme
            summary.themes_created += 1
        team = teams.teams.get((theme_name, row.team))
        if team is None:
            team = Team(theme=theme, name=row.team)
            session.add(team)
            teams.teams[(theme_name, row.team)] = team
            summary.teams_created += 1
        member = members.get(row.details.email)
        if member is None:
            member = _as_member(row.details)
            member.study = study
            session.add(member)
            members[member.email] = member
            summary.members_created += 1
        elif member.email not in summary.updated_emails:
            changes = row.details.differences(member)
            for name, (_, new) in changes.items():
                setattr(member, name, new)
            if changes:
                summary.members_updated += 1
                summary.updated_emails.append(member.email)
        placed.append((member, team))
    session.flush()
    recorded.refresh_unclosed_waves(
        session, [members[email].id for email in summary.updated_emails]
    )
    for member, team in placed:
        if (member.id, team.id) not in existing_memberships:
            session.add(Membership(member=member, team=team, joined_on=today))
            existing_memberships.add((member.id, team.id))
            summary.memberships_created += 1
    session.flush()
    audit.record_action(
        session,
        actor,
        "roster.import",
        study_id=study.id,
        object_type="study",
        object_id=study.id,
        detail={
            "rows": summary.rows,
            "study_created": summary.study_created,
            "themes_created": summary.themes_created,
            "teams_created": summary.teams_created,
            "members_created": summary.members_created,
            "members_updated": summary.updated_emails,
            "memberships_created": summary.memberships_created,
        },
    )
    return summary


@transactional
def record_rejection(
    session: Session, study: Study | None, study_name: str, error: RosterError, actor: Actor
) -> None:
    """Record a rejected import in the audit trail (in its own transaction; the caller commits)."""
    audit.record_action(
        session,
        actor,
        "roster.reject",
        study_id=None if study is None else study.id,
        object_type="study",
        object_id=None if study is None else study.id,
        detail={"study": clean(study_name), "problems": len(error.problems)},
    )
