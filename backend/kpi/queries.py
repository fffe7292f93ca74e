"""The narrow reads behind the figures: one SELECT per subject fetching, for a regency and a
range [start, end), only the milestone pairs, the category and the group key — as Core rows
(no ORM objects), on the indexes ix_reports_regency_received, ix_incidents_regency_created and
ix_dispatches_regency_created — covering on PostgreSQL (INCLUDE every column read here, and
ix_incidents_id_facts for a dispatch's incident), so a month is an index-only read
(tests/kpi/test_kpi_plan.py). The same statements run on PostgreSQL and SQLite; durations and
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
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.incidents.models import Incident
from backend.kpi.measures import MEASURES
from push.models import PushOutbox
from backend.reports.models import Report
from backend.units.models import Unit

# The group key of each subject's items, by group_by (hour and day come from the anchor).
# None: the grouping does not apply to the subject (its measures are left out).
REPORT_KEYS = {"category": Report.category, "kecamatan": Report.kecamatan_code,
               "desa": Report.desa_code, "operator": Report.triaged_by, "channel": Report.source}


def _first_unit(incident_id):
    """A correlated scalar: the unit of the incident's first dispatch."""
    return (sa.select(Dispatch.unit_id).where(Dispatch.incident_id == incident_id)
            .order_by(Dispatch.created_at, Dispatch.id).limit(1).scalar_subquery())


def _incident_key(group_by: str | None):
    if group_by in ("category", "kecamatan", "desa", "operator"):
        return {"category": Incident.category, "kecamatan": Incident.kecamatan_code,
                "desa": Incident.desa_code, "operator": Incident.created_by}[group_by]
    if group_by == "channel":  # the channel of its earliest real report
        return Incident.first_channel
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
        return Incident.first_channel
    return None


def _rows(statement) -> list[tuple]:
    """All rows of a Core statement as the driver's plain tuples: every column here is a
    number, a string or a flag that needs no result processing, and building a Row per item
    would cost more than the query itself on a month of reports."""
    result = db.session.connection().execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _key_column(key):
    return (key if key is not None else sa.null()).label("key")


class seconds_between(FunctionElement):
    """end − start in seconds as a float, exact to the microsecond on both databases (NULL
    when either is NULL): PostgreSQL subtracts timestamps; SQLite, which stores
    'YYYY-MM-DD HH:MM:SS.ffffff' text, subtracts whole seconds and microseconds as integers
    (its own date functions round to milliseconds). Both divide an exact count of
    microseconds by 10^6 once, so both give the same double."""
    type = sa.Float()
    name = "seconds_between"
    inherit_cache = True


class epoch_seconds(FunctionElement):
    """Seconds since 1970 (UTC) of a timestamp — whole seconds are enough to find its local
    hour and day."""
    type = sa.Float()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_pg(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS DOUBLE PRECISION)"


def _sqlite_us(text: str) -> str:
    return (f"(CAST(strftime('%s', substr({text}, 1, 19)) AS INTEGER) * 1000000 + "
            f"CAST(substr({text}, 21, 6) AS INTEGER))")


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(({_sqlite_us(end)} - {_sqlite_us(start)}) / 1000000.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_pg(element, compiler, **kw):
    (at,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM {at}) AS DOUBLE PRECISION)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    (at,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(strftime('%s', substr({at}, 1, 19)) AS INTEGER)"


def _measure_columns(subject: str, columns: dict) -> list:
    """For each of the subject's measures (definition order): its duration and, when the
    start milestone may be missing, whether it is there (to tell `open` from no clock)."""
    out = []
    for measure in MEASURES:
        if measure.subject != subject:
            continue
        start, end = columns[measure.start], columns[measure.end]
        out.append(seconds_between(start, end).label(measure.name))
        out.append((start.is_not(None) if columns.get("nullable:" + measure.start, True)
                    else sa.true()).label(measure.name + "_started"))
    return out


def _columns(model) -> dict:
    table = model.__table__
    return {f"{table.name}.{c.name}": getattr(model, c.key) for c in table.columns} | {
        f"nullable:{table.name}.{c.name}": c.nullable for c in table.columns}


def subject_measures(subject: str) -> list[str]:
    return [m.name for m in MEASURES if m.subject == subject]


def _anchor(column, group_by: str | None):
    return (epoch_seconds(column) if group_by in ("hour", "day") else sa.null()).label("anchor")


def reports_in_range(regency_id: int, start: datetime, end: datetime,
                     group_by: str | None) -> list[tuple]:
    """(offline_delay, started, answer, started, triage, started, category, key, anchor,
    source): durations in seconds, None where the end milestone is missing."""
    return _rows(reports_statement(regency_id, start, end, group_by))


def reports_statement(regency_id: int, start: datetime, end: datetime,
                      group_by: str | None) -> sa.Select:
    """The statement behind reports_in_range (EXPLAINed in tests/kpi/test_kpi_plan.py)."""
    return (
        sa.select(*_measure_columns("report", _columns(Report)), Report.category,
                  _key_column(REPORT_KEYS.get(group_by)), _anchor(Report.received_at, group_by), Report.source)
        .where(Report.regency_id == regency_id, Report.received_at >= start,
               Report.received_at < end, Report.test.is_(False)))


def incidents_in_range(regency_id: int, start: datetime, end: datetime,
                       group_by: str | None) -> list[tuple]:
    """(dispatch, started, processing, started, total, started, category, key, anchor);
    processing and total start at the incident's earliest real report (first_received_at,
    first_captured_at, stamped on the incident by triggers: migration 0014_kpi_speed)."""
    return _rows(incidents_statement(regency_id, start, end, group_by))


def incidents_statement(regency_id: int, start: datetime, end: datetime,
                        group_by: str | None) -> sa.Select:
    """The statement behind incidents_in_range (EXPLAINed in tests/kpi/test_kpi_plan.py)."""
    return (
        sa.select(*_measure_columns("incident", _columns(Incident)), Incident.category,
                  _key_column(_incident_key(group_by)), _anchor(Incident.created_at, group_by))
        .where(Incident.regency_id == regency_id, Incident.created_at >= start,
               Incident.created_at < end, Incident.test.is_(False)))


def dispatches_in_range(regency_id: int, start: datetime, end: datetime,
                        group_by: str | None) -> list[tuple]:
    """(acknowledgement, started, travel, started, on_scene, started, category, key,
    anchor); the category is the incident's."""
    return _rows(dispatches_statement(regency_id, start, end, group_by))


def dispatches_statement(regency_id: int, start: datetime, end: datetime,
                         group_by: str | None) -> sa.Select:
    """The statement behind dispatches_in_range (EXPLAINed in tests/kpi/test_kpi_plan.py)."""
    return (
        sa.select(*_measure_columns("dispatch", _columns(Dispatch)), Incident.category,
                  _key_column(_dispatch_key(group_by)), _anchor(Dispatch.created_at, group_by))
        .join(Incident, Incident.id == Dispatch.incident_id)
        .where(Dispatch.regency_id == regency_id, Dispatch.created_at >= start,
               Dispatch.created_at < end, Incident.test.is_(False)))


def unit_agencies(regency_id: int) -> dict[int, int]:
    """unit id → agency id, for grouping by agency."""
    return dict(db.session.execute(sa.select(Unit.id, Unit.agency_id)
                                   .where(Unit.regency_id == regency_id)).all())


# ---- counts ----

def report_facts(regency_id: int, start: datetime, end: datetime) -> list[sa.Row]:
    """(received epoch seconds, source, category, kecamatan_code, desa_code, status,
    status_reason, silent, has_location, test, flooded) of every report in range — test ones
    too, to say how many were left out."""
    return db.session.execute(
        sa.select(epoch_seconds(Report.received_at), Report.source, Report.category,
                  Report.kecamatan_code, Report.desa_code, Report.status, Report.status_reason,
                  Report.silent, Report.lat.is_not(None).label("has_location"), Report.test,
                  Report.flooded)
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
