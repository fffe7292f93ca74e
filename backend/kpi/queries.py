"""The narrow reads behind the figures: one SELECT per subject fetching, for a regency and a
range [start, end), only the milestone pairs, the category and the group key — as Core rows
(no ORM objects), on the indexes ix_reports_regency_received, ix_incidents_regency_created and
ix_dispatches_regency_created. The same statements run on PostgreSQL and SQLite; durations and
percentiles are computed in Python (backend/kpi/service.py) so both databases agree exactly.

Which items fall in a range (the subject's anchor milestone):
    reports     received_at     (the centre learns of it)
    incidents   created_at      (confirmation)
    dispatches  created_at      (the unit was sent)
Test traffic never counts: reports.test, incidents.test; a dispatch counts with its incident.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.incidents.models import Incident
from push.models import PushOutbox
from backend.reports.models import Report
from backend.units.models import Unit

# The group key of each subject's items, by group_by (hour and day come from the anchor).
# None: the grouping does not apply to the subject (its measures are left out).
REPORT_KEYS = {"category": Report.category, "kecamatan": Report.kecamatan_code,
               "desa": Report.desa_code, "operator": Report.triaged_by, "channel": Report.source}


def _first_of_incident(column, incident_id):
    """A correlated scalar: `column` of the incident's earliest real report (its channel)."""
    return (sa.select(column).where(Report.incident_id == incident_id, Report.test.is_(False))
            .order_by(Report.received_at, Report.id).limit(1).scalar_subquery())


def _first_unit(incident_id):
    """A correlated scalar: the unit of the incident's first dispatch."""
    return (sa.select(Dispatch.unit_id).where(Dispatch.incident_id == incident_id)
            .order_by(Dispatch.created_at, Dispatch.id).limit(1).scalar_subquery())


def _incident_key(group_by: str | None):
    if group_by in ("category", "kecamatan", "desa", "operator"):
        return {"category": Incident.category, "kecamatan": Incident.kecamatan_code,
                "desa": Incident.desa_code, "operator": Incident.created_by}[group_by]
    if group_by == "channel":
        return _first_of_incident(Report.source, Incident.id)
    if group_by in ("unit", "agency"):  # the unit whose dispatch stopped the dispatch clock
        return _first_unit(Incident.id)
    return None


def _dispatch_key(group_by: str | None):
    if group_by in ("category", "kecamatan", "desa"):
        return {"category": Incident.category, "kecamatan": Incident.kecamatan_code,
                "desa": Incident.desa_code}[group_by]
    if group_by == "operator":
        return Dispatch.created_by
    if group_by in ("unit", "agency"):
        return Dispatch.unit_id
    if group_by == "channel":
        return _first_of_incident(Report.source, Dispatch.incident_id)
    return None


def _key_column(key):
    return (key if key is not None else sa.null()).label("key")


def reports_in_range(regency_id: int, start: datetime, end: datetime,
                     group_by: str | None) -> list[sa.Row]:
    """(received_at, captured_at, first_viewed_at, triaged_at, source, category, key)."""
    key = REPORT_KEYS.get(group_by)
    return db.session.execute(
        sa.select(Report.received_at, Report.captured_at, Report.first_viewed_at,
                  Report.triaged_at, Report.source, Report.category, _key_column(key))
        .where(Report.regency_id == regency_id, Report.received_at >= start,
               Report.received_at < end, Report.test.is_(False))).all()


def incidents_in_range(regency_id: int, start: datetime, end: datetime,
                       group_by: str | None) -> list[sa.Row]:
    """(created_at, first_dispatched_at, first_on_scene_at, first_received, first_captured,
    category, key) — first_received/first_captured: the earliest real report's milestones."""
    in_range = (Incident.regency_id == regency_id, Incident.created_at >= start,
                Incident.created_at < end, Incident.test.is_(False))
    firsts = (sa.select(Report.incident_id,
                        sa.func.min(Report.received_at).label("first_received"),
                        sa.func.min(Report.captured_at).label("first_captured"))
              .where(Report.incident_id.in_(sa.select(Incident.id).where(*in_range)),
                     Report.test.is_(False))
              .group_by(Report.incident_id).subquery())
    return db.session.execute(
        sa.select(Incident.created_at, Incident.first_dispatched_at, Incident.first_on_scene_at,
                  firsts.c.first_received, firsts.c.first_captured, Incident.category,
                  _key_column(_incident_key(group_by)))
        .outerjoin(firsts, firsts.c.incident_id == Incident.id)
        .where(*in_range)).all()


def dispatches_in_range(regency_id: int, start: datetime, end: datetime,
                        group_by: str | None) -> list[sa.Row]:
    """(created_at, acknowledged_at, on_scene_at, completed_at, category, key); the category
    is the incident's."""
    return db.session.execute(
        sa.select(Dispatch.created_at, Dispatch.acknowledged_at, Dispatch.on_scene_at,
                  Dispatch.completed_at, Incident.category, _key_column(_dispatch_key(group_by)))
        .join(Incident, Incident.id == Dispatch.incident_id)
        .where(Dispatch.regency_id == regency_id, Dispatch.created_at >= start,
               Dispatch.created_at < end, Incident.test.is_(False))).all()


def unit_agencies(regency_id: int) -> dict[int, int]:
    """unit id → agency id, for grouping by agency."""
    return dict(db.session.execute(sa.select(Unit.id, Unit.agency_id)
                                   .where(Unit.regency_id == regency_id)).all())


# ---- counts ----

def report_facts(regency_id: int, start: datetime, end: datetime) -> list[sa.Row]:
    """(received_at, source, category, kecamatan_code, desa_code, status, status_reason,
    silent, has_location, test) of every report in range — test ones too, to say how many
    were left out."""
    return db.session.execute(
        sa.select(Report.received_at, Report.source, Report.category, Report.kecamatan_code,
                  Report.desa_code, Report.status, Report.status_reason, Report.silent,
                  Report.lat.is_not(None).label("has_location"), Report.test)
        .where(Report.regency_id == regency_id, Report.received_at >= start,
               Report.received_at < end)).all()


def incident_count(regency_id: int, start: datetime, end: datetime) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Incident).where(
        Incident.regency_id == regency_id, Incident.created_at >= start,
        Incident.created_at < end, Incident.test.is_(False)))


def dispatch_facts(regency_id: int, start: datetime, end: datetime) -> list[sa.Row]:
    """(unit_id, status, needs_attention) of every real dispatch in range."""
    return db.session.execute(
        sa.select(Dispatch.unit_id, Dispatch.status, Dispatch.needs_attention)
        .join(Incident, Incident.id == Dispatch.incident_id)
        .where(Dispatch.regency_id == regency_id, Dispatch.created_at >= start,
               Dispatch.created_at < end, Incident.test.is_(False))).all()


# An alert dropped because the operator cancelled its dispatch was not meant to arrive.
CANCELLED_ALERT = "dispatch cancelled"


def undelivered_alerts(regency_id: int, start: datetime, end: datetime) -> int:
    """Alerts of the range's real dispatches that ended failed or dropped (token gone)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(PushOutbox)
        .join(Dispatch, Dispatch.id == PushOutbox.dispatch_id)
        .join(Incident, Incident.id == Dispatch.incident_id)
        .where(Dispatch.regency_id == regency_id, Dispatch.created_at >= start,
               Dispatch.created_at < end, Incident.test.is_(False),
               PushOutbox.status.in_(("failed", "dropped")),
               sa.func.coalesce(PushOutbox.last_error, "") != CANCELLED_ALERT))
