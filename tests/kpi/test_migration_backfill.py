"""Migration 0007_kpi back-fills the milestones from the audit trail: on a scratch database at
0005_units, rows and their audit events are written as the code of that time wrote them; after
`upgrade` each milestone is the earliest event of its kind, and an incident's firsts are its
dispatches' earliest."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from backend import create_app
from tests.conftest import POSTGRES_ADMIN_URL, POSTGRES_TEST_DB

T0 = datetime(2026, 10, 5, 3, 0, 0, 250000, tzinfo=timezone.utc)


@pytest.fixture
def scratch(db_backend, tmp_path):
    """A database of the test's kind of its own (never the shared test database)."""
    if db_backend[0] == "sqlite":
        yield "sqlite:///" + str(tmp_path / "scratch.sqlite3")
        return
    name = POSTGRES_TEST_DB + "_migration"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(
        hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _filler(column: sa.Column, sqlite: bool):
    """A value for a NOT NULL column the test does not care about."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        kind = str
    if kind is datetime:
        return T0.replace(tzinfo=None) if sqlite else T0
    return {bool: False, int: 0, float: 0.0, dict: {}}.get(kind, "x")


def _insert(conn, tables, table_name: str, /, **values) -> int:
    table, sqlite = tables[table_name], conn.dialect.name == "sqlite"
    row = {c.name: _filler(c, sqlite) for c in table.columns
           if not c.nullable and c.server_default is None and not c.primary_key
           and c.computed is None and c.name not in values}
    if sqlite:
        values = {k: v.astimezone(timezone.utc).replace(tzinfo=None)
                  if isinstance(v, datetime) else v for k, v in values.items()}
    return conn.execute(table.insert().values(**row, **values)
                        .returning(table.c.id)).scalar_one()


def _audit(conn, tables, regency, action, entity_type, entity_id, at):
    _insert(conn, tables, "audit_events", regency_id=regency, at=at, actor_type="user",
            actor_id="1", action=action, entity_type=entity_type, entity_id=entity_id,
            before=None, after=None)


def as_utc(value):
    """A timestamp read with plain SQL: SQLite gives text, PostgreSQL an aware datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else \
        value.astimezone(timezone.utc)


def test_0007_backfills_milestones_from_the_audit_trail(scratch):
    from flask_migrate import downgrade, upgrade

    app = create_app({"DATABASE_URL": scratch, "TESTING": True, "PUSH_THREAD": False})
    s = lambda n: T0 + timedelta(seconds=n)  # noqa: E731
    with app.app_context():
        upgrade()
        downgrade(revision="0005_units")
        engine = sa.create_engine(scratch)
        tables = sa.MetaData()
        tables.reflect(engine)
        assert "first_viewed_at" not in tables.tables["reports"].c
        with engine.begin() as conn:
            t = tables.tables
            regency = _insert(conn, t, "regencies", code="9901", name="Uji", timezone="Asia/Jakarta")
            user = _insert(conn, t, "users", regency_id=regency, username="op-lama", role="operator")
            agency = _insert(conn, t, "agencies", regency_id=regency, type="health")
            unit = _insert(conn, t, "units", regency_id=regency, agency_id=agency, lat=-2.9,
                           lon=103.8)
            incident = _insert(conn, t, "incidents", regency_id=regency, category="health",
                               status="closed", created_by=user, created_at=s(40),
                               updated_at=s(900))
            confirmed = _insert(conn, t, "reports", regency_id=regency, category="health",
                                status="confirmed", captured_at=s(0), received_at=s(10),
                                updated_at=s(40), incident_id=incident, time_source="gnss")
            rejected = _insert(conn, t, "reports", regency_id=regency, category="health",
                               status="rejected", captured_at=s(0), received_at=s(12),
                               updated_at=s(30), time_source="gnss")
            untouched = _insert(conn, t, "reports", regency_id=regency, category="health",
                                status="received", captured_at=s(0), received_at=s(14),
                                updated_at=s(14), time_source="gnss")
            first = _insert(conn, t, "dispatches", regency_id=regency, incident_id=incident,
                            unit_id=unit, status="timed_out", created_by=user,
                            created_at=s(70), updated_at=s(160))
            second = _insert(conn, t, "dispatches", regency_id=regency, incident_id=incident,
                             unit_id=unit, status="completed", created_by=user,
                             created_at=s(170), updated_at=s(800), acknowledged_at=s(200))
            number = f"112-2026-{incident:06d}"
            for action, kind, entity, at in [
                    ("report.confirmed", "report", f"R-{confirmed:06d}", s(40)),
                    ("report.merged", "report", f"R-{confirmed:06d}", s(500)),  # later: not it
                    ("report.rejected", "report", f"R-{rejected:06d}", s(30)),
                    ("report.create", "report", f"R-{untouched:06d}", s(14)),
                    ("dispatch.timed_out", "dispatch", str(first), s(160)),
                    ("dispatch.acknowledged", "dispatch", str(second), s(200)),
                    ("dispatch.en_route", "dispatch", str(second), s(210)),
                    ("dispatch.on_scene", "dispatch", str(second), s(600)),
                    ("dispatch.on_scene", "dispatch", str(second), s(650)),  # a repeat
                    ("dispatch.completed", "dispatch", str(second), s(800)),
                    ("incident.resolved", "incident", number, s(850)),
                    ("incident.closed", "incident", number, s(900))]:
                _audit(conn, t, regency, action, kind, entity, at)
        engine.dispose()
        upgrade()
        engine = sa.create_engine(scratch)
        with engine.connect() as conn:
            read = lambda sql, **p: conn.execute(sa.text(sql), p).one()  # noqa: E731
            reports = {r.id: r for r in conn.execute(sa.text(
                "SELECT id, triaged_at, first_viewed_at FROM reports"))}
            dispatches = {d.id: d for d in conn.execute(sa.text(
                "SELECT id, en_route_at, on_scene_at, completed_at FROM dispatches"))}
            inc = read("SELECT first_dispatched_at, first_acknowledged_at, first_on_scene_at, "
                       "resolved_at, closed_at FROM incidents WHERE id = :i", i=incident)
        engine.dispose()
    assert as_utc(reports[confirmed].triaged_at) == s(40)    # the earliest decision
    assert as_utc(reports[rejected].triaged_at) == s(30)
    assert reports[untouched].triaged_at is None
    assert all(r.first_viewed_at is None for r in reports.values())  # never audited
    assert as_utc(dispatches[second].en_route_at) == s(210)
    assert as_utc(dispatches[second].on_scene_at) == s(600)
    assert as_utc(dispatches[second].completed_at) == s(800)
    assert dispatches[first].on_scene_at is None
    assert [as_utc(v) for v in inc] == [s(70), s(200), s(600), s(850), s(900)]


def test_0014_stamps_each_incidents_earliest_report(scratch):
    """0014_kpi_speed back-fills incidents.first_* from the reports already there (PostgreSQL
    in one pass, SQLite with the triggers' statement: both must agree with the definition),
    then its triggers keep them so."""
    from flask_migrate import downgrade, upgrade

    app = create_app({"DATABASE_URL": scratch, "TESTING": True, "PUSH_THREAD": False})
    s = lambda n: T0 + timedelta(seconds=n)  # noqa: E731
    with app.app_context():
        upgrade()
        downgrade(revision="0011_sms")
        engine = sa.create_engine(scratch)
        tables = sa.MetaData()
        tables.reflect(engine)
        assert "first_received_at" not in tables.tables["incidents"].c
        t = tables.tables
        with engine.begin() as conn:
            regency = _insert(conn, t, "regencies", code="9902", name="Uji", timezone="Asia/Jakarta")
            user = _insert(conn, t, "users", regency_id=regency, username="op-lama", role="operator")

            def incident():
                return _insert(conn, t, "incidents", regency_id=regency, category="fire",
                               status="open", created_by=user, created_at=s(100),
                               updated_at=s(100))

            def report(incident_id, received, captured, source, *, test=False):
                return _insert(conn, t, "reports", regency_id=regency, category="fire",
                               status="confirmed", captured_at=s(captured),
                               received_at=s(received), updated_at=s(received),
                               incident_id=incident_id, time_source="server", source=source,
                               test=test)

            merged, alone, tied, empty = incident(), incident(), incident(), incident()
            report(merged, 20, 20, "call")
            report(merged, 30, -600, "app")        # captured first, received later
            report(merged, 5, 5, "app", test=True)  # test traffic: never counts
            report(alone, 40, 35, "app")
            report(tied, 50, 50, "call")            # the lower id wins a tie
            report(tied, 50, 45, "app")
        engine.dispose()
        upgrade()
        engine = sa.create_engine(scratch)

        def stamps():
            with engine.connect() as conn:
                return {i: (as_utc(a), as_utc(b), c) for i, a, b, c in conn.execute(sa.text(
                    "SELECT id, first_received_at, first_captured_at, first_channel "
                    "FROM incidents"))}

        assert stamps() == {merged: (s(20), s(-600), "call"), alone: (s(40), s(35), "app"),
                            tied: (s(50), s(45), "call"), empty: (None, None, None)}
        with engine.begin() as conn:  # after the upgrade the triggers keep them
            report(empty, 60, 58, "app")
            conn.execute(sa.text("UPDATE reports SET incident_id = :e WHERE incident_id = :a"),
                         {"e": empty, "a": alone})
        after = stamps()
        engine.dispose()
    assert after[empty] == (s(40), s(35), "app") and after[alone] == (None, None, None)
