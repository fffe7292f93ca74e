"""The live board: a handful of indexed statements over open rows only, never history.

Every statement is bounded by an index on (regency, status, time) or on the few active
dispatches: waiting reports (ix_reports_regency_inbox), open incidents
(ix_incidents_regency_status), units (one per unit, with unit_availability — the same
derivation as the unit page), escalations today (ix_dispatches_status_updated), undelivered
alerts (active dispatches, then ix_push_outbox_dispatch; today's on ix_push_outbox_due).
Test traffic (`test` on reports and incidents) is left out everywhere.

Today's figures against target come from backend/kpi/service.py (kpi_summary over local
midnight → now: three range reads on ix_reports_regency_received, ix_incidents_regency_created
and ix_dispatches_regency_created, today's rows only) — the one definition of every measure.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from backend.accounts.models import User
from backend.accounts.permissions import require
from backend.db import UTCDateTime, utcnow
from backend.dispatches.models import ACTIVE_DISPATCH, ENDED_UNANSWERED, Dispatch
from backend.extensions import db
from backend.incidents.models import INCIDENT_STATUSES, Incident, format_incident_number
from backend.kpi.service import kpi_summary
from backend.regencies.models import Regency
from backend.reports.models import REPORT_STATUSES, Report
from backend.units.models import Agency, Unit
from backend.units.service import UNIT_STATES, unit_availability
from push.models import PushOutbox

OPEN_INCIDENT_STATES = ("open", "dispatched", "acknowledged", "en_route", "on_scene")
AWAITING_ACK = ("pending", "notified")
UNDELIVERED = ("failed", "dropped")
CANCELLED_DROP = "dispatch cancelled"   # drop_alerts(): the job was called off, not a failure
LIST_LIMIT = 20
# The headline measures the board shows against target, in this order.
TODAY_MEASURES = ("answer", "triage", "processing", "acknowledgement", "travel", "total")
TODAY_FIGURES = ("measure", "count", "open", "p50_s", "p90_s", "target_s", "target_share",
                 "compliance", "met")


def typed_min(column):
    """min(column) read back as an aware datetime."""
    # Aggregates bypass the column type (SQLite would hand back text): coerce them back.
    return sa.type_coerce(sa.func.min(column), UTCDateTime)


def _age(now: datetime, since: datetime | None) -> float | None:
    return None if since is None else max(0.0, (now - since).total_seconds())


def day_start(regency: Regency, now: datetime) -> datetime:
    """Midnight of the regency's local day that contains `now`, in UTC."""
    zone = ZoneInfo(regency.timezone or "Asia/Jakarta")
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), zone).astimezone(now.tzinfo)


def live_board(*, actor: User, now: datetime | None = None) -> dict:
    """Everything the supervisor's board shows, for the actor's regency (supervisors, admins)."""
    require(actor, "monitor")
    now = now or utcnow()
    regency = db.session.get(Regency, actor.regency_id)
    start = day_start(regency, now)
    return {"at": now, "day_start": start,
            "waiting": waiting_reports(regency.id, now),
            "incidents": open_incidents(regency.id, now),
            "agencies": units_by_agency(regency.id, now),
            "escalations": escalations(regency.id, now, start),
            "alerts": undelivered_alerts(regency.id, start),
            "today": {**today_counts(regency.id, start),
                      "measures": today_measures(regency.id, start, now)}}


def waiting_reports(regency_id: int, now: datetime) -> dict:
    """Reports waiting for triage: how many, how many silent, the oldest wait. Flooded
    reports (a phone beyond its SOS rate) are counted apart, as the inbox collapses them."""
    rows = db.session.execute(
        sa.select(Report.flooded, Report.silent, sa.func.count(), typed_min(Report.received_at))
        .where(Report.regency_id == regency_id, Report.status == "received",
               Report.test.is_(False))
        .group_by(Report.flooded, Report.silent)).all()
    real = [r for r in rows if not r[0]]
    oldest = min((r[3] for r in real), default=None)
    return {"count": sum(r[2] for r in real), "silent": sum(r[2] for r in real if r[1]),
            "flooded": sum(r[2] for r in rows if r[0]),
            "oldest_at": oldest, "oldest_age_s": _age(now, oldest)}


def open_incidents(regency_id: int, now: datetime) -> list[dict]:
    """Open incidents by state (every state, zeros too) with the oldest one's age."""
    rows = db.session.execute(
        sa.select(Incident.status, sa.func.count(), typed_min(Incident.created_at))
        .where(Incident.regency_id == regency_id, Incident.status.in_(OPEN_INCIDENT_STATES),
               Incident.test.is_(False))
        .group_by(Incident.status)).all()
    found = {status: (count, oldest) for status, count, oldest in rows}
    return [{"state": state, "count": found.get(state, (0, None))[0],
             "oldest_at": found.get(state, (0, None))[1],
             "oldest_age_s": _age(now, found.get(state, (0, None))[1])}
            for state in OPEN_INCIDENT_STATES]


def units_by_agency(regency_id: int, now: datetime) -> list[dict]:
    """Active units counted by availability per agency (units.service.unit_availability)."""
    units = list(db.session.scalars(
        sa.select(Unit).join(Unit.agency).options(contains_eager(Unit.agency))
        .where(Unit.regency_id == regency_id, Unit.active.is_(True))
        .order_by(Agency.type, Agency.name, Unit.name)))
    availability = unit_availability(units=units, now=now)
    agencies: dict[int, dict] = {}
    for unit in units:
        entry = agencies.setdefault(unit.agency_id, {
            "id": unit.agency.id, "name": unit.agency.name, "type": unit.agency.type,
            "total": 0, "states": dict.fromkeys(UNIT_STATES, 0)})
        entry["total"] += 1
        entry["states"][availability[unit.id].state] += 1
    return list(agencies.values())


def escalations(regency_id: int, now: datetime, start: datetime) -> dict:
    """Units that did not answer or declined today; dispatches still waiting for an
    acknowledgement (and how many are past their deadline); open incidents that need the
    operator (a unit flagged and none has taken the job since)."""
    real = sa.and_(Incident.id == Dispatch.incident_id, Incident.test.is_(False))
    today = dict(db.session.execute(
        sa.select(Dispatch.status, sa.func.count()).join(Incident, real)
        .where(Dispatch.status.in_(ENDED_UNANSWERED), Dispatch.updated_at >= start,
               Dispatch.regency_id == regency_id)
        .group_by(Dispatch.status)).all())
    waiting = db.session.execute(
        sa.select(sa.func.count(), typed_min(Dispatch.created_at),
                  sa.func.count(sa.case((Dispatch.ack_deadline < now, 1))))
        .join(Incident, real)
        .where(Dispatch.status.in_(AWAITING_ACK), Dispatch.regency_id == regency_id)).one()
    flagged = db.session.execute(
        sa.select(Incident.id, Incident.created_at, Incident.category, Incident.status)
        .where(Incident.regency_id == regency_id, Incident.status.in_(OPEN_INCIDENT_STATES),
               Incident.test.is_(False), Incident.needs_attention)
        .order_by(Incident.created_at)).all()
    return {"timed_out_today": today.get("timed_out", 0),
            "declined_today": today.get("declined", 0),
            "awaiting_ack": waiting[0], "overdue_ack": waiting[2],
            "oldest_awaiting_ack_s": _age(now, waiting[1]),
            "needs_attention": len(flagged),
            "incidents": [{"number": format_incident_number(i, at), "category": category,
                           "state": state, "age_s": _age(now, at)}
                          for i, at, category, state in flagged[:LIST_LIMIT]]}


def is_undelivered():
    """An alert that failed, or was dropped for any reason but a cancelled dispatch."""
    return sa.and_(PushOutbox.status.in_(UNDELIVERED), sa.or_(
        PushOutbox.last_error.is_(None), PushOutbox.last_error != CANCELLED_DROP))


def undelivered_alerts(regency_id: int, start: datetime) -> dict:
    """Alerts that could not be delivered: today's count, and those of dispatches still open
    (a crew that may never have heard of its job) listed."""
    today = db.session.scalar(
        sa.select(sa.func.count()).select_from(PushOutbox)
        .join(Dispatch, Dispatch.id == PushOutbox.dispatch_id)
        .join(Incident, sa.and_(Incident.id == Dispatch.incident_id, Incident.test.is_(False)))
        .where(is_undelivered(), PushOutbox.next_attempt_at >= start,
               PushOutbox.regency_id == regency_id))
    rows = db.session.execute(
        sa.select(PushOutbox.status, PushOutbox.last_error, PushOutbox.attempts,
                  Dispatch.id, Unit.name, Incident.id, Incident.created_at)
        .select_from(Dispatch)
        .join(PushOutbox, PushOutbox.dispatch_id == Dispatch.id)
        .join(Incident, sa.and_(Incident.id == Dispatch.incident_id, Incident.test.is_(False)))
        .join(Unit, Unit.id == Dispatch.unit_id)
        .where(Dispatch.status.in_(ACTIVE_DISPATCH), Dispatch.regency_id == regency_id,
               is_undelivered())
        .order_by(PushOutbox.id)).all()
    return {"today": today, "open": len(rows),
            "items": [{"status": status, "error": error, "attempts": attempts,
                       "dispatch": dispatch, "unit": unit,
                       "incident": format_incident_number(incident, at)}
                      for status, error, attempts, dispatch, unit, incident, at
                      in rows[:LIST_LIMIT]]}


def today_counts(regency_id: int, start: datetime) -> dict:
    """Reports received and incidents opened since local midnight (test traffic excluded).

    The status lists look redundant: they let both statements range-scan their
    (regency, status, time) index once per status instead of reading the regency's history.
    """
    reports = db.session.scalar(sa.select(sa.func.count()).select_from(Report).where(
        Report.regency_id == regency_id, Report.status.in_(REPORT_STATUSES),
        Report.received_at >= start, Report.test.is_(False)))
    incidents = db.session.scalar(sa.select(sa.func.count()).select_from(Incident).where(
        Incident.regency_id == regency_id, Incident.status.in_(INCIDENT_STATUSES),
        Incident.created_at >= start, Incident.test.is_(False)))
    return {"reports": reports, "incidents": incidents}


def today_measures(regency_id: int, start: datetime, now: datetime) -> list[dict]:
    """The headline measures since local midnight: count, open, p50/p90, the target and
    compliance (kpi_summary, each observation judged against its own category's target)."""
    # [start, now] — the microsecond keeps the range non-empty at the stroke of midnight.
    rows = {r["measure"]: r for r in kpi_summary(regency_id, start,
                                                 now + timedelta(microseconds=1))}
    return [{k: rows[m][k] for k in TODAY_FIGURES} for m in TODAY_MEASURES]
