from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.orm import Mapped, deferred, mapped_column

from backend.db import UTCDateTime, utcnow
from backend.extensions import db

AREA_LEVELS = ("regency", "kecamatan", "desa")

# PostgreSQL derives a PostGIS geometry from the stored GeoJSON (a generated column), so one
# code path writes areas on both dialects and ST_Covers gets a GiST-indexed column.
GEOM_SQL = ("CASE WHEN geojson IS NULL THEN NULL ELSE "
            "ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326)) END")


class Area(db.Model):
    """A regency, kecamatan or desa/kelurahan with its official Kemendagri code."""

    __tablename__ = "areas"
    __table_args__ = (
        sa.Index("ix_areas_regency_level", "regency_id", "level"),
        sa.Index("ix_areas_geom", "geom", postgresql_using="gist"),  # PostgreSQL only
    )
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    regency_id: Mapped[int] = mapped_column(sa.ForeignKey("regencies.id"))
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)  # e.g. 16.06.01.2001
    name: Mapped[str] = mapped_column(sa.String(120))
    level: Mapped[str] = mapped_column(sa.String(12))
    parent_code: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    # A point inside the area for its label (a concave area's centroid can fall outside).
    label_lat: Mapped[float | None] = mapped_column(sa.Float)
    label_lon: Mapped[float | None] = mapped_column(sa.Float)
    geojson: Mapped[str | None] = deferred(mapped_column(sa.Text))  # WGS84 (Multi)Polygon
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    geom = deferred(mapped_column(
        Geometry("MULTIPOLYGON", 4326, spatial_index=False), sa.Computed(GEOM_SQL, persisted=True)))
