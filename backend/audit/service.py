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


def audit_log(*, actor: User, limit: int = 200, before_id: int | None = None
              ) -> list[AuditEvent]:
    """The regency's audit log, newest first (supervisors and admins)."""
    require(actor, "audit")
    query = sa.select(AuditEvent).where(AuditEvent.regency_id == actor.regency_id)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
