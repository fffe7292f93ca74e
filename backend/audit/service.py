from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.permissions import require
from backend.audit.models import AuditEvent
from backend.db import utcnow
from backend.extensions import db


def audit_row(*, regency_id: int, actor: tuple[str, object], action: str,
              entity: tuple[str, object], before: dict | None = None, after: dict | None = None,
              device_at: datetime | None = None, at: datetime | None = None) -> dict:
    return {"regency_id": regency_id, "at": at or utcnow(), "device_at": device_at,
            "actor_type": actor[0], "actor_id": str(actor[1]), "action": action,
            "entity_type": entity[0], "entity_id": str(entity[1]),
            "before": before, "after": after}


def record_events(rows: list[dict]) -> None:
    """Append audit rows built by audit_row() in one statement."""
    if rows:
        db.session.execute(sa.insert(AuditEvent.__table__), rows)


def record_event(**kwargs) -> None:
    """Append one audit row (see audit_row for the arguments)."""
    record_events([audit_row(**kwargs)])


def audit_log(*, actor: User, limit: int = 100, before_id: int | None = None,
              by: str | None = None, action: str | None = None,
              entity_type: str | None = None, entity_id: str | None = None,
              since: datetime | None = None, until: datetime | None = None
              ) -> tuple[list[AuditEvent], int | None]:
    """A page of the regency's audit log, newest first (supervisors and admins).

    Keyset paging on id: pass the returned `next_before_id` as `before_id` for the next,
    older page; it is None on the page that holds the oldest matching event. `by` is a user id
    or "system" / "device" / "client"; `action` a prefix ("dispatch." or "dispatch.create");
    since/until bound the server time (UTC, until exclusive).
    """
    require(actor, "audit")
    query = sa.select(AuditEvent).where(AuditEvent.regency_id == actor.regency_id)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    if by:
        query = query.where(AuditEvent.actor_type == by) if not by.isdigit() else \
            query.where(AuditEvent.actor_type == "user", AuditEvent.actor_id == by)
    if action:
        escaped = action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEvent.action.like(escaped + "%", escape="\\"))
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    rows = list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more else None)
