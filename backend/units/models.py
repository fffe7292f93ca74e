from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from geoalchemy2 import Geography
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from backend.db import RegencyKeyed, UTCDateTime, utcnow
from backend.extensions import db
from backend.reports.models import LOCATION_SQL

FIX_LOCATION_SQL = ("CASE WHEN fix_lat IS NULL OR fix_lon IS NULL THEN NULL ELSE "
                    "(ST_SetSRID(ST_MakePoint(fix_lon, fix_lat), 4326))::geography END")

AGENCY_TYPES = {
    "fire_brigade": {"id": "Pemadam Kebakaran", "en": "Fire brigade"},
    "police": {"id": "Polisi", "en": "Police"},
    "health": {"id": "Ambulans / Dinas Kesehatan", "en": "Ambulance / health"},
    "disaster_agency": {"id": "BPBD", "en": "Disaster management agency"},
    "public_order": {"id": "Satpol PP", "en": "Public-order police"},
    "women_child_protection": {"id": "UPTD PPA", "en": "Women and child protection"},
    "search_rescue": {"id": "Basarnas / SAR", "en": "Search and rescue"},
}

# The charter's default routing; each regency can change its own rows.
DEFAULT_ROUTING = {
    "fire": ("fire_brigade",),
    "riot": ("police",),
    "accident": ("police", "health"),
    "natural_disaster": ("disaster_agency", "search_rescue"),
    "health": ("health",),
    "violence_women_children": ("women_child_protection", "police"),
    "public_order": ("public_order", "police"),
    "other": ("police", "disaster_agency"),
}


class Agency(db.Model):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(sa.ForeignKey("regencies.id"), index=True)
    type: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    is_demo: Mapped[bool] = mapped_column(default=False)


class Unit(RegencyKeyed, db.Model):
    """A crew with a vehicle at a post; the recommendation ranks these."""

    __tablename__ = "units"
    __table_args__ = (
        sa.Index("ix_units_regency_duty", "regency_id", "on_duty"),
        sa.Index("ix_units_location", "location", postgresql_using="gist"),  # PostgreSQL only
        sa.Index("ix_units_fix_location", "fix_location", postgresql_using="gist"),
    )

    __extra_mapper_args__ = {"eager_defaults": False}
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    call_sign: Mapped[str] = mapped_column(sa.String(40))
    post_name: Mapped[str] = mapped_column(sa.String(120))
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    on_duty: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())  # retired: False
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The newest GPS fix of any of the unit's crew phones (responder.location).
    fix_lat: Mapped[float | None] = mapped_column(sa.Float)
    fix_lon: Mapped[float | None] = mapped_column(sa.Float)
    fix_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location = deferred(mapped_column(
        Geography("POINT", 4326, spatial_index=False), sa.Computed(LOCATION_SQL, persisted=True)))
    fix_location = deferred(mapped_column(
        Geography("POINT", 4326, spatial_index=False), sa.Computed(FIX_LOCATION_SQL,
                                                                   persisted=True)))
    agency = relationship("Agency", lazy="joined", innerjoin=True, viewonly=True)


class Routing(db.Model):
    """Which agency types handle a category in a regency (priority 1 first)."""

    __tablename__ = "routing"
    __table_args__ = (sa.UniqueConstraint("regency_id", "category", "agency_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(sa.ForeignKey("regencies.id"))
    category: Mapped[str] = mapped_column(sa.String(32))
    agency_type: Mapped[str] = mapped_column(sa.String(32))
    priority: Mapped[int] = mapped_column(default=1)
