"""The audit trail: recording who did what to which object, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey_app.models import AuditEvent, User


def record(
    session: Session,
    action: str,
    *,
    user: User | None = None,
    actor: str | None = None,
    study_id: int | None = None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Add an audit event to ``session`` (committed with the change it records).

    Parameters
    ----------
    session
        The session carrying the change being audited.
    action
        What happened, as a dotted verb (``"user.create"``, ``"login.failure"``).
    user
        The staff account acting, if any; ``actor`` defaults to its email.
    actor
        Who acted when there is no account (``"cli"``, an email that failed to log in).
    study_id, object_type, object_id
        What was acted on.
    detail
        JSON-serialisable particulars (never passwords or answers).
    ip
        The client address for web requests.
    """
    if user is None and not actor:
        raise ValueError("an audit event needs a user or an actor")
    name = actor if actor else (user.email if user is not None else "")
    event = AuditEvent(
        user=user,
        actor=name,
        action=action,
        study_id=study_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
        ip=ip,
    )
    session.add(event)
    return event
