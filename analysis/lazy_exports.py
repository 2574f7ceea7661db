"""The lazy loading (PEP 562) that the front modules ``analysis`` and ``reports`` share."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def first_use_hooks(
    package: str, homes: Mapping[str, str], names: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of a front module that loads on first use.

    Parameters
    ----------
    package : str
        The front module's name (its ``__name__``).
    homes : Mapping[str, str]
        Where each listed name lives: name -> the module that defines it.
    names : Iterable[str]
        The names the front module lists (its ``__all__``), which ``dir()`` shows before use.

    Returns
    -------
    tuple of callable
        ``__getattr__``: a listed name from its module, or a submodule
        (``<package>.<name>``), kept in the front module once loaded; anything else is an
        ``AttributeError``. ``__dir__``: the listed names beside those already loaded.

    Examples
    --------
    >>> getattr_, dir_ = first_use_hooks("analysis", {"awg": "analysis.agreement"}, ["awg"])
    >>> getattr_("awg").__name__
    'awg'
    >>> "awg" in dir_()
    True
    """
    listed = frozenset(names)

    def get_attribute(name: str) -> Any:
        if name in homes:
            value = getattr(importlib.import_module(homes[name]), name)
        else:
            value = _submodule(package, name)
        setattr(sys.modules[package], name, value)
        return value

    def list_names() -> list[str]:
        return sorted({*vars(sys.modules[package]), *listed})

    return get_attribute, list_names


def _submodule(package: str, name: str) -> Any:
    """The module ``<package>.<name>``, or an ``AttributeError`` where there is none."""
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.{name}":
            raise
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
