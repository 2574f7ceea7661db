"""Invitation link tokens (256 bits, derived by HMAC), of which the database keeps only a SHA-256 digest."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol

TOKEN_BYTES = 32


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


INVITATION_TOKEN_CONTEXT = b"copkit-invitation:"


class _Salted(Protocol):
    """What a token is derived from: an invitation's id and its stored salt."""

    @property
    def id(self) -> int: ...

    @property
    def token_salt(self) -> str: ...


def invitation_token(invitation: _Salted, secret_key: str | bytes) -> str:
    """The link token of an invitation, derived so that reminders and retries resend the same link.

    The database keeps only ``hash_token(token)``; the token itself is recomputed when a mail is
    sent, from the app's secret key, the invitation id and its random salt.

    Notes
    -----
    ``token = base64url(HMAC-SHA256(secret_key, "copkit-invitation:" + id + ":" + salt))``
    without padding (43 characters, 256 bits). Without the secret key the token cannot be
    computed from the database; changing the key invalidates every link not yet used.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> invitation = SimpleNamespace(id=7, token_salt="00" * 16)
    >>> token = invitation_token(invitation, "secret")
    >>> len(token), token == invitation_token(invitation, "secret")
    (43, True)
    >>> token == invitation_token(invitation, "another secret")
    False
    """
    if invitation.id is None:
        raise ValueError("the invitation has no id yet; flush it before deriving its token")
    if not invitation.token_salt:
        raise ValueError(f"invitation {invitation.id} has no token salt")
    key = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    if not key:
        raise ValueError("an empty secret key cannot derive invitation tokens")
    message = INVITATION_TOKEN_CONTEXT + f"{invitation.id}:{invitation.token_salt}".encode("ascii")
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def invitation_url(base_url: str, token: str) -> str:
    """The survey link ``<base_url>/s/<token>`` sent to a respondent.

    Examples
    --------
    >>> invitation_url("https://survey.example.org/", "abc")
    'https://survey.example.org/s/abc'
    """
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"BASE_URL must start with http:// or https://, not {base_url!r}")
    return f"{base_url.rstrip('/')}/s/{token}"


SURVEY_FORM_CONTEXT = b"copkit-survey-form:"


def survey_form_token(link_token: str, secret_key: str | bytes) -> str:
    """The anti-forgery token that a survey link's forms carry (consent and every page).

    It is bound to the link rather than to a session cookie: a page that can post to
    ``/s/<token>/...`` must already know the link, which is the respondent's credential, so a
    token derived from it protects exactly as much as a session token would, and survey pages
    need no cookie. It does not expire: a page left open overnight can still be sent while the
    wave is open.

    Notes
    -----
    ``base64url(HMAC-SHA256(secret_key, "copkit-survey-form:" + link_token))`` without
    padding (43 characters).

    Examples
    --------
    >>> form = survey_form_token("a-link-token", "secret")
    >>> len(form), form == survey_form_token("another-link-token", "secret")
    (43, False)
    """
    key = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    if not key:
        raise ValueError("an empty secret key cannot derive survey form tokens")
    digest = hmac.new(key, SURVEY_FORM_CONTEXT + link_token.encode("utf-8"), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def is_survey_form_token(sent: str | None, link_token: str, secret_key: str | bytes) -> bool:
    """Whether ``sent`` is the form token of ``link_token`` (compared in constant time).

    Examples
    --------
    >>> is_survey_form_token(survey_form_token("link", "k"), "link", "k")
    True
    >>> is_survey_form_token("forged", "link", "k"), is_survey_form_token(None, "link", "k")
    (False, False)
    """
    if not sent:
        return False
    expected = survey_form_token(link_token, secret_key)
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode("ascii"))
