"""Load and validate instrument definitions (YAML) into :class:`~instruments.schema.Instrument`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from instruments.errors import InstrumentError, Problem
from instruments.schema import (
    CommentQuestion,
    Instrument,
    Item,
    NetworkQuestion,
    ResponseScale,
    Scale,
    SingleItem,
)

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
RELEASED_MANIFEST = "released.json"
_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
_FILE = re.compile(r"^(?P<id>[a-z][a-z0-9_-]*)-v(?P<version>[0-9]+)\.ya?ml$")

_TOP_KEYS = {
    "id",
    "version",
    "title",
    "description",
    "response_scales",
    "scales",
    "single_items",
    "network",
    "comments",
}


class _Checker:
    """Collects problems while walking a parsed YAML document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def mapping(self, value: Any, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.fail(path, f"must be a mapping, got {_kind(value)}")
            return None
        return value

    def sequence(self, value: Any, path: str, *, allow_empty: bool = False) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"must be a list, got {_kind(value)}")
            return []
        if not value and not allow_empty:
            self.fail(path, "must not be empty")
        return value

    def keys(
        self, node: Mapping[str, Any], path: str, required: set[str], optional: set[str]
    ) -> None:
        for key in sorted(required - set(node)):
            self.fail(_join(path, key), "is required")
        for key in sorted(set(node) - required - optional, key=str):
            allowed = ", ".join(sorted(required | optional))
            self.fail(_join(path, str(key)), f"is not a known key (expected one of: {allowed})")

    def identifier(self, node: Mapping[str, Any], key: str, path: str) -> str:
        value = node.get(key)
        if key not in node:
            return ""
        if not isinstance(value, str) or not _ID.match(value):
            self.fail(
                _join(path, key),
                f"must be an identifier of lower-case letters, digits, '_' or '-' starting with a "
                f"letter, got {value!r}",
            )
            return ""
        return value

    def text(self, node: Mapping[str, Any], key: str, path: str) -> str:
        if key not in node:
            return ""
        value = node[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(_join(path, key), f"must be non-empty text, got {value!r}")
            return ""
        return value.strip()

    def integer(self, node: Mapping[str, Any], key: str, path: str) -> int | None:
        if key not in node:
            return None
        value = node[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(_join(path, key), f"must be a whole number, got {value!r}")
            return None
        return value

    def boolean(self, node: Mapping[str, Any], key: str, path: str) -> bool:
        value = node.get(key, False)
        if not isinstance(value, bool):
            self.fail(_join(path, key), f"must be true or false, got {value!r}")
            return False
        return value


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse(document: Any, source: str = "<instrument>") -> Instrument:
    """Validate a parsed YAML document and build the :class:`Instrument`.

    Every problem is collected before failing, so one run of the loader lists them all.

    Raises
    ------
    InstrumentError
        Naming ``source``, the path inside the document (``scales[2].items[0].reverse``)
        and what is wrong, for every problem found.
    """
    check = _Checker()
    top = check.mapping(document, "")
    if top is None:
        raise InstrumentError(source, check.problems)
    check.keys(top, "", {"id", "version", "title", "response_scales", "scales"}, _TOP_KEYS)
    instrument_id = check.identifier(top, "id", "")
    version = check.integer(top, "version", "")
    if version is not None and version < 1:
        check.fail("version", f"must be 1 or more, got {version}")
    title = check.text(top, "title", "")
    description = top.get("description", "")
    if not isinstance(description, str):
        check.fail("description", f"must be text, got {description!r}")
        description = ""
    refs = _References(check, _response_scales(check, top.get("response_scales", {})))
    scales = _scales(check, top, refs)
    singles = _single_items(check, top, refs)
    network = _network(check, top, refs)
    comments = _comments(check, top, refs)
    if check.problems:
        raise InstrumentError(source, check.problems)
    return Instrument(
        id=instrument_id,
        version=version or 1,
        title=title,
        description=description.strip(),
        response_scales=refs.response_scales,
        scales=scales,
        single_items=singles,
        network=network,
        comments=comments,
    )


class _References:
    """Ids claimed so far (each used once in an instrument) and the response scales to refer to."""

    def __init__(self, check: _Checker, response_scales: dict[str, ResponseScale]) -> None:
        self.check = check
        self.response_scales = response_scales
        self.seen_ids: dict[str, str] = {}

    def claim(self, identifier: str, path: str) -> None:
        """Record that ``identifier`` is defined at ``path``; a second definition is a problem."""
        if not identifier:
            return
        if identifier in self.seen_ids:
            self.check.fail(
                path, f"id {identifier!r} is already used at {self.seen_ids[identifier]}"
            )
        else:
            self.seen_ids[identifier] = path

    def scale_ref(self, node: Mapping[str, Any], path: str) -> ResponseScale | None:
        """The response scale ``node`` names, or None (a problem when it names an unknown one)."""
        ref = node.get("response_scale")
        if "response_scale" not in node:
            return None
        if ref not in self.response_scales:
            known = ", ".join(sorted(self.response_scales)) or "none defined"
            self.check.fail(
                _join(path, "response_scale"), f"unknown response scale {ref!r} (known: {known})"
            )
            return None
        return self.response_scales[ref]


def _scales(check: _Checker, top: Mapping[str, Any], refs: _References) -> tuple[Scale, ...]:
    scales: list[Scale] = []
    for i, raw in enumerate(check.sequence(top.get("scales", []), "scales")):
        path = f"scales[{i}]"
        node = check.mapping(raw, path)
        if node is None:
            continue
        check.keys(node, path, {"id", "label", "response_scale", "items"}, {"construct"})
        scale_id = check.identifier(node, "id", path)
        refs.claim(scale_id, _join(path, "id"))
        label = check.text(node, "label", path)
        construct = check.text(node, "construct", path) if "construct" in node else ""
        response_scale = refs.scale_ref(node, path)
        items = _items(check, node, path, refs)
        if response_scale is not None:
            scales.append(Scale(scale_id, label, construct, response_scale, items))
    return tuple(scales)


def _items(
    check: _Checker, scale: Mapping[str, Any], path: str, refs: _References
) -> tuple[Item, ...]:
    items: list[Item] = []
    for j, raw_item in enumerate(check.sequence(scale.get("items", []), _join(path, "items"))):
        item_path = f"{path}.items[{j}]"
        item_node = check.mapping(raw_item, item_path)
        if item_node is None:
            continue
        check.keys(item_node, item_path, {"id", "text"}, {"reverse"})
        item_id = check.identifier(item_node, "id", item_path)
        refs.claim(item_id, _join(item_path, "id"))
        items.append(
            Item(
                item_id,
                check.text(item_node, "text", item_path),
                check.boolean(item_node, "reverse", item_path),
            )
        )
    return tuple(items)


def _single_items(
    check: _Checker, top: Mapping[str, Any], refs: _References
) -> tuple[SingleItem, ...]:
    singles: list[SingleItem] = []
    raw_singles = top.get("single_items", [])
    for i, raw in enumerate(check.sequence(raw_singles, "single_items", allow_empty=True)):
        path = f"single_items[{i}]"
        node = check.mapping(raw, path)
        if node is None:
            continue
        check.keys(node, path, {"id", "text", "response_scale"}, {"label"})
        single_id = check.identifier(node, "id", path)
        refs.claim(single_id, _join(path, "id"))
        text = check.text(node, "text", path)
        label = check.text(node, "label", path) if "label" in node else ""
        response_scale = refs.scale_ref(node, path)
        if response_scale is not None:
            singles.append(SingleItem(single_id, text, response_scale, label))
    return tuple(singles)


def _network(check: _Checker, top: Mapping[str, Any], refs: _References) -> NetworkQuestion | None:
    if "network" not in top:
        return None
    node = check.mapping(top["network"], "network")
    if node is None:
        return None
    check.keys(node, "network", {"id", "prompt"}, set())
    network_id = check.identifier(node, "id", "network")
    refs.claim(network_id, "network.id")
    return NetworkQuestion(network_id, check.text(node, "prompt", "network"))


def _comments(
    check: _Checker, top: Mapping[str, Any], refs: _References
) -> tuple[CommentQuestion, ...]:
    comments: list[CommentQuestion] = []
    raw_comments = top.get("comments", [])
    for i, raw in enumerate(check.sequence(raw_comments, "comments", allow_empty=True)):
        path = f"comments[{i}]"
        node = check.mapping(raw, path)
        if node is None:
            continue
        check.keys(node, path, {"id", "text"}, set())
        comment_id = check.identifier(node, "id", path)
        refs.claim(comment_id, _join(path, "id"))
        comments.append(CommentQuestion(comment_id, check.text(node, "text", path)))
    return tuple(comments)


def _response_scales(check: _Checker, raw: Any) -> dict[str, ResponseScale]:
    node = check.mapping(raw, "response_scales")
    out: dict[str, ResponseScale] = {}
    if node is None:
        return out
    if not node:
        check.fail("response_scales", "must define at least one response scale")
    for key, value in node.items():
        path = f"response_scales.{key}"
        if not isinstance(key, str) or not _ID.match(key):
            check.fail(path, f"response scale name {key!r} is not an identifier")
            continue
        spec = check.mapping(value, path)
        if spec is None:
            continue
        check.keys(spec, path, {"min", "max"}, {"labels"})
        low = check.integer(spec, "min", path)
        high = check.integer(spec, "max", path)
        if low is None or high is None:
            continue
        if high <= low:
            check.fail(_join(path, "max"), f"must be greater than min ({low}), got {high}")
            continue
        labels: dict[int, str] = {}
        raw_labels = spec.get("labels", {})
        labels_node = check.mapping(raw_labels, _join(path, "labels"))
        for value_key, label in (labels_node or {}).items():
            label_path = f"{path}.labels.{value_key}"
            if isinstance(value_key, bool) or not isinstance(value_key, int):
                check.fail(label_path, f"label keys must be whole numbers, got {value_key!r}")
            elif not low <= value_key <= high:
                check.fail(label_path, f"is outside the scale's range {low}..{high}")
            elif not isinstance(label, str) or not label.strip():
                check.fail(label_path, f"must be non-empty text, got {label!r}")
            else:
                labels[value_key] = label.strip()
        out[key] = ResponseScale(key, low, high, labels)
    return out


def load_file(path: str | Path) -> Instrument:
    """Load and validate one instrument file.

    Raises
    ------
    InstrumentError
        When the file cannot be read, is not YAML, or is not a valid instrument.
    """
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InstrumentError(source, [Problem("", f"cannot be read: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        raise InstrumentError(source, [Problem("", f"is not UTF-8 text ({exc.reason})")]) from exc
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InstrumentError(source, [Problem(where, f"is not valid YAML: {problem}")]) from exc
    instrument = parse(document, source)
    match = _FILE.match(path.name)
    if match and (match["id"] != instrument.id or int(match["version"]) != instrument.version):
        raise InstrumentError(
            source,
            [
                Problem(
                    "id",
                    f"file name says {match['id']} v{match['version']} but the file "
                    f"defines {instrument.id} v{instrument.version}",
                )
            ],
        )
    return instrument


def _definition_files(directory: Path) -> dict[tuple[str, int], Path]:
    found: dict[tuple[str, int], Path] = {}
    for path in sorted(directory.glob("*.y*ml")):
        match = _FILE.match(path.name)
        if match:
            found[(match["id"], int(match["version"]))] = path
    return found


def available(directory: str | Path | None = None) -> list[tuple[str, int]]:
    """Every ``(id, version)`` defined in ``directory`` (default: the shipped definitions)."""
    return sorted(_definition_files(Path(directory) if directory else DEFINITIONS_DIR))


def fingerprint(path: str | Path) -> str:
    """SHA-256 of a definition file's bytes: what a released version is pinned to."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _check_released(path: Path, instrument: Instrument, directory: Path) -> None:
    manifest = directory / RELEASED_MANIFEST
    if not manifest.is_file():
        return
    released: dict[str, str] = json.loads(manifest.read_text(encoding="utf-8"))
    pinned = released.get(instrument.key)
    if pinned is not None and pinned != fingerprint(path):
        raise InstrumentError(
            str(path),
            [
                Problem(
                    "",
                    f"{instrument.key} is released and may not change (waves already used "
                    f"it); put the change in a new version file "
                    f"{instrument.id}-v{instrument.version + 1}.yaml",
                )
            ],
        )


def load(
    instrument_id: str, version: int | None = None, *, directory: str | Path | None = None
) -> Instrument:
    """Load a shipped (or ``directory``'s) instrument: the latest version, or ``version``.

    Released versions are immutable: a definition whose bytes differ from the fingerprint
    recorded in ``released.json`` is refused.

    Examples
    --------
    >>> from instruments import load
    >>> cop = load("cop-health")
    >>> cop.scale_ids[:3]
    ('mutual_engagement', 'joint_enterprise', 'shared_repertoire')
    """
    folder = Path(directory) if directory else DEFINITIONS_DIR
    files = _definition_files(folder)
    versions = sorted(v for (i, v) in files if i == instrument_id)
    if not versions:
        known = ", ".join(sorted({i for (i, _) in files})) or "none"
        raise LookupError(f"no instrument {instrument_id!r} in {folder} (available: {known})")
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        listed = ", ".join(str(v) for v in versions)
        raise LookupError(
            f"instrument {instrument_id!r} has no version {chosen} (versions: {listed})"
        )
    path = files[(instrument_id, chosen)]
    instrument = load_file(path)
    _check_released(path, instrument, folder)
    return instrument
