"""Export formats of a study bundle: long and wide tables, codebook, CSV, Excel, SPSS and Stata."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.bundle import Bundle, write_bundle
from analysis.csv_cells import write_csv
from analysis.scoring import KEYS, MIN_ANSWERED_SHARE, score_scales
from instruments import Instrument

__all__ = [
    "EXPORT_FORMATS",
    "MISSING_CONVENTION",
    "Variable",
    "codebook_markdown",
    "codebook_table",
    "long_table",
    "variable_names",
    "wide_table",
    "wide_variables",
    "write_export",
]

EXPORT_FORMATS: tuple[str, ...] = (
    "bundle",
    "long-csv",
    "wide-csv",
    "xlsx",
    "sav",
    "dta",
    "codebook",
)
"""Every format :func:`write_export` writes (``bundle`` is docs/architecture.md#bundle)."""

SUFFIXES: dict[str, tuple[str, ...]] = {
    "bundle": ("", ".zip"),
    "long-csv": (".csv",),
    "wide-csv": (".csv",),
    "xlsx": (".xlsx",),
    "sav": (".sav",),
    "dta": (".dta",),
    "codebook": (".md", ".csv"),
}
"""File name endings each format accepts; the first is the default (``""`` = a folder)."""

MISSING_CONVENTION = (
    "missing = not answered (or, for a scale score, too few items answered): an empty cell in "
    "CSV and Excel, system-missing in SPSS (sysmis) and Stata (.); no numeric missing codes"
)
"""The one missing-value convention of every export."""

STATA_LABEL_CHARS = 80
"""Stata variable and file labels hold at most 80 characters."""
SPSS_LABEL_BYTES = 256
"""SPSS variable labels hold at most 256 bytes (UTF-8)."""
SPSS_VALUE_LABEL_BYTES = 120
"""SPSS value labels hold at most 120 bytes (UTF-8)."""
SPSS_FILE_LABEL_BYTES = 64
"""An SPSS file label holds at most 64 bytes."""
SPSS_DOCUMENT_BYTES = 80
"""Lines of an SPSS file document (``DOCUMENT``) hold at most 80 bytes."""
NAME_LENGTH = 32
"""Variable names are cut to 32 characters, Stata's limit (SPSS allows 64)."""

_RESERVED = {
    # SPSS reserved words
    "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with",
    # Stata reserved words
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
    "_pi", "_pred", "_rc", "_skip", "strl", "using",
}  # fmt: skip
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WIDE_FILES = "wide-csv, xlsx, sav, dta"
_ALL_FILES = "all"
_LONG_FILES = "long-csv"

Measure = Literal["nominal", "ordinal", "scale"]


@dataclass(frozen=True)
class Variable:
    """One exported variable as the codebook documents it.

    Attributes
    ----------
    name : str
        Column name in the files (safe for SPSS and Stata: letters, digits, ``_``; 32 at most).
    label : str
        Full label (the item text for items); SPSS and Stata files carry it truncated.
    type : {"numeric", "string"}
    measure : {"nominal", "ordinal", "scale"}
        SPSS measurement level.
    files : str
        Which exports hold it (``all``, ``long-csv`` or the wide files).
    scale : str
        Scale id of an item or scale score; empty otherwise.
    item : str
        Instrument item id (differs from ``name`` only where the id is not a safe name).
    reverse : bool or None
        Whether an item is reverse keyed; None for variables that are not items.
    values : str
        Valid values, e.g. ``1..7``.
    value_labels : Mapping[int, str]
        Labels of the response options (the scale anchors).
    missing : str
        What a missing value means for this variable.
    """

    name: str
    label: str
    type: Literal["numeric", "string"]
    measure: Measure
    files: str = _ALL_FILES
    scale: str = ""
    item: str = ""
    reverse: bool | None = None
    values: str = ""
    value_labels: Mapping[int, str] = field(default_factory=dict)
    missing: str = "never missing"


def variable_names(instrument: Instrument) -> dict[str, str]:
    """Column names for every item id and scale id that SPSS and Stata accept.

    Characters other than letters, digits and ``_`` become ``_``; a name must start with a
    letter (else ``v_`` is prefixed), has at most 32 characters, avoids SPSS/Stata reserved
    words and the key columns, and is unique ignoring case (``_2``, ``_3``, ... appended).

    Examples
    --------
    >>> import instruments
    >>> names = variable_names(instruments.load("cop-health"))
    >>> names["me1"], names["mutual_engagement"]
    ('me1', 'mutual_engagement')
    """
    taken = {key.lower() for key in KEYS}
    names: dict[str, str] = {}
    for ident in [*instrument.items, *instrument.scale_ids]:
        base = re.sub(r"[^A-Za-z0-9_]", "_", ident)
        if not re.match(r"[A-Za-z]", base):
            base = "v_" + base
        base = base[:NAME_LENGTH]
        if base.lower() in _RESERVED:
            base = (base + "_")[:NAME_LENGTH]
        name, counter = base, 2
        while name.lower() in taken:
            suffix = f"_{counter}"
            name = base[: NAME_LENGTH - len(suffix)] + suffix
            counter += 1
        taken.add(name.lower())
        names[ident] = name
    return names


def _role_variable() -> Variable:
    return Variable(
        "role",
        "Respondent's role in the team (e.g. KTA, facilitator, clinical lead)",
        "string",
        "nominal",
        missing="empty = no role recorded",
    )


def has_roles(bundle: Bundle) -> bool:
    """Whether the bundle's roster records members' roles (cop-health version-2 studies)."""
    return "role" in bundle.roster.columns


def _key_variables(roles: bool = False) -> list[Variable]:
    keys = [
        Variable("wave", "Wave number (1 = the study's first wave)", "numeric", "ordinal"),
        Variable("team", "Team (the engineered community of practice)", "string", "nominal"),
        Variable(
            "respondent",
            "Respondent pseudonym (the same person has the same pseudonym in every wave and team)",
            "string",
            "nominal",
        ),
        Variable("profession", "Respondent's profession", "string", "nominal"),
        Variable(
            "organisation",
            "Respondent's employing organisation",
            "string",
            "nominal",
            missing="empty = not recorded",
        ),
    ]
    return [*keys, _role_variable()] if roles else keys


def _needed(min_share: float, items: int) -> int:
    return math.ceil(min_share * items - 1e-9)


def wide_variables(
    instrument: Instrument, *, min_share: float = MIN_ANSWERED_SHARE, roles: bool = False
) -> tuple[Variable, ...]:
    """The variables of the wide files, in column order: keys, items (raw), scale scores.

    Parameters
    ----------
    instrument : Instrument
        The instrument the waves used.
    min_share : float
        Smallest share of a scale's items answered for a scale score (as in
        :func:`analysis.scoring.scale_scores`).
    roles : bool
        Add the member's ``role`` after the keys (bundles whose roster records roles).

    Examples
    --------
    >>> import instruments
    >>> variables = wide_variables(instruments.load("cop-health"))
    >>> [v.name for v in variables][:7]
    ['wave', 'team', 'respondent', 'profession', 'organisation', 'me1', 'me2']
    >>> me4 = next(v for v in variables if v.name == "me4")
    >>> me4.reverse, me4.value_labels[1], me4.values
    (True, 'Strongly disagree', '1..7')
    """
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    names = variable_names(instrument)
    out = _key_variables(roles)
    for item_id, info in instrument.items.items():
        scale = info.response_scale
        out.append(
            Variable(
                names[item_id],
                info.text,
                "numeric",
                "ordinal",
                files=_WIDE_FILES,
                scale=info.scale_id or "",
                item=item_id,
                reverse=info.reverse,
                values=f"{scale.min}..{scale.max}",
                value_labels=dict(scale.labels),
                missing="empty / system-missing = not answered",
            )
        )
    for scale_def in instrument.scales:
        k = len(scale_def.items)
        needed = _needed(min_share, k)
        rs = scale_def.response_scale
        out.append(
            Variable(
                names[scale_def.id],
                f"{scale_def.label}: scale score (mean of {k} items, reverse-keyed items "
                f"rescored as {rs.min + rs.max} - x)",
                "numeric",
                "scale",
                files=_WIDE_FILES,
                scale=scale_def.id,
                values=f"{rs.min}..{rs.max}",
                missing=f"empty / system-missing = fewer than {needed} of the {k} items answered",
            )
        )
    return tuple(out)


def _long_variables(instrument: Instrument) -> list[Variable]:
    low = min((s.min for s in instrument.response_scales.values()), default=0)
    high = max((s.max for s in instrument.response_scales.values()), default=0)
    return [
        Variable(
            "scale",
            "Scale id of the item (empty for single items)",
            "string",
            "nominal",
            files=_LONG_FILES,
            missing="empty = a single item, not part of a scale",
        ),
        Variable("item", "Item id in the instrument", "string", "nominal", files=_LONG_FILES),
        Variable(
            "reverse",
            "1 = the item is reverse keyed, 0 = not",
            "numeric",
            "nominal",
            files=_LONG_FILES,
            values="0..1",
            value_labels={0: "not reverse keyed", 1: "reverse keyed"},
        ),
        Variable(
            "value",
            "Answer as given (raw, not reverse-keyed)",
            "numeric",
            "ordinal",
            files=_LONG_FILES,
            values=f"{low}..{high} (see the item's response scale)",
            missing="empty = not answered",
        ),
        Variable(
            "value_scored",
            "Answer as scored: reverse-keyed items rescored as min + max - value",
            "numeric",
            "ordinal",
            files=_LONG_FILES,
            values=f"{low}..{high} (see the item's response scale)",
            missing="empty = not answered",
        ),
    ]


def _value_labels_text(labels: Mapping[int, str]) -> str:
    return "; ".join(f"{value} = {label}" for value, label in sorted(labels.items()))


def codebook_table(
    instrument: Instrument, *, min_share: float = MIN_ANSWERED_SHARE, roles: bool = False
) -> pd.DataFrame:
    """Every exported variable, one row each: the codebook as a table.

    Returns
    -------
    DataFrame
        Columns ``variable, label, type, measure, files, scale, item, reverse, values,
        value_labels, missing``; ``reverse`` is ``yes``/``no`` for items and empty otherwise,
        ``value_labels`` reads ``1 = Strongly disagree; 2 = ...``. The wide variables come
        first, then the columns only the long CSV has.

    Examples
    --------
    >>> import instruments
    >>> book = codebook_table(instruments.load("cop-health"))
    >>> row = book.set_index("variable").loc["me4"]
    >>> row["scale"], row["reverse"], row["value_labels"].split("; ")[0]
    ('mutual_engagement', 'yes', '1 = Strongly disagree')
    """
    rows = []
    for variable in (
        *wide_variables(instrument, min_share=min_share, roles=roles),
        *_long_variables(instrument),
    ):
        rows.append(
            {
                "variable": variable.name,
                "label": variable.label,
                "type": variable.type,
                "measure": variable.measure,
                "files": variable.files,
                "scale": variable.scale,
                "item": variable.item,
                "reverse": ""
                if variable.reverse is None
                else ("yes" if variable.reverse else "no"),
                "values": variable.values,
                "value_labels": _value_labels_text(variable.value_labels),
                "missing": variable.missing,
            }
        )
    return pd.DataFrame(rows)


def long_table(bundle: Bundle) -> pd.DataFrame:
    """The answers, one row each, with the scale, the keying and both raw and scored values.

    Notes
    -----
    ``value`` is the answer as given; ``value_scored`` applies reverse keying,
    :math:`x' = \\min + \\max - x` on the item's response scale, to reverse-keyed items and
    equals ``value`` otherwise. A row with an empty ``value`` is an item the respondent saw
    but did not answer.

    Returns
    -------
    DataFrame
        Columns ``wave, team, respondent, profession, organisation, scale, item, reverse
        (0/1), value, value_scored``, sorted by wave, team, respondent and instrument order.

    Examples
    --------
    >>> import analysis as an
    >>> bundle = an.simulate_study(teams=2, members=4, waves=2, seed=1).bundle
    >>> long = long_table(bundle)
    >>> row = long[(long["item"] == "me4") & long["value"].notna()].iloc[0]
    >>> int(row["reverse"]), float(row["value"] + row["value_scored"])
    (1, 8.0)
    """
    items = bundle.instrument.items
    responses = bundle.responses
    unknown = sorted(set(responses["item"]) - set(items))
    if unknown:
        raise ValueError(
            f"responses name items that are not in instrument {bundle.instrument.key}: "
            f"{', '.join(map(str, unknown))}"
        )
    out = responses.loc[:, list(KEYS)].copy()
    out["scale"] = responses["item"].map({k: v.scale_id or "" for k, v in items.items()})
    out["item"] = responses["item"]
    reverse = responses["item"].map({k: v.reverse for k, v in items.items()}).astype(bool)
    out["reverse"] = reverse.astype("int64")
    value = pd.to_numeric(responses["value"], errors="raise").astype(float)
    low = responses["item"].map({k: float(v.response_scale.min) for k, v in items.items()})
    high = responses["item"].map({k: float(v.response_scale.max) for k, v in items.items()})
    out["value"] = value
    out["value_scored"] = value.where(~reverse, low + high - value)
    order = out["item"].map({item: i for i, item in enumerate(items)})
    out = out.assign(_order=order).sort_values(["wave", "team", "respondent", "_order"])
    return out.drop(columns="_order").reset_index(drop=True)


def wide_table(bundle: Bundle, *, min_share: float = MIN_ANSWERED_SHARE) -> pd.DataFrame:
    """One row per respondent x team x wave: every item (raw values) and every scale score.

    Scale scores come from :func:`analysis.scoring.score_scales` (reverse keying, then item
    means with at least ``min_share`` of a scale's items answered). Respondents who submitted
    without answering a single item keep their row, with every value missing.

    Returns
    -------
    DataFrame
        The columns of :func:`wide_variables`, in that order.

    Examples
    --------
    >>> import analysis as an
    >>> bundle = an.simulate_study(teams=2, members=4, waves=2, seed=1).bundle
    >>> wide = wide_table(bundle)
    >>> len(wide) == len(bundle.responses.groupby(["wave", "team", "respondent"]))
    True
    >>> list(wide.columns[-2:])
    ['professional_identity', 'organisational_identity']
    """
    instrument = bundle.instrument
    roles = has_roles(bundle)
    variables = wide_variables(instrument, min_share=min_share, roles=roles)
    names = variable_names(instrument)
    keys = list(KEYS)
    item_ids = list(instrument.items)
    responses = bundle.responses
    columns = [v.name for v in variables]
    if responses.empty:
        empty = pd.DataFrame(
            {
                v.name: pd.Series(dtype="float64" if v.type == "numeric" else "str")
                for v in variables
            }
        )
        return empty.astype({"wave": "int64"})
    unknown = sorted(set(responses["item"]) - set(item_ids))
    if unknown:
        raise ValueError(
            f"responses name items that are not in instrument {instrument.key}: "
            f"{', '.join(map(str, unknown))}"
        )
    clashes = sorted(set(keys) & {*item_ids, *instrument.scale_ids})
    if clashes:
        raise ValueError(
            f"instrument {instrument.key} uses the key column name(s) {', '.join(clashes)} "
            "as item or scale ids; a wide table cannot hold both"
        )
    duplicated = responses.duplicated([*keys, "item"])
    if duplicated.any():
        first = responses.loc[duplicated].iloc[0]
        raise ValueError(
            f"respondent {first['respondent']!r} answered item {first['item']!r} twice in wave "
            f"{first['wave']}, team {first['team']!r}"
        )
    indexed = responses.set_index([*keys, "item"])["value"].astype(float)
    wide = indexed.unstack("item").reindex(columns=item_ids)
    wide.columns.name = None
    wide = wide.reset_index()
    scores = score_scales(bundle, min_share=min_share)
    scores = scores.loc[:, [*keys, *instrument.scale_ids]]
    wide = wide.merge(scores, on=keys, how="left", validate="one_to_one")
    wide = wide.rename(columns=names)
    if roles:
        role = bundle.roster.loc[:, ["wave", "team", "respondent", "role"]]
        wide = wide.merge(role, on=["wave", "team", "respondent"], how="left")
        wide["role"] = wide["role"].fillna("")
    wide["wave"] = wide["wave"].astype("int64")
    return wide.loc[:, columns].sort_values(["wave", "team", "respondent"]).reset_index(drop=True)


def _cut_chars(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _cut_bytes(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text.encode("utf-8")) <= limit:
        return text
    cut = text.encode("utf-8")[: limit - 3].decode("utf-8", errors="ignore")
    return cut.rstrip() + "..."


def _markdown_cell(text: object) -> str:
    return " ".join(str(text).split()).replace("\\", "\\\\").replace("|", "\\|")


def codebook_markdown(
    instrument: Instrument,
    *,
    title: str = "",
    notes: Sequence[str] = (),
    min_share: float = MIN_ANSWERED_SHARE,
    roles: bool = False,
) -> str:
    """The codebook as a Markdown document: conventions, response scales, every variable.

    Parameters
    ----------
    instrument : Instrument
        The instrument the waves used.
    title : str
        What the export is of (e.g. the study name).
    notes : sequence of str
        Statements about where the data came from (pseudonyms, drafts, ...), listed first.
    min_share : float
        As in :func:`wide_variables`.

    Examples
    --------
    >>> import instruments
    >>> text = codebook_markdown(instruments.load("cop-health"), title="Demo study")
    >>> text.splitlines()[0]
    '# Codebook: Demo study'
    >>> "| me4 |" in text and "Strongly disagree" in text
    True
    """
    book = codebook_table(instrument, min_share=min_share, roles=roles)
    lines = [
        f"# Codebook: {_markdown_cell(title or instrument.title)}",
        "",
        f"Instrument: {_markdown_cell(instrument.title)} (id `{instrument.id}`, "
        f"version {instrument.version}).",
        "",
        "## Conventions",
        "",
    ]
    conventions = [
        *notes,
        "The wide files (wide-csv, xlsx, sav, dta) have one row per respondent x team x wave "
        "with one column per item (raw answers) and one per scale score; long-csv has one row "
        "per item answered or skipped.",
        "Item values are stored as answered (raw). Reverse-keyed items are rescored as "
        "min + max - x only in scale scores and in long-csv's value_scored.",
        f"Scale scores are the mean of the answered items of a scale, given when at least "
        f"{min_share:.3g} of its items are answered (rounded up), and missing otherwise.",
        f"Missing values: {MISSING_CONVENTION}.",
        "SPSS and Stata files carry the item text as variable label (Stata labels are cut to "
        "80 characters, SPSS labels to 256 bytes, ending in ...) and the response anchors as "
        "value labels; the full text is in this codebook.",
    ]
    lines += [f"- {_markdown_cell(note)}" for note in conventions]
    lines += ["", "## Response scales", ""]
    for scale in instrument.response_scales.values():
        lines += [
            f"### {scale.id} ({scale.min} to {scale.max})",
            "",
            "| value | label |",
            "|---|---|",
        ]
        lines += [f"| {v} | {_markdown_cell(scale.label_for(v))} |" for v in scale.values]
        lines.append("")
    lines += ["## Scales", ""]
    for scale_def in instrument.scales:
        keyed = [item.id for item in scale_def.items if item.reverse]
        lines.append(
            f"- **{scale_def.id}** ({_markdown_cell(scale_def.label)}): "
            f"{_markdown_cell(scale_def.construct)} Items: {', '.join(scale_def.item_ids)}; "
            f"reverse keyed: {', '.join(keyed) or 'none'}."
        )
    lines.append("")
    columns = (
        "variable",
        "label",
        "type",
        "scale",
        "reverse",
        "values",
        "value_labels",
        "missing",
    )
    for heading, files in (
        ("Variables of every file", _ALL_FILES),
        ("Variables of the wide files (wide-csv, xlsx, sav, dta)", _WIDE_FILES),
        ("Variables of long-csv only", _LONG_FILES),
    ):
        part = book.loc[book["files"] == files]
        lines += [f"## {heading}", "", "| " + " | ".join(columns) + " |"]
        lines.append("|" + "---|" * len(columns))
        for _, row in part.iterrows():
            lines.append("| " + " | ".join(_markdown_cell(row[c]) for c in columns) + " |")
        lines.append("")
    return "\n".join(lines)


def _xlsx_sheet(workbook: Any, title: str, frame: pd.DataFrame, *, first: bool = False) -> None:
    from openpyxl.styles import Font

    sheet = workbook.active if first else workbook.create_sheet()
    sheet.title = title
    sheet.append([str(c) for c in frame.columns])
    for row in frame.itertuples(index=False):
        sheet.append([_xlsx_value(value) for value in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":  # text starting with "=" stays text, never a formula
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)


def _xlsx_value(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer | np.bool_):
        return int(value)
    if value is pd.NA:
        return None
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("", value)  # control characters Excel cannot store
    return value


def _write_xlsx(
    bundle: Bundle, path: Path, *, title: str, notes: Sequence[str], min_share: float
) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    _xlsx_sheet(workbook, "data", wide_table(bundle, min_share=min_share), first=True)
    _xlsx_sheet(
        workbook,
        "codebook",
        codebook_table(bundle.instrument, min_share=min_share, roles=has_roles(bundle)),
    )
    about = [title or bundle.instrument.title, *notes, f"Missing values: {MISSING_CONVENTION}."]
    _xlsx_sheet(workbook, "notes", pd.DataFrame({"notes": about}))
    workbook.save(path)


def _stat_labels(
    variables: Sequence[Variable], *, spss: bool
) -> tuple[dict[str, str], dict[str, dict[int | float, str]]]:
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[int | float, str]] = {}
    for variable in variables:
        if spss:
            labels[variable.name] = _cut_bytes(variable.label, SPSS_LABEL_BYTES)
        else:
            labels[variable.name] = _cut_chars(variable.label, STATA_LABEL_CHARS)
        if variable.value_labels:
            value_labels[variable.name] = {
                int(value): (
                    _cut_bytes(text, SPSS_VALUE_LABEL_BYTES)
                    if spss
                    else _cut_chars(text, STATA_LABEL_CHARS * 400)
                )
                for value, text in variable.value_labels.items()
            }
    return labels, value_labels


def _spss_document(paragraphs: Sequence[str]) -> list[str]:
    """Paragraphs as the lines of an SPSS file document (80 bytes at most each)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, width=SPSS_DOCUMENT_BYTES) or [""]:
            lines.append(_cut_bytes(line, SPSS_DOCUMENT_BYTES))
    return lines


def _write_labelled(
    bundle: Bundle,
    path: Path,
    *,
    spss: bool,
    title: str,
    notes: Sequence[str],
    min_share: float,
) -> None:
    """The wide table as SPSS ``.sav`` (``spss``) or Stata 15 ``.dta``, with variable and value
    labels (each format's own label limits)."""
    import pyreadstat

    variables = wide_variables(bundle.instrument, min_share=min_share, roles=has_roles(bundle))
    labels, value_labels = _stat_labels(variables, spss=spss)
    table = wide_table(bundle, min_share=min_share)
    label = title or bundle.instrument.title
    if spss:
        pyreadstat.write_sav(
            table,
            str(path),
            file_label=_cut_bytes(label, SPSS_FILE_LABEL_BYTES),
            column_labels=dict(labels),
            note=_spss_document([*notes, f"Missing values: {MISSING_CONVENTION}."]),
            variable_value_labels=value_labels,
            variable_measure={v.name: v.measure for v in variables},
        )
    else:
        pyreadstat.write_dta(
            table,
            str(path),
            file_label=_cut_chars(label, STATA_LABEL_CHARS),
            column_labels=dict(labels),
            version=15,
            variable_value_labels=value_labels,
        )


def _csv(frame: pd.DataFrame, path: Path) -> None:
    write_csv(frame, path)


def write_export(
    bundle: Bundle,
    fmt: str,
    path: str | Path,
    *,
    title: str = "",
    notes: Sequence[str] = (),
    min_share: float = MIN_ANSWERED_SHARE,
) -> Path:
    """Write ``bundle`` in one of :data:`EXPORT_FORMATS` to ``path``.

    - ``bundle``: the study bundle (a folder, or a ``.zip`` when ``path`` ends so).
    - ``long-csv``: :func:`long_table` as UTF-8 CSV.
    - ``wide-csv``: :func:`wide_table` as UTF-8 CSV.
    - ``xlsx``: sheets ``data`` (the wide table), ``codebook`` and ``notes``; text that looks
      like a formula is stored as text.
    - ``sav`` (SPSS) and ``dta`` (Stata 15+, UTF-8): the wide table with variable labels (the
      item text, cut to the format's limit), value labels (the response anchors) and, in SPSS,
      the measurement level and the notes as file documents.
    - ``codebook``: Markdown (``.md``) or a CSV table (``.csv``) of every variable.

    Missing values follow :data:`MISSING_CONVENTION` in every format.

    Parameters
    ----------
    bundle : Bundle
        The (validated) study bundle.
    fmt : str
        One of :data:`EXPORT_FORMATS`.
    path : str or Path
        Where to write; must end as :data:`SUFFIXES` says for ``fmt``.
    title : str
        What the export is of (study name), used as file label and codebook title.
    notes : sequence of str
        Provenance statements for the codebook, the Excel notes sheet and the SPSS documents.
    min_share : float
        Smallest share of a scale's items answered for a scale score.

    Returns
    -------
    Path
        The file (or bundle folder) written.

    Raises
    ------
    ValueError
        For an unknown format or a path with the wrong ending.

    Examples
    --------
    >>> import tempfile, pyreadstat, analysis as an
    >>> bundle = an.simulate_study(teams=2, members=4, waves=2, seed=1).bundle
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = write_export(bundle, "sav", f"{folder}/study.sav", title="Demo")
    ...     data, meta = pyreadstat.read_sav(str(written))
    >>> meta.column_names_to_labels["me1"]
    'In this team we work on tasks together, not just side by side.'
    >>> meta.variable_value_labels["me1"][7.0]
    'Strongly agree'
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
    target = Path(path)
    suffix = target.suffix.lower()
    if fmt != "bundle" and suffix not in SUFFIXES[fmt]:
        wanted = " or ".join(SUFFIXES[fmt])
        raise ValueError(f"a {fmt} export must be written to a file ending in {wanted}: {target}")
    if fmt == "bundle":
        return write_bundle(bundle, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "long-csv":
        _csv(long_table(bundle), target)
    elif fmt == "wide-csv":
        _csv(wide_table(bundle, min_share=min_share), target)
    elif fmt == "xlsx":
        _write_xlsx(bundle, target, title=title, notes=notes, min_share=min_share)
    elif fmt == "sav":
        _write_labelled(bundle, target, spss=True, title=title, notes=notes, min_share=min_share)
    elif fmt == "dta":
        _write_labelled(bundle, target, spss=False, title=title, notes=notes, min_share=min_share)
    elif suffix == ".csv":
        _csv(
            codebook_table(bundle.instrument, min_share=min_share, roles=has_roles(bundle)), target
        )
    else:
        text = codebook_markdown(
            bundle.instrument,
            title=title,
            notes=notes,
            min_share=min_share,
            roles=has_roles(bundle),
        )
        target.write_text(text + "\n", encoding="utf-8")
    return target
