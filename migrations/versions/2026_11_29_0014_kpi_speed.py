"""KPI at scale: each incident's earliest report stamped on the incident, and covering indexes
so a month's figures are index-only reads on PostgreSQL.

incidents.first_received_at / first_captured_at / first_channel are the earliest received_at,
the earliest captured_at, and the channel (source) of the earliest received report — by
(received_at, id) — among the incident's current real (non-test) reports; NULL when it has
none. They are not set-once milestones: a report merged in may have been received earlier (it
waited for a signal), and a report split out or merged away takes its times with it. Triggers
on reports keep them equal to that definition whatever writes the reports (the triage
services, the history loader's COPY, a fix by hand): every insert, delete, or update of
incident_id / test / received_at / captured_at / source restamps the incidents concerned from
their reports, in the same transaction. The processing and total measures and the figures by
channel read the stamp instead of searching the reports of every incident.

PostgreSQL: statement-level triggers with transition tables (one restamp per statement, so a
COPY of a day of history restamps its incidents in one UPDATE). SQLite: row-level triggers.
Both run the same restamp (RESTAMP below). Caution for later migrations: SQLite's batch
"move and copy" of the reports table drops its triggers — recreate them (create_triggers).

Revision ID: 0014_kpi_speed
Revises: 0013_aml
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0014_kpi_speed"
down_revision = "0013_aml"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# index → (table, key columns, INCLUDE columns on PostgreSQL); SQLite keeps the plain index.
COVERING = {
    "ix_reports_regency_received": (
        "reports", ["regency_id", "received_at"],
        ["test", "source", "category", "captured_at", "first_viewed_at", "triaged_at",
         "desa_code", "kecamatan_code", "triaged_by"]),
    "ix_incidents_regency_created": (
        "incidents", ["regency_id", "created_at"],
        ["test", "category", "first_dispatched_at", "first_on_scene_at", "first_received_at",
         "first_captured_at", "first_channel", "desa_code", "kecamatan_code", "created_by"]),
    "ix_dispatches_regency_created": (
        "dispatches", ["regency_id", "created_at"],
        ["incident_id", "acknowledged_at", "on_scene_at", "completed_at", "unit_id",
         "created_by"]),
}
# A dispatch's incident, read by id with what the dispatch figures need of it.
INCIDENT_FACTS = ("ix_incidents_id_facts", "incidents", ["id"],
                  ["test", "category", "desa_code", "kecamatan_code", "first_channel"])

# The restamp of the incidents chosen by {where} (one definition, both databases).
RESTAMP = """
UPDATE incidents SET
  first_received_at = (SELECT min(r.received_at) FROM reports r
                       WHERE r.incident_id = incidents.id AND r.test = false),
  first_captured_at = (SELECT min(r.captured_at) FROM reports r
                       WHERE r.incident_id = incidents.id AND r.test = false),
  first_channel = (SELECT r.source FROM reports r
                   WHERE r.incident_id = incidents.id AND r.test = false
                   ORDER BY r.received_at, r.id LIMIT 1)
WHERE {where}"""
# What a report brings to its incident's stamp.
STAMPED = ("incident_id", "test", "received_at", "captured_at", "source")

PG_FUNCTION = f"""
CREATE FUNCTION reports_restamp_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids bigint[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    ids := ARRAY(SELECT DISTINCT incident_id FROM new_rows WHERE incident_id IS NOT NULL);
  ELSIF TG_OP = 'DELETE' THEN
    ids := ARRAY(SELECT DISTINCT incident_id FROM old_rows WHERE incident_id IS NOT NULL);
  ELSE
    ids := ARRAY(SELECT DISTINCT x FROM old_rows o JOIN new_rows n ON n.id = o.id,
                 unnest(ARRAY[o.incident_id, n.incident_id]) AS x
                 WHERE x IS NOT NULL
                   AND ({", ".join("o." + c for c in STAMPED)})
                       IS DISTINCT FROM ({", ".join("n." + c for c in STAMPED)}));
  END IF;
  IF cardinality(ids) > 0 THEN
    {RESTAMP.format(where="id = ANY(ids)")};
  END IF;
  RETURN NULL;
END $$"""
PG_TRIGGERS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}
SQLITE_TRIGGERS = {
    "INSERT": ("AFTER INSERT", "NEW.incident_id IS NOT NULL", "id = NEW.incident_id"),
    "UPDATE": (f"AFTER UPDATE OF {', '.join(STAMPED)}", None,
               "id IN (OLD.incident_id, NEW.incident_id)"),
    "DELETE": ("AFTER DELETE", "OLD.incident_id IS NOT NULL", "id = OLD.incident_id"),
}

# The back-fill on PostgreSQL: the same figures in one pass over the reports.
BACKFILL_PG = """
UPDATE incidents i SET first_received_at = f.received, first_captured_at = f.captured,
                       first_channel = f.channel
FROM (SELECT incident_id, min(received_at) AS received, min(captured_at) AS captured,
             (array_agg(source ORDER BY received_at, id))[1] AS channel
      FROM reports WHERE incident_id IS NOT NULL AND test = false
      GROUP BY incident_id) f
WHERE f.incident_id = i.id"""


def create_triggers():
    """The triggers that keep incidents' first_* equal to their reports'."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for event, referencing in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER reports_restamp_{event.lower()} AFTER {event} ON "
                       f"reports {referencing} FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION reports_restamp_incidents()")
    else:
        for event, (when, condition, where) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER reports_restamp_{event.lower()} {when} ON reports "
                       f"FOR EACH ROW {'WHEN ' + condition if condition else ''} "
                       f"BEGIN {RESTAMP.format(where=where)}; END")


def drop_triggers():
    for event in PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS reports_restamp_{event.lower()}"
                   + (" ON reports" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS reports_restamp_incidents()")


def _index(name, table, columns, include):
    op.create_index(name, table, columns, postgresql_include=include)


def upgrade():
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("first_received_at", TS))
        batch.add_column(sa.Column("first_captured_at", TS))
        batch.add_column(sa.Column("first_channel", sa.String(8)))
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(BACKFILL_PG if postgres else RESTAMP.format(where="1 = 1"))
    create_triggers()
    for name, (table, columns, include) in COVERING.items():  # SQLite ignores INCLUDE
        op.drop_index(name, table_name=table)
        _index(name, table, columns, include)
    _index(*INCIDENT_FACTS)


def downgrade():
    drop_triggers()
    op.drop_index(INCIDENT_FACTS[0], table_name="incidents")
    for name, (table, columns, include) in COVERING.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("first_channel")
        batch.drop_column("first_captured_at")
        batch.drop_column("first_received_at")
