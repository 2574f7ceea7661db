"""Showing and reading times in the study's local time zone (stored times are always UTC)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from survey_app.config import DEFAULTS


def zone_from_config(config: Mapping[str, Any]) -> ZoneInfo:
    """The ``TIMEZONE`` setting as a zone; ValueError naming the setting if it is unknown.

    Examples
    --------
    >>> zone_from_config({"TIMEZONE": "Europe/London"}).key
    'Europe/London'
    """
    name = str(config.get("TIMEZONE") or DEFAULTS["TIMEZONE"])
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"setting TIMEZONE must be a time zone such as Europe/London, not {name!r}"
        ) from None


def format_moment(moment: datetime | None, zone: ZoneInfo) -> str:
    """A time as people read it: ``Friday 14 March 2025, 17:00`` in ``zone``.

    Examples
    --------
    >>> format_moment(datetime(2025, 3, 14, 17, 0, tzinfo=UTC), ZoneInfo("Europe/London"))
    'Friday 14 March 2025, 17:00'
    >>> format_moment(datetime(2025, 7, 1, 8, 30, tzinfo=UTC), ZoneInfo("Europe/London"))
    'Tuesday 1 July 2025, 09:30'
    """
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M}"


def format_day(moment: datetime | date | None, zone: ZoneInfo) -> str:
    """A date as people read it: ``14 March 2025``.

    Examples
    --------
    >>> format_day(date(2025, 3, 4), ZoneInfo("Europe/London"))
    '4 March 2025'
    """
    if moment is None:
        return ""
    day = moment.astimezone(zone).date() if isinstance(moment, datetime) else moment
    return f"{day.day} {day:%B %Y}"


def to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time typed in a form (naive, in ``zone``) as an aware UTC time.

    Examples
    --------
    >>> to_utc(datetime(2025, 7, 1, 9, 30), ZoneInfo("Europe/London")).isoformat()
    '2025-07-01T08:30:00+00:00'
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    return local.replace(tzinfo=zone).astimezone(UTC)


def to_local_naive(moment: datetime, zone: ZoneInfo) -> datetime:
    """An aware time as the naive wall-clock time a ``datetime-local`` input shows."""
    return moment.astimezone(zone).replace(tzinfo=None)


def day_range(
    first: date | None, last: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """From the start of local day ``first`` to the end of local day ``last``, in UTC.

    Examples
    --------
    >>> since, until = day_range(date(2025, 7, 1), date(2025, 7, 1), ZoneInfo("Europe/London"))
    >>> since.isoformat(), until.isoformat()
    ('2025-06-30T23:00:00+00:00', '2025-07-01T23:00:00+00:00')
    """
    since = None if first is None else to_utc(datetime.combine(first, time()), zone)
    until = (
        None if last is None else to_utc(datetime.combine(last + timedelta(days=1), time()), zone)
    )
    return since, until
