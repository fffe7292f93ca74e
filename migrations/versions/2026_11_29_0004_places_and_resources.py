"""Places and units as resources: administrative areas, the desa of every report and
incident, test traffic flags, crews' GPS fixes on units, one open dispatch per unit,
session epochs that end a user's sessions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography, Geometry

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
GEOM_SQL = ("CASE WHEN geojson IS NULL THEN NULL ELSE "
            "ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326)) END")
FIX_SQL = ("CASE WHEN fix_lat IS NULL OR fix_lon IS NULL THEN NULL ELSE "
           "(ST_SetSRID(ST_MakePoint(fix_lon, fix_lat), 4326))::geography END")
ACTIVE = "status IN ('pending', 'notified', 'acknowledged', 'en_route', 'on_scene')"


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("regency_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("parent_code", sa.String(20)),
        sa.Column("label_lat", sa.Float()),
        sa.Column("label_lon", sa.Float()),
        sa.Column("geojson", sa.Text()),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_areas"),
        sa.ForeignKeyConstraint(["regency_id"], ["regencies.id"],
                                name="fk_areas_regency_id_regencies"),
        sa.UniqueConstraint("code", name="uq_areas_code"),
    )
    op.create_index("ix_areas_regency_level", "areas", ["regency_id", "level"])
    op.create_index("ix_areas_parent_code", "areas", ["parent_code"])
    if postgres:
        op.add_column("areas", sa.Column("geom", Geometry("MULTIPOLYGON", 4326,
                                                          spatial_index=False),
                                         sa.Computed(GEOM_SQL, persisted=True)))
        op.create_index("ix_areas_geom", "areas", ["geom"], postgresql_using="gist")

    for table in ("reports", "incidents"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("desa_code", sa.String(20)))
            batch.add_column(sa.Column("kecamatan_code", sa.String(20)))
            batch.add_column(sa.Column("test", sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("place_distance_m", sa.Float()))
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("test", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("fix_lat", sa.Float()))
        batch.add_column(sa.Column("fix_lon", sa.Float()))
        batch.add_column(sa.Column("fix_at", TS))
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
    if postgres:
        op.add_column("units", sa.Column("fix_location", Geography("POINT", 4326,
                                                                   spatial_index=False),
                                         sa.Computed(FIX_SQL, persisted=True)))
        op.create_index("ix_units_fix_location", "units", ["fix_location"],
                        postgresql_using="gist")
    with op.batch_alter_table("dispatches") as batch:
        batch.add_column(sa.Column("status_reason", sa.String(200)))
    # Invariant 8: a unit is on at most one open dispatch (reassigning cancels the old one).
    op.create_index("uq_dispatches_unit_active", "dispatches", ["unit_id"], unique=True,
                    postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False,
                                   server_default="0"))
    # App reports carry the caller's number from the phone's registration.
    op.execute("UPDATE reports SET caller_phone = (SELECT phone FROM devices "
               "WHERE devices.id = reports.device_id) "
               "WHERE caller_phone IS NULL AND device_id IS NOT NULL")


def downgrade():
    op.drop_index("uq_dispatches_unit_active", table_name="dispatches")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.drop_index("ix_units_fix_location", table_name="units")
        op.drop_column("units", "fix_location")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
    with op.batch_alter_table("dispatches") as batch:
        batch.drop_column("status_reason")
    with op.batch_alter_table("units") as batch:
        for column in ("active", "fix_at", "fix_lon", "fix_lat"):
            batch.drop_column(column)
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("test")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("place_distance_m")
    for table in ("incidents", "reports"):
        with op.batch_alter_table(table) as batch:
            for column in ("test", "kecamatan_code", "desa_code"):
                batch.drop_column(column)
    op.drop_table("areas")
