"""Golden digests: every export format of the export test study is the same, byte for byte.

Pinned before ``build_export`` was split into named steps; a change here means an export changed.
The few bytes a writer stamps with the current time are masked: zip member dates (bundle, xlsx),
the workbook's created/modified dates (xlsx ``docProps/core.xml``), the SPSS header's
creation date and time and the Stata header's time stamp.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from analysis.exports import EXPORT_FORMATS
from survey_app.models import Answer, Base, Study
from survey_app.services.export import build_export, download_name, write_export
from tests.survey_app.export_fixtures import build_export_study

DIGESTS = {
    "bundle": "a073a4523a73e12c20fe37d823ff464db1771cdf88dd33335a7978a37f840693",
    "long-csv": "4196bedc108f6d3ce58a56a4964cc81414fba46aebc2f537462dc70ca080984e",
    "wide-csv": "7bb130fbda6956968a2c2ab8df746013c5a7d2b36661f63d0eff89e8fb9f20b7",
    "xlsx": "732f8825196a7d352dc454e98098912ee616be979bf1d6e39745918f96f0566c",
    "sav": "a8ba94700d51590f299c43a1dcbb343eb2382399582643c83021490a8a8a4d73",
    "dta": "791ba66bb38d2e2399a4f7ebd345354a39399b3187c7a5647cfaeb17872d5259",
    "codebook": "309e454f9631c4196eae771d1a1a058ae7dd8972d1374df4af59e3f601090ecc",
}

_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")
# SPSS system file header: creation date (9 bytes) at offset 92, time (8 bytes) at offset 101
_SAV_STAMP = slice(92, 109)
# Stata 118 header: <timestamp>, a length byte then "dd Mon yyyy hh:mm"
_DTA_STAMP = re.compile(rb"<timestamp>.*?</timestamp>", re.DOTALL)


def restart_ids(session: Session) -> None:
    """Start every id sequence at 1 again, so pseudonyms (HMACs of member ids) do not depend on
    the tests run before.

    PostgreSQL tests share one migrated schema, emptied after each test without resetting ids
    (tests/survey_app/conftest.py); the tables are empty here, so restarting is safe. A SQLite
    test gets a fresh copy of the database, whose ids start at 1 anyway.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        if "id" in table.columns:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), 1, false)"),
                {"table": f'"{table.name}"'},
            )
    session.commit()


def export_digest(fmt: str, data: bytes) -> str:
    """sha256 of ``data`` with the time stamps of its writer masked (see the module)."""
    h = hashlib.sha256()
    if fmt in ("bundle", "xlsx"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in sorted(archive.namelist()):
                content = archive.read(name)
                if name == "docProps/core.xml":
                    content = _CORE_DATES.sub(rb"\1\3", content)
                h.update(name.encode() + b"\0" + content + b"\0")
    elif fmt == "sav":
        h.update(data[: _SAV_STAMP.start] + bytes(_SAV_STAMP.stop - _SAV_STAMP.start))
        h.update(data[_SAV_STAMP.stop :])
    elif fmt == "dta":
        h.update(_DTA_STAMP.sub(b"<timestamp></timestamp>", data, count=1))
    else:
        h.update(data)
    return h.hexdigest()


def _export_bytes(session: Session, study: Study, fmt: str, folder: Path) -> bytes:
    export = build_export(session, study)
    written = write_export(
        export.bundle,
        fmt,
        folder / download_name(study.name, fmt),
        title=export.study_name,
        notes=export.notes,
    )
    return written.read_bytes()


def _digests(session: Session, study: Study, folder: Path) -> dict[str, str]:
    return {
        fmt: export_digest(fmt, _export_bytes(session, study, fmt, folder / fmt))
        for fmt in EXPORT_FORMATS
    }


@pytest.mark.slow
def test_every_format_matches_its_golden_digest(session: Session, tmp_path: Path) -> None:
    restart_ids(session)
    setup = build_export_study(session)
    study = session.get(Study, setup.study_id)
    assert study is not None
    assert _digests(session, study, tmp_path) == DIGESTS


@pytest.mark.slow
def test_the_digests_see_one_changed_answer(session: Session, tmp_path: Path) -> None:
    setup = build_export_study(session)
    study = session.get(Study, setup.study_id)
    assert study is not None
    before = _digests(session, study, tmp_path / "before")
    answer = session.scalars(select(Answer).where(Answer.value == 4.0).order_by(Answer.id)).first()
    assert answer is not None
    answer.value = 5.0
    session.commit()
    after = _digests(session, study, tmp_path / "after")
    assert [fmt for fmt in EXPORT_FORMATS if before[fmt] == after[fmt]] == ["codebook"]
