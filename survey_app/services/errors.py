"""Errors a service raises for bad input, with a message fit to show the user."""

from __future__ import annotations


class ServiceError(ValueError):
    """A request that cannot be carried out as asked; ``str(error)`` says why, plainly."""
