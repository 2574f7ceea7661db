"""The study bundle: read, validate and write the pseudonymous CSV contract (docs/architecture.md#bundle)."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.csv_cells import csv_text, restore_frame
from instruments import Instrument, InstrumentError, dump, parse

COLUMNS: dict[str, tuple[str, ...]] = {
    "responses.csv": ("wave", "team", "respondent", "profession", "organisation", "item", "value"),
    "ties.csv": ("wave", "team", "source", "target"),
    "roster.csv": ("wave", "team", "respondent", "profession", "organisation", "responded"),
    "interventions.csv": ("team", "wave", "kind", "description"),
    "comments.csv": ("wave", "team", "respondent", "item", "text"),
    "waves.csv": ("wave", "opens", "closes", "status"),
}
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {"roster.csv": ("role", "network_answered")}
"""Columns a file may have beyond :data:`COLUMNS`: ``role`` (the member's role in the team,
e.g. KTA, facilitator, clinical lead; empty for none; cop-health version-2 studies) and
``network_answered`` (1/0: 0 for a respondent who chose "Prefer not to answer" on the
knowledge-network question, whose answer is missing, not zero ties; absent, it equals
``responded``)."""
REQUIRED_FILES = ("responses.csv", "ties.csv", "roster.csv", "interventions.csv", "instrument.yaml")
OPTIONAL_FILES = ("comments.csv", "waves.csv")
WAVE_STATUSES = ("scheduled", "open", "closed")
"""A wave's status in ``waves.csv``, as the app knew it when it exported the bundle."""
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


@dataclass(frozen=True)
class BundleProblem:
    """One problem in a bundle: the file, the CSV line (header is line 1), the column, what."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


class BundleError(ValueError):
    """A bundle failed validation; ``problems`` lists every problem found, in file order."""

    def __init__(self, source: str, problems: Iterable[BundleProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = self.problems[:200]
        more = len(self.problems) - len(shown)
        lines = "\n".join(f"  {p}" for p in shown)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        count = len(self.problems)
        super().__init__(
            f"invalid study bundle {source} ({count} problem{'s' if count != 1 else ''}):"
            f"\n{lines}{tail}"
        )


@dataclass(frozen=True)
class Bundle:
    """A validated study bundle.

    Attributes
    ----------
    responses : DataFrame
        ``wave`` (int), ``team``, ``respondent``, ``profession``, ``organisation``, ``item``,
        ``value`` (float, NaN = missing): one row per answer, raw (not reverse-keyed).
    ties : DataFrame
        ``wave``, ``team``, ``source``, ``target``: directed knowledge ties between pseudonyms.
    roster : DataFrame
        ``wave``, ``team``, ``respondent``, ``profession``, ``organisation``, ``responded``
        (bool): everyone invited; optionally ``role`` (KTA, facilitator, clinical lead ...;
        empty for none), which bundles of version-2 studies carry.
    interventions : DataFrame
        ``team``, ``wave`` (first wave measured after the intervention began), ``kind``,
        ``description``.
    instrument : Instrument
        The exact instrument the waves used.
    comments : DataFrame
        ``wave``, ``team``, ``respondent``, ``item``, ``text`` (may be empty; never for managers).
    schedule : DataFrame
        ``wave``, ``opens``, ``closes`` (ISO dates) and ``status`` (one of
        :data:`WAVE_STATUSES` when exported): when each wave ran and whether it had closed.
        Empty when the bundle does not say (a simulated study, an older export); every wave
        then counts as closed.
    """

    responses: pd.DataFrame
    ties: pd.DataFrame
    roster: pd.DataFrame
    interventions: pd.DataFrame
    instrument: Instrument
    comments: pd.DataFrame = field(default_factory=lambda: _empty("comments.csv"))
    source: str = "<bundle>"
    schedule: pd.DataFrame = field(default_factory=lambda: _empty("waves.csv"))

    @property
    def waves(self) -> list[int]:
        """The waves on the roster, in order."""
        return sorted(int(w) for w in self.roster["wave"].unique())

    @property
    def open_waves(self) -> list[int]:
        """Waves with data that had not closed when the bundle was made (from ``schedule``)."""
        if self.schedule.empty:
            return []
        still = self.schedule.loc[self.schedule["status"] != "closed", "wave"]
        present = set(self.waves)
        return sorted(int(w) for w in still if int(w) in present)

    @property
    def teams(self) -> list[str]:
        """The teams on the roster, sorted."""
        return sorted(str(t) for t in self.roster["team"].unique())


def _empty(file: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS[file]})


class _Source:
    """Reads the files of a bundle folder or zip archive by name."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile as exc:
                raise BundleError(
                    str(path),
                    [
                        BundleProblem(
                            path.name, None, None, "is neither a bundle folder nor a .zip archive"
                        )
                    ],
                ) from exc
            names = [n for n in self._zip.namelist() if not n.endswith("/")]
            if "instrument.yaml" not in names:
                nested = [n for n in names if n.endswith("/instrument.yaml")]
                if len(nested) == 1:
                    self._prefix = nested[0][: -len("instrument.yaml")]
        elif not path.is_dir():
            raise BundleError(str(path), [BundleProblem(str(path), None, None, "does not exist")])

    def exists(self, name: str) -> bool:
        if self._zip is not None:
            return self._prefix + name in self._zip.namelist()
        return (self.path / name).is_file()

    def read_bytes(self, name: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(self._prefix + name)
        return (self.path / name).read_bytes()


def _read_csv(source: _Source, file: str, problems: list[BundleProblem]) -> pd.DataFrame | None:
    raw = source.read_bytes(file)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(
            BundleProblem(file, line, None, f"is not UTF-8 text (byte 0x{raw[exc.start]:02x})")
        )
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        problems.append(BundleProblem(file, 1, None, "is empty: the header row is missing"))
        return None
    except pd.errors.ParserError as exc:
        problems.append(BundleProblem(file, None, None, f"is not a well-formed CSV file ({exc})"))
        return None
    expected = COLUMNS[file]
    allowed = (*expected, *OPTIONAL_COLUMNS.get(file, ()))
    missing = [c for c in expected if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in allowed]
    for column in missing:
        problems.append(BundleProblem(file, 1, column, "required column is missing"))
    for column in unknown:
        problems.append(
            BundleProblem(file, 1, str(column), f"unknown column (expected: {', '.join(allowed)})")
        )
    if missing or unknown:
        return None
    frame = restore_frame(frame).apply(lambda col: col.str.strip())
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    return frame


def _cell(frame: pd.DataFrame, line: int, column: str) -> str:
    return str(frame.at[line, column])


def _lines(mask: pd.Series) -> list[int]:
    return [int(i) for i in mask.index[mask.to_numpy()]]


def _whole_numbers(
    frame: pd.DataFrame, file: str, column: str, problems: list[BundleProblem], *, minimum: int = 1
) -> pd.Series:
    numbers = pd.to_numeric(frame[column], errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0) | (numbers < minimum)
    for line in _lines(bad):
        problems.append(
            BundleProblem(
                file,
                line,
                column,
                f"{frame.at[line, column]!r} is not a whole number from {minimum}",
            )
        )
    return numbers.where(~bad).astype("Int64")


def _required_text(
    frame: pd.DataFrame, file: str, columns: Iterable[str], problems: list[BundleProblem]
) -> None:
    for column in columns:
        for line in _lines(frame[column] == ""):
            problems.append(BundleProblem(file, line, column, "is empty"))


def _validate_responses(
    frame: pd.DataFrame, instrument: Instrument, problems: list[BundleProblem]
) -> pd.DataFrame:
    file = "responses.csv"
    frame = frame.copy()
    frame["wave"] = _whole_numbers(frame, file, "wave", problems)
    _required_text(frame, file, ("team", "respondent", "profession", "item"), problems)
    items = instrument.items
    known = frame["item"].isin(list(items))
    for line in _lines(~known & (frame["item"] != "")):
        problems.append(
            BundleProblem(
                file,
                line,
                "item",
                f"unknown item {_cell(frame, line, 'item')!r} (not in instrument {instrument.key})",
            )
        )
    value = pd.to_numeric(frame["value"].replace("", np.nan), errors="coerce")
    not_numeric = value.isna() & (frame["value"] != "")
    for line in _lines(not_numeric):
        problems.append(
            BundleProblem(file, line, "value", f"{_cell(frame, line, 'value')!r} is not a number")
        )
    low = frame["item"].map({k: v.response_scale.min for k, v in items.items()})
    high = frame["item"].map({k: v.response_scale.max for k, v in items.items()})
    outside = known & value.notna() & ((value < low) | (value > high))
    for line in _lines(outside):
        info = items[_cell(frame, line, "item")]
        scale = info.response_scale
        problems.append(
            BundleProblem(
                file,
                line,
                "value",
                f"{_cell(frame, line, 'value')} is outside the "
                f"scale {scale.id} ({scale.min}..{scale.max}) of item {info.id}",
            )
        )
    frame["value"] = value
    duplicated = frame.duplicated(["wave", "team", "respondent", "item"], keep="first")
    for line in _lines(duplicated):
        problems.append(
            BundleProblem(
                file,
                line,
                "item",
                f"second answer to {_cell(frame, line, 'item')!r} "
                f"by {_cell(frame, line, 'respondent')!r} in wave "
                f"{_cell(frame, line, 'wave')}, team {_cell(frame, line, 'team')!r}",
            )
        )
    return frame


def _two_professions(frame: pd.DataFrame, file: str, problems: list[BundleProblem]) -> None:
    """A respondent must have one profession and one organisation within a wave."""
    for column in ("profession", "organisation"):
        counts = frame.groupby(["wave", "respondent"])[column].transform("nunique")
        clash = counts > 1
        seen: set[tuple[Any, Any]] = set()
        for line in _lines(clash):
            key: tuple[Any, Any] = (frame.at[line, "wave"], frame.at[line, "respondent"])
            if key in seen:
                continue
            seen.add(key)
            values = sorted(
                frame.loc[
                    clash & (frame["wave"] == key[0]) & (frame["respondent"] == key[1]), column
                ].unique()
            )
            problems.append(
                BundleProblem(
                    file,
                    line,
                    column,
                    f"respondent {key[1]!r} has more than one "
                    f"{column} in wave {key[0]}: {', '.join(values)}",
                )
            )


def _not_on_roster(
    frame: pd.DataFrame,
    file: str,
    column: str,
    roster_keys: set[tuple[Any, ...]],
    problems: list[BundleProblem],
) -> None:
    keys = list(zip(frame["wave"], frame["team"], frame[column], strict=True))
    for line, key in zip(frame.index, keys, strict=True):
        if key not in roster_keys and not pd.isna(key[0]) and key[2] != "":
            problems.append(
                BundleProblem(
                    file,
                    int(line),
                    column,
                    f"{key[2]!r} is not on the roster of team {key[1]!r} in wave {key[0]}",
                )
            )


def _validate_roster(frame: pd.DataFrame, problems: list[BundleProblem]) -> pd.DataFrame:
    file = "roster.csv"
    frame = frame.copy()
    frame["wave"] = _whole_numbers(frame, file, "wave", problems)
    _required_text(frame, file, ("team", "respondent", "profession"), problems)
    for column in ("responded", "network_answered"):
        if column not in frame.columns:
            continue
        flag = frame[column].str.lower()
        bad = ~flag.isin(_TRUE | _FALSE)
        for line in _lines(bad):
            problems.append(
                BundleProblem(
                    file,
                    line,
                    column,
                    f"{_cell(frame, line, column)!r} is not one of 1/0/true/false",
                )
            )
        frame[column] = flag.isin(_TRUE)
    if "network_answered" in frame.columns:
        for line in _lines(frame["network_answered"] & ~frame["responded"]):
            problems.append(
                BundleProblem(
                    file,
                    line,
                    "network_answered",
                    "is 1 for someone who did not respond (responded is 0)",
                )
            )
    duplicated = frame.duplicated(["wave", "team", "respondent"], keep="first")
    for line in _lines(duplicated):
        problems.append(
            BundleProblem(
                file,
                line,
                "respondent",
                f"{_cell(frame, line, 'respondent')!r} is "
                f"listed twice for team {_cell(frame, line, 'team')!r} in wave "
                f"{_cell(frame, line, 'wave')!s}",
            )
        )
    _two_professions(frame, file, problems)
    return frame


def _parse_instrument(source: _Source, problems: list[BundleProblem]) -> Instrument | None:
    try:
        document = yaml.safe_load(source.read_bytes("instrument.yaml").decode("utf-8"))
        return parse(document, "instrument.yaml")
    except InstrumentError as exc:
        problems.extend(
            BundleProblem("instrument.yaml", None, p.path or None, p.message) for p in exc.problems
        )
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(
            BundleProblem("instrument.yaml", None, None, f"is not valid YAML text: {exc}")
        )
    return None


def read_bundle(path: str | Path) -> Bundle:
    """Read and validate a study bundle from a folder or a ``.zip`` of it.

    Every problem is collected and reported at once, each with file, CSV line and column:
    missing files or columns, unknown item ids, values that are not numbers or lie outside the
    item's response scale, duplicate answers, a respondent with two professions or
    organisations in one wave, answers, comments and ties by or naming people who are not on
    that wave's team roster, interventions for unknown teams. Nothing is silently dropped.

    Raises
    ------
    BundleError
        Listing every problem.

    """
    root = Path(path)
    source = _Source(root)
    problems: list[BundleProblem] = []
    for name in REQUIRED_FILES:
        if not source.exists(name):
            problems.append(BundleProblem(name, None, None, "required file is missing"))
    if problems:
        raise BundleError(str(root), problems)
    instrument = _parse_instrument(source, problems)
    frames = {
        name: _read_csv(source, name, problems) for name in REQUIRED_FILES if name.endswith(".csv")
    }
    for optional in OPTIONAL_FILES:
        if source.exists(optional):
            frames[optional] = _read_csv(source, optional, problems)
    if instrument is None or any(f is None for f in frames.values()):
        raise BundleError(str(root), problems)
    roster = _validate_roster(_frame(frames, "roster.csv"), problems)
    responses = _validate_responses(_frame(frames, "responses.csv"), instrument, problems)
    _two_professions(responses, "responses.csv", problems)
    roster_keys = set(zip(roster["wave"], roster["team"], roster["respondent"], strict=True))
    _not_on_roster(responses, "responses.csv", "respondent", roster_keys, problems)

    ties = _frame(frames, "ties.csv").copy()
    ties["wave"] = _whole_numbers(ties, "ties.csv", "wave", problems)
    _required_text(ties, "ties.csv", ("team", "source", "target"), problems)
    for column in ("source", "target"):
        _not_on_roster(ties, "ties.csv", column, roster_keys, problems)
    for line in _lines(ties["source"] == ties["target"]):
        problems.append(
            BundleProblem("ties.csv", line, "target", "a tie from a respondent to themself")
        )

    interventions = _frame(frames, "interventions.csv").copy()
    interventions["wave"] = _whole_numbers(interventions, "interventions.csv", "wave", problems)
    _required_text(interventions, "interventions.csv", ("team", "kind"), problems)
    teams = set(roster["team"])
    for line in _lines(~interventions["team"].isin(teams) & (interventions["team"] != "")):
        problems.append(
            BundleProblem(
                "interventions.csv",
                line,
                "team",
                f"unknown team {_cell(interventions, line, 'team')!r} (not on the roster)",
            )
        )

    comments = frames.get("comments.csv")
    if comments is None:
        comments = _empty("comments.csv")
    else:
        comments = comments.copy()
        comments["wave"] = _whole_numbers(comments, "comments.csv", "wave", problems)
        known = set(instrument.comment_ids)
        for line in _lines(~comments["item"].isin(known)):
            problems.append(
                BundleProblem(
                    "comments.csv",
                    line,
                    "item",
                    f"unknown free-text question {_cell(comments, line, 'item')!r}",
                )
            )
        _not_on_roster(comments, "comments.csv", "respondent", roster_keys, problems)

    schedule = _validate_schedule(frames.get("waves.csv"), problems)

    if problems:
        problems.sort(key=lambda p: (p.file, p.line or 0))
        raise BundleError(str(root), problems)
    return Bundle(
        responses=_finish(responses),
        ties=_finish(ties),
        roster=_finish(roster),
        interventions=_finish(interventions),
        instrument=instrument,
        comments=_finish(comments),
        source=str(root),
        schedule=_finish(schedule),
    )


def _validate_schedule(frame: pd.DataFrame | None, problems: list[BundleProblem]) -> pd.DataFrame:
    """``waves.csv``: one row per wave, ISO dates, a known status (empty when absent)."""
    file = "waves.csv"
    if frame is None:
        return _empty(file)
    out = frame.copy()
    out["wave"] = _whole_numbers(out, file, "wave", problems)
    for line in _lines(out["wave"].duplicated() & out["wave"].notna()):
        problems.append(BundleProblem(file, line, "wave", "the wave is listed twice"))
    for column in ("opens", "closes"):
        parsed = pd.to_datetime(out[column], errors="coerce", format="ISO8601")
        for line in _lines(parsed.isna() & (out[column] != "")):
            problems.append(
                BundleProblem(
                    file, line, column, f"{_cell(out, line, column)!r} is not an ISO date"
                )
            )
    for line in _lines(~out["status"].isin(WAVE_STATUSES)):
        problems.append(
            BundleProblem(
                file,
                line,
                "status",
                f"unknown status {_cell(out, line, 'status')!r} "
                f"(expected: {', '.join(WAVE_STATUSES)})",
            )
        )
    return out


def restrict_to_waves(bundle: Bundle, waves: Iterable[int]) -> Bundle:
    """The bundle with only the data of ``waves`` (responses, ties, roster, comments, schedule).

    Interventions are kept: one first measured at a later wave is simply not yet observed.

    Examples
    --------
    >>> frame = pd.DataFrame({"wave": [1, 2], "team": "T"})
    >>> from instruments import load
    >>> bundle = Bundle(frame, frame, frame, frame.iloc[:0], load("cop-health", 1))
    >>> restrict_to_waves(bundle, [2]).roster["wave"].tolist()
    [2]
    """
    keep = sorted({int(w) for w in waves})

    def only(frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty or "wave" not in frame:
            return frame
        return frame[frame["wave"].astype(int).isin(keep)].reset_index(drop=True)

    return dataclasses.replace(
        bundle,
        responses=only(bundle.responses),
        ties=only(bundle.ties),
        roster=only(bundle.roster),
        comments=only(bundle.comments),
        schedule=only(bundle.schedule),
    )


def closed_waves_only(bundle: Bundle) -> Bundle:
    """The bundle without the waves its ``schedule`` says were still open (see
    :attr:`Bundle.open_waves`); the bundle itself when none was."""
    still_open = set(bundle.open_waves)
    if not still_open:
        return bundle
    return restrict_to_waves(bundle, [w for w in bundle.waves if w not in still_open])


def _frame(frames: Mapping[str, pd.DataFrame | None], name: str) -> pd.DataFrame:
    frame = frames[name]
    if frame is None:  # pragma: no cover - read_bundle returns before this
        raise BundleError(name, [BundleProblem(name, None, None, "could not be read")])
    return frame


def network_answered(roster: pd.DataFrame) -> pd.Series:
    """Who answered the knowledge-network question, per roster row (a boolean Series).

    A respondent who chose "Prefer not to answer" there responded but did not answer it: they
    count as not answered in network coverage and name no ties (their answer is missing, not
    zero ties). Without a ``network_answered`` column everyone who responded answered it.

    Examples
    --------
    >>> roster = pd.DataFrame({"responded": [True, True, False],
    ...                        "network_answered": [True, False, False]})
    >>> network_answered(roster).tolist()
    [True, False, False]
    >>> network_answered(roster.drop(columns="network_answered")).tolist()
    [True, True, False]
    """
    responded = roster["responded"].astype(bool)
    if "network_answered" not in roster.columns:
        return responded
    return responded & roster["network_answered"].astype(bool)


def _finish(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True)
    if "wave" in out.columns:
        out["wave"] = out["wave"].astype("int64")
    return out


def write_bundle(bundle: Bundle, path: str | Path) -> Path:
    """Write ``bundle`` as a folder of UTF-8 CSV files (or a ``.zip`` when ``path`` ends so).

    The files and columns are exactly those of docs/architecture.md#bundle; ``comments.csv`` is written
    only when there are comments, ``waves.csv`` only when the bundle has a schedule, the
    roster's ``role`` column only when the roster has one.
    """
    target = Path(path)
    files: dict[str, str] = {"instrument.yaml": dump(bundle.instrument)}
    frames = {
        "responses.csv": bundle.responses,
        "ties.csv": bundle.ties,
        "roster.csv": bundle.roster,
        "interventions.csv": bundle.interventions,
    }
    if len(bundle.comments):
        frames["comments.csv"] = bundle.comments
    if len(bundle.schedule):
        frames["waves.csv"] = bundle.schedule
    for name, frame in frames.items():
        optional = [
            c
            for c in OPTIONAL_COLUMNS.get(name, ())
            if c in frame.columns and c != "network_answered"
        ]
        if name == "roster.csv" and not network_answered(frame).equals(
            frame["responded"].astype(bool)
        ):
            optional.append("network_answered")
        out = frame.loc[:, [*COLUMNS[name], *optional]].copy()
        if name == "roster.csv":
            for column in ("responded", "network_answered"):
                if column in out.columns:
                    out[column] = out[column].astype(bool).astype(int)
        files[name] = csv_text(out)
    if target.suffix.lower() == ".zip":
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text)
    else:
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (target / name).write_text(text, encoding="utf-8")
    return target
