"""Gauges computed from the database at scrape time: right in every profile, whichever process
(web worker, `flask worker`, embedded thread) did the work, and never drifting.

A handful of statements, each on an index over open rows (push_outbox by status, reports and
incidents by regency and status, dispatches by status, changes by regency and txid). The
emergency-work gauges (waiting reports, dispatches awaiting an answer, incidents needing the
operator, undelivered alerts) leave test traffic out like every other figure; the machinery
gauges (outbox, feed) count every row, since a test alert loads the outbox like any other.
If the database does not answer, siaga_database_up is 0 and the other gauges are absent.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from backend.board.service import (
    AWAITING_ACK,
    OPEN_INCIDENT_STATES,
    is_undelivered,
    typed_min,
)
from backend.db import dialect_name, utcnow
from backend.dispatches.models import ACTIVE_DISPATCH, Dispatch
from backend.extensions import db
from backend.feed.models import Change
from backend.incidents.models import Incident
from backend.regencies.models import Regency
from backend.reports.models import Report
from push.models import PushOutbox

log = logging.getLogger(__name__)


def _gauge(name, doc, value, labels=None):
    family = GaugeMetricFamily(name, doc, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), float(value))
    return family


def _age(now, since) -> float:
    return 0.0 if since is None else max(0.0, (now - since).total_seconds())


class DatabaseCollector:
    """A prometheus_client collector; collect() runs inside the scrape's app context."""

    def describe(self):
        return []  # not introspected at registration: no query before the first scrape

    def collect(self):
        try:
            families = list(self._families())
        except Exception:  # the scrape still answers; the outage is itself a metric
            log.warning("metrics: database gauges failed", exc_info=True)
            db.session.rollback()
            yield _gauge("siaga_database_up", "1 when the database answered this scrape.", 0)
            return
        db.session.rollback()  # end the read (SQLite's lock, PostgreSQL's snapshot)
        yield _gauge("siaga_database_up", "1 when the database answered this scrape.", 1)
        yield from families

    def _families(self):
        now = utcnow()
        regencies = list(db.session.scalars(sa.select(Regency.id)))  # lets every statement
        # below range-scan its (regency, status, …) index instead of the whole table

        outbox = {status: (n, oldest) for status, n, oldest in db.session.execute(
            sa.select(PushOutbox.status, sa.func.count(), typed_min(PushOutbox.created_at))
            .where(PushOutbox.status.in_(("queued", "sending"))).group_by(PushOutbox.status))}
        depth = GaugeMetricFamily("siaga_outbox_depth", "Alerts in the push outbox not yet "
                                  "settled: queued (waiting or retrying) and sending (leased).",
                                  labels=["status"])
        for status in ("queued", "sending"):
            depth.add_metric([status], outbox.get(status, (0, None))[0])
        yield depth
        oldest = min((o for _, o in outbox.values() if o is not None), default=None)
        yield _gauge("siaga_outbox_oldest_age_seconds",
                     "Age of the oldest unsettled alert (0 when the outbox is empty).",
                     _age(now, oldest))

        real = sa.and_(Incident.id == Dispatch.incident_id, Incident.test.is_(False))
        yield _gauge("siaga_alerts_undelivered_open",
                     "Alerts that failed or were dropped on dispatches still open.",
                     db.session.scalar(
                         sa.select(sa.func.count()).select_from(Dispatch)
                         .join(PushOutbox, PushOutbox.dispatch_id == Dispatch.id)
                         .join(Incident, real)
                         .where(Dispatch.status.in_(ACTIVE_DISPATCH), is_undelivered())))

        waiting, overdue, since = db.session.execute(
            sa.select(sa.func.count(), sa.func.count(sa.case((Dispatch.ack_deadline < now, 1))),
                      typed_min(Dispatch.created_at)).join(Incident, real)
            .where(Dispatch.status.in_(AWAITING_ACK))).one()
        ack = GaugeMetricFamily("siaga_dispatches_awaiting_ack", "Dispatches sent and not "
                                "acknowledged; overdue = past the deadline (escalation due).",
                                labels=["overdue"])
        ack.add_metric(["false"], waiting - overdue)
        ack.add_metric(["true"], overdue)
        yield ack
        yield _gauge("siaga_dispatch_ack_oldest_age_seconds",
                     "Age of the oldest dispatch still waiting for an acknowledgement.",
                     _age(now, since))
        yield _gauge("siaga_incidents_needing_attention",
                     "Open incidents whose unit timed out, declined or could not be alerted "
                     "and which no unit has taken since.",
                     db.session.scalar(sa.select(sa.func.count()).select_from(Incident).where(
                         Incident.regency_id.in_(regencies),
                         Incident.status.in_(OPEN_INCIDENT_STATES),
                         Incident.test.is_(False), Incident.needs_attention)))

        count, oldest = db.session.execute(
            sa.select(sa.func.count(), typed_min(Report.received_at)).where(
                Report.regency_id.in_(regencies), Report.status == "received",
                Report.test.is_(False), Report.flooded.is_(False))).one()
        yield _gauge("siaga_reports_waiting", "Reports waiting for triage.", count)
        yield _gauge("siaga_reports_waiting_oldest_age_seconds",
                     "How long the longest-waiting report has waited for triage.",
                     _age(now, oldest))
        yield from self._feed(now, regencies)

    def _feed(self, now, regencies):
        newest = db.session.scalar(sa.select(Change.created_at).order_by(Change.seq.desc())
                                   .limit(1))
        yield _gauge("siaga_feed_newest_change_age_seconds",
                     "Time since the newest change was written (quiet hours make it grow; a "
                     "busy hour with a growing value means nothing is being written).",
                     _age(now, newest))
        held = None
        if dialect_name() == "postgresql":
            # Committed changes a reader cannot pass yet because an older transaction is
            # still open (the feed's horizon): a long transaction stalls every console.
            held = db.session.scalar(sa.select(typed_min(Change.created_at)).where(
                Change.regency_id.in_(regencies),
                Change.txid >= sa.text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")))
        yield _gauge("siaga_feed_lag_seconds",
                     "Age of the oldest committed change the live feed cannot deliver yet "
                     "(held behind a transaction still open); 0 when none waits.",
                     _age(now, held))
