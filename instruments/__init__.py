"""Instruments: the questionnaire schema, the validating loader and the shipped definitions."""

from instruments.errors import InstrumentError, Problem
from instruments.loader import DEFINITIONS_DIR, available, fingerprint, load, load_file, parse
from instruments.redcap import from_redcap
from instruments.schema import (
    CommentQuestion,
    Instrument,
    Item,
    ItemInfo,
    NetworkQuestion,
    ResponseScale,
    Scale,
    SingleItem,
)
from instruments.serialise import dump, to_document

__all__ = [
    "DEFINITIONS_DIR",
    "CommentQuestion",
    "Instrument",
    "InstrumentError",
    "Item",
    "ItemInfo",
    "NetworkQuestion",
    "Problem",
    "ResponseScale",
    "Scale",
    "SingleItem",
    "available",
    "dump",
    "fingerprint",
    "from_redcap",
    "load",
    "load_file",
    "parse",
    "to_document",
]
