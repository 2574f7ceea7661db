"""Import a REDCap data dictionary (CSV) as an instrument: radio/dropdown fields become items."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from instruments.errors import InstrumentError, Problem
from instruments.loader import parse
from instruments.schema import Instrument

_FIELD = "Variable / Field Name"
_FORM = "Form Name"
_TYPE = "Field Type"
_LABEL = "Field Label"
_CHOICES = "Choices, Calculations, OR Slider Labels"
_ANNOTATION = "Field Annotation"
_REQUIRED = (_FIELD, _FORM, _TYPE, _LABEL, _CHOICES)
_RATED = {"radio", "dropdown"}
_FREE_TEXT = {"notes", "text"}
_TAG = re.compile(r"<[^>]+>")


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", text.strip().lower()).strip("_")
    return slug if slug and slug[0].isalpha() else f"f_{slug}"


def _read(source: str | Path | IO[str]) -> tuple[str, str]:
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and Path(source).suffix.lower() == ".csv"
    ):
        path = Path(source)
        try:
            return str(path), path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InstrumentError(
                str(path), [Problem("", f"is not UTF-8 text ({exc.reason})")]
            ) from exc
    if isinstance(source, str):
        return "<REDCap data dictionary>", source.lstrip("\ufeff")
    return getattr(source, "name", "<REDCap data dictionary>"), source.read().lstrip("\ufeff")


def _choices(raw: str, where: str, problems: list[Problem]) -> dict[int, str] | None:
    options: dict[int, str] = {}
    for part in raw.split("|"):
        code, sep, label = part.partition(",")
        if not sep or not code.strip().lstrip("-").isdigit():
            problems.append(Problem(where, f"choice {part.strip()!r} is not 'number, label'"))
            return None
        options[int(code)] = _TAG.sub("", label).strip()
    codes = sorted(options)
    if codes != list(range(codes[0], codes[-1] + 1)):
        problems.append(
            Problem(
                where,
                f"choice codes {codes} are not consecutive whole numbers, "
                "so they cannot be a rating scale",
            )
        )
        return None
    return options


def from_redcap(
    source: str | Path | IO[str],
    *,
    instrument_id: str = "redcap-import",
    version: int = 1,
    title: str | None = None,
    reverse: Iterable[str] = (),
) -> Instrument:
    """Build an instrument from a REDCap data dictionary.

    Radio and dropdown fields whose choices are ``1, label | 2, label | ...`` become items; the
    fields of one REDCap form become one scale; fields with identical choice lists share one
    response scale. ``notes`` and ``text`` fields become free-text comment questions. Other field
    types (calc, descriptive, yesno, checkbox, ...) are skipped. Reverse keying is not part of
    REDCap: name reverse-keyed fields in ``reverse`` or put ``@REVERSE`` in the field annotation.

    Parameters
    ----------
    source
        Path to the CSV, the CSV text itself, or an open text file.

    Raises
    ------
    InstrumentError
        Naming the row (``row 5``) and what is wrong: missing columns, malformed choices.

    Examples
    --------
    >>> text = ('"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
    ...         '"Choices, Calculations, OR Slider Labels"\\n'
    ...         'trust1,trust,,radio,I trust my team,"1, No | 2, Somewhat | 3, Yes"\\n'
    ...         'trust2,trust,,radio,My team trusts me,"1, No | 2, Somewhat | 3, Yes"\\n')
    >>> inst = from_redcap(text, instrument_id="trust-check")
    >>> inst.scale("trust").item_ids, inst.scale("trust").response_scale.options
    (('trust1', 'trust2'), 3)
    """
    name, text = _read(source)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise InstrumentError(
            name, [Problem("header", f"missing REDCap column(s): {', '.join(missing)}")]
        )
    dictionary = _Dictionary(reversed_fields={f.strip() for f in reverse})
    for row_number, row in enumerate(reader, start=2):
        dictionary.add(row_number, row)
    if dictionary.problems:
        raise InstrumentError(name, dictionary.problems)
    if not dictionary.scales:
        raise InstrumentError(
            name, [Problem("", "has no radio or dropdown fields to use as items")]
        )
    return parse(
        dictionary.document(instrument_id, version, title or f"Imported from {Path(name).name}"),
        name,
    )


_Choices = tuple[tuple[int, str], ...]


@dataclass
class _Dictionary:
    """The instrument document gathered row by row, and every problem found on the way."""

    reversed_fields: set[str]
    problems: list[Problem] = field(default_factory=list)
    response_scales: dict[_Choices, str] = field(default_factory=dict)
    """Each distinct choice list and its response scale's name (``choices1``, ...)."""
    scales: dict[str, dict[str, Any]] = field(default_factory=dict)
    """One scale per form, by the form's slug."""
    comments: list[dict[str, str]] = field(default_factory=list)

    def add(self, row_number: int, row: dict[str, str | None]) -> None:
        """Take one dictionary row: a rated item, a comment question, or nothing."""
        field_type = (row.get(_TYPE) or "").strip().lower()
        field_name = (row.get(_FIELD) or "").strip()
        label = _TAG.sub("", row.get(_LABEL) or "").strip()
        if field_type in _FREE_TEXT and field_name:
            self.comments.append({"id": _slug(field_name), "text": label or field_name})
        elif field_type in _RATED:
            self._add_item(
                f"row {row_number} ({field_name or 'no field name'})", row, field_name, label
            )

    def _add_item(
        self, where: str, row: dict[str, str | None], field_name: str, label: str
    ) -> None:
        options = _choices(row.get(_CHOICES) or "", where, self.problems)
        if options is None:
            return
        key = tuple(sorted(options.items()))
        scale_name = self.response_scales.setdefault(key, f"choices{len(self.response_scales) + 1}")
        form = _slug(row.get(_FORM) or "form")
        scale = self.scales.setdefault(
            form,
            {
                "id": form,
                "label": (row.get(_FORM) or form).replace("_", " ").strip().capitalize(),
                "response_scale": scale_name,
                "items": [],
            },
        )
        if scale["response_scale"] != scale_name:
            self.problems.append(
                Problem(
                    where,
                    f"its choices differ from the other items of form "
                    f"{form!r}, so they cannot form one scale",
                )
            )
            return
        is_reverse = (
            field_name in self.reversed_fields or "@REVERSE" in (row.get(_ANNOTATION) or "").upper()
        )
        scale["items"].append(
            {"id": _slug(field_name), "text": label or field_name, "reverse": is_reverse}
        )

    def document(self, instrument_id: str, version: int, title: str) -> dict[str, Any]:
        """The instrument document :func:`instruments.loader.parse` reads."""
        return {
            "id": instrument_id,
            "version": version,
            "title": title,
            "response_scales": {
                scale_name: {
                    "min": min(c for c, _ in key),
                    "max": max(c for c, _ in key),
                    "labels": dict(key),
                }
                for key, scale_name in self.response_scales.items()
            },
            "scales": list(self.scales.values()),
            **({"comments": self.comments} if self.comments else {}),
        }
