"""Invitation link tokens: 256 random bits, of which the database keeps only a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh URL-safe token for an invitation link (``/s/<token>``), 256 bits of randomness.

    Examples
    --------
    >>> len(new_token()), new_token() == new_token()
    (43, False)
    """
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in ``Invitation.token_hash`` and looked up on each visit.

    A plain (unsalted) hash is enough: the token is random and long, so it cannot be guessed
    from its digest, and the digest must be deterministic to find the invitation.

    Examples
    --------
    >>> hash_token("abc")[:16]
    'ba7816bf8f01cfea'
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
