"""Write an :class:`~instruments.schema.Instrument` back to the YAML definition format."""

from __future__ import annotations

from typing import Any

import yaml

from instruments.schema import Instrument


def to_document(instrument: Instrument) -> dict[str, Any]:
    """The instrument as the plain mapping the YAML format describes (inverse of ``parse``)."""
    doc: dict[str, Any] = {
        "id": instrument.id,
        "version": instrument.version,
        "title": instrument.title,
    }
    if instrument.description:
        doc["description"] = instrument.description
    doc["response_scales"] = {
        rs.id: {"min": rs.min, "max": rs.max, **({"labels": dict(rs.labels)} if rs.labels else {})}
        for rs in instrument.response_scales.values()
    }
    doc["scales"] = [
        {
            "id": s.id,
            "label": s.label,
            **({"construct": s.construct} if s.construct else {}),
            "response_scale": s.response_scale.id,
            "items": [{"id": i.id, "text": i.text, "reverse": i.reverse} for i in s.items],
        }
        for s in instrument.scales
    ]
    if instrument.single_items:
        doc["single_items"] = [
            {
                "id": s.id,
                "text": s.text,
                "response_scale": s.response_scale.id,
                **({"label": s.label} if s.label else {}),
            }
            for s in instrument.single_items
        ]
    if instrument.network is not None:
        doc["network"] = {"id": instrument.network.id, "prompt": instrument.network.prompt}
    if instrument.comments:
        doc["comments"] = [{"id": c.id, "text": c.text} for c in instrument.comments]
    return doc


def dump(instrument: Instrument) -> str:
    """The instrument as YAML text that :func:`instruments.loads` reads back unchanged."""
    return yaml.safe_dump(to_document(instrument), sort_keys=False, allow_unicode=True, width=100)
