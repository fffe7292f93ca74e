from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from backend.db import BigId, RegencyKeyed, UTCDateTime, regency_fk
from backend.extensions import db

REPORT_STATUSES = ("received", "confirmed", "rejected", "merged", "cancelled")
# The only moves a report can make; anything else is refused with invalid_transition.
REPORT_TRANSITIONS = {
    "received": {"confirmed", "rejected", "merged", "cancelled"},
    "confirmed": {"merged"},
    "rejected": set(),
    "merged": {"confirmed"},  # split back out of the incident it was merged into
    "cancelled": set(),
}
# The channel a report reached the centre by (reports.source), for the figures by channel
# (monitoring) and the operator's inbox. One vocabulary for every path into create_reports:
#   app       the citizen app over data (/v1/sync report.create)
#   sms       the app's compact signed SOS by SMS when it had no data (PROTOCOL.md §13)
#   sms_text  a plain-text SMS from any phone
#   call      a voice call to 112, entered by an operator
#   post      an emergency that reached a unit's post directly (a phone call to the post or
#             someone walking in), logged by the crew's phone (/v1/sync post.report)
CHANNELS = ("app", "sms", "sms_text", "call", "post")
REPORT_SOURCES = CHANNELS  # the column's older name for the same thing
# How an emergency reached a post (reports.taken_via, channel post only).
POST_CONTACTS = ("phone", "walk_in")
REJECT_REASONS = ("prank", "test", "invalid")
LOCATION_SOURCES = ("gps", "network", "fused", "manual")
TIME_SOURCES = ("gnss", "device_corrected", "server")

# PostgreSQL keeps a geography point derived from lat/lon (a generated column), so one code
# path writes reports on both dialects and PostGIS queries get a GiST-indexed column for free.
LOCATION_SQL = ("CASE WHEN lat IS NULL OR lon IS NULL THEN NULL ELSE "
                "(ST_SetSRID(ST_MakePoint(lon, lat), 4326))::geography END")


class Report(RegencyKeyed, db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        regency_fk("device_id", "devices"), regency_fk("incident_id", "incidents"),
        regency_fk("created_by", "users"), regency_fk("taken_by_unit_id", "units"),
        regency_fk("triaged_by", "users"),
        # Second guard of "never stored twice": one report per device op, whatever the path.
        sa.UniqueConstraint("device_id", "client_op_id", "regency_id"),
        sa.Index("ix_reports_regency_inbox", "regency_id", "status", "received_at"),
        # Figures by period: a month of reports is an index-only read on PostgreSQL (INCLUDE;
        # migration 0014_kpi_speed).
        sa.Index("ix_reports_regency_received", "regency_id", "received_at",
                 postgresql_include=["test", "source", "category", "captured_at",
                                     "first_viewed_at", "triaged_at", "desa_code",
                                     "kecamatan_code", "triaged_by"]),
        sa.Index("ix_reports_location", "location", postgresql_using="gist"),  # PostgreSQL only
        sa.CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        sa.CheckConstraint("lon IS NULL OR (lon BETWEEN -180 AND 180)", name="lon_range"),
    )
    __id_type__ = BigId
    # Never fetch server-generated columns after INSERT: `location` exists only on PostgreSQL.
    __extra_mapper_args__ = {"eager_defaults": False}
    device_id: Mapped[int | None] = mapped_column(index=True)
    client_op_id: Mapped[str | None] = mapped_column(sa.String(36))
    category: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16), default="received")
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    accuracy_m: Mapped[float | None] = mapped_column(sa.Float)
    location_source: Mapped[str | None] = mapped_column(sa.String(16))
    location_fix_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    silent: Mapped[bool] = mapped_column(default=False)
    # Time: raw device clock, the best estimate of when it happened, and how we know.
    device_captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    time_source: Mapped[str] = mapped_column(sa.String(20))
    clock_offset_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    clock_skew_flagged: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_reason: Mapped[str | None] = mapped_column(sa.String(200))
    incident_id: Mapped[int | None] = mapped_column(BigId, index=True)
    # The channel (CHANNELS); every value fits the column's 8 characters.
    source: Mapped[str] = mapped_column(sa.String(8), default="app", server_default="app")
    caller_phone: Mapped[str | None] = mapped_column(sa.String(20))
    created_by: Mapped[int | None]
    # Where it is (backend.places, assigned at ingest): the desa and kecamatan the point falls
    # in; place_distance_m is 0 inside the desa, > 0 when the nearest desa within the
    # tolerance was taken; no desa with a location = outside the regency.
    desa_code: Mapped[str | None] = mapped_column(sa.String(20))
    # The place as the reporter named it, verbatim (a desa name typed at a post): shown to
    # the operator beside the desa it resolved to, or alone when it resolved to none.
    place_said: Mapped[str | None] = mapped_column(sa.String(200))
    kecamatan_code: Mapped[str | None] = mapped_column(sa.String(20))
    place_distance_m: Mapped[float | None] = mapped_column(sa.Float)
    # Test traffic (a test device, the conformance kit): never an emergency, never counted.
    test: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Beyond the device's SOS rate (or from a muted device): stored, never dropped, but
    # collapsed into one inbox row per device so it cannot bury other people's emergencies.
    flooded: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Channel post: the unit whose post took the report, and how it reached them.
    taken_by_unit_id: Mapped[int | None]
    taken_via: Mapped[str | None] = mapped_column(sa.String(8))
    # Milestones for the service measures (backend/kpi/measures.py): set once, never moved.
    first_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    triaged_by: Mapped[int | None]

    location = deferred(mapped_column(
        Geography("POINT", 4326, spatial_index=False), sa.Computed(LOCATION_SQL, persisted=True)))
    incident = relationship("Incident", lazy="selectin", viewonly=True)
    taken_by_unit = relationship("Unit", lazy="selectin", viewonly=True)

    @property
    def ref(self) -> str:
        return format_ref(self.id)


assert all(len(channel) <= 8 for channel in CHANNELS) and all(len(c) <= 8 for c in POST_CONTACTS)


def format_ref(report_id: int) -> str:
    return f"R-{report_id:06d}"


def parse_ref(ref: str) -> int | None:
    if isinstance(ref, str) and ref.startswith("R-") and ref[2:].isdigit() and len(ref) < 22 \
            and 0 < int(ref[2:]) < 2**63:
        return int(ref[2:])
    return None
