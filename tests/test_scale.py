"""Ready to shard by regency (docs/SCALE.md): the migrated PostgreSQL schema follows the
distribution plan in backend/scale.py, and the hot paths' queries are single-shard.

The schema checks read pg_catalog of the database built by `alembic upgrade head` (the test
database) — what Citus would be given — not the models.
"""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.scale import (DISTRIBUTED, DISTRIBUTION_COLUMN, LOCAL, PLAN, REFERENCE,
                           citus_statements, tables)
from tests.helpers import Console, create_op, register, sync

pytestmark = pytest.mark.usefixtures("app")


def _rows(sql: str, **params) -> list:
    try:
        return db.session.execute(sa.text(sql), params).all()
    finally:
        db.session.rollback()


def _schema_tables() -> set[str]:
    """Every table in the public schema except those an extension owns (PostGIS)."""
    return {name for name, in _rows(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT EXISTS ("
        "  SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')")}


def _constraints(kind: str) -> list[tuple[str, str, list[str], str | None, list[str]]]:
    """(table, name, columns, referenced table, referenced columns) of each constraint."""
    return [(table, name, list(columns), referenced, list(ref_columns or []))
            for table, name, columns, referenced, ref_columns in _rows(
                "SELECT c.conrelid::regclass::text, c.conname, "
                "  (SELECT array_agg(a.attname ORDER BY k.i) FROM unnest(c.conkey) "
                "     WITH ORDINALITY k(n, i) JOIN pg_attribute a "
                "     ON a.attrelid = c.conrelid AND a.attnum = k.n), "
                "  nullif(c.confrelid, 0)::regclass::text, "
                "  (SELECT array_agg(a.attname ORDER BY k.i) FROM unnest(c.confkey) "
                "     WITH ORDINALITY k(n, i) JOIN pg_attribute a "
                "     ON a.attrelid = c.confrelid AND a.attnum = k.n) "
                "FROM pg_constraint c WHERE c.connamespace = 'public'::regnamespace "
                "AND c.contype = :kind", kind=kind)]


# ------------------------------------------------------------------ the migrated schema

@pytest.mark.postgres_only
def test_every_table_is_placed_in_the_distribution_plan():
    schema = _schema_tables()
    assert schema - set(PLAN) == set(), "new table(s) not placed in backend/scale.py PLAN"
    assert set(PLAN) - schema == set(), "PLAN names table(s) the schema does not have"
    assert set(PLAN.values()) <= {DISTRIBUTED, REFERENCE, LOCAL}
    assert {"regencies", "areas"} <= set(tables(REFERENCE))
    assert {"reports", "incidents", "dispatches", "devices", "sync_ops", "changes",
            "audit_events"} <= set(tables(DISTRIBUTED))


@pytest.mark.postgres_only
def test_every_distributed_table_carries_regency_id_not_null():
    columns = dict(_rows(
        "SELECT table_name, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = :column",
        column=DISTRIBUTION_COLUMN))
    for table in tables(DISTRIBUTED):
        assert columns.get(table) == "NO", f"{table}.{DISTRIBUTION_COLUMN} missing or nullable"


@pytest.mark.postgres_only
def test_primary_keys_and_unique_constraints_of_distributed_tables_include_regency_id():
    distributed = set(tables(DISTRIBUTED))
    primary = {table: columns for table, _, columns, _, _ in _constraints("p")}
    for table in distributed:
        assert DISTRIBUTION_COLUMN in primary[table], f"{table} primary key {primary[table]}"
        # The application's identity (id) leads, so lookups by id alone keep their index.
        assert primary[table][0] in ("id", "seq") and len(primary[table]) == 2
    for table, name, columns, _, _ in _constraints("u"):
        if table in distributed:
            assert DISTRIBUTION_COLUMN in columns, f"{name} on {table}: {columns}"
    # Unique indexes too (partial ones are not constraints: uq_dispatches_unit_active).
    unique_indexes = _rows(
        "SELECT t.relname, i.relname, (SELECT array_agg(a.attname) FROM pg_attribute a "
        "  WHERE a.attrelid = t.oid AND a.attnum = ANY(x.indkey)) "
        "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = 'public' AND x.indisunique")
    assert any(name == "uq_dispatches_unit_active" for _, name, _ in unique_indexes)
    for table, name, columns in unique_indexes:
        if table in distributed:
            assert DISTRIBUTION_COLUMN in columns, f"unique index {name} on {table}: {columns}"


@pytest.mark.postgres_only
def test_foreign_keys_follow_the_placement():
    """Between distributed tables: composite, regency_id to regency_id (co-located rows).
    Distributed → reference: allowed as is. Reference → distributed, or anything → local:
    never (Citus refuses both)."""
    seen_composite = 0
    for table, name, columns, referenced, ref_columns in _constraints("f"):
        source, target = PLAN[table], PLAN[referenced]
        assert target != LOCAL and source != LOCAL, name
        if target == DISTRIBUTED:
            assert source == DISTRIBUTED, f"{name}: reference table → distributed table"
            pairs = dict(zip(columns, ref_columns))
            assert pairs.get(DISTRIBUTION_COLUMN) == DISTRIBUTION_COLUMN, f"{name}: {pairs}"
            assert len(columns) == 2 and ref_columns[0] in ("id", "seq"), name
            seen_composite += 1
    assert seen_composite >= 25  # every link between operational rows (27 today)


@pytest.mark.postgres_only
def test_the_plan_runs_as_citus_statements_in_foreign_key_order():
    statements = citus_statements()
    reference = [s for s in statements if "create_reference_table" in s]
    distributed = [s for s in statements if "create_distributed_table" in s]
    assert len(reference) == len(tables(REFERENCE))
    assert len(distributed) == len(tables(DISTRIBUTED))
    assert statements.index(reference[-1]) < statements.index(distributed[0])
    order = [re.search(r"'(\w+)'", s).group(1) for s in distributed]
    for table, _, _, referenced, _ in _constraints("f"):
        if PLAN[table] == PLAN[referenced] == DISTRIBUTED and table != referenced:
            assert order.index(referenced) < order.index(table), (table, referenced)
    anchor = order[0]
    assert all(f"colocate_with => '{anchor}'" in s for s in distributed[1:])


def test_the_orm_keeps_its_identity_on_id():
    """The database key is (id, regency_id); the application still addresses rows by id."""
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if PLAN.get(table.name) == DISTRIBUTED:
            assert [c.name for c in table.primary_key.columns][1] == DISTRIBUTION_COLUMN
            assert [c.name for c in mapper.primary_key] in (["id"], ["seq"]), table.name


# ------------------------------------------------------------------ single-shard hot paths

# A statement is single-shard when Citus can route it by its regency: an INSERT that sets
# regency_id, or a statement that filters on regency_id (=, IN). The statements that look a
# row up by a globally unique key (no regency known yet) are listed with the reason; under
# Citus they are a unique-index probe on every shard (docs/SCALE.md, "Cross-shard").
IDENTITY_LOOKUPS = {
    "device key": re.compile(r"FROM devices\s+WHERE devices\.key_hash = ", re.S),
}
TABLE_NAMES = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?(\w+)", re.I)


def _routed(sql: str) -> bool:
    if re.match(r"\s*INSERT\b", sql, re.I):
        columns = re.search(r"\(([^)]*)\)", sql)
        return bool(columns and DISTRIBUTION_COLUMN in columns.group(1))
    return bool(re.search(r"\bregency_id\s*(=|IN\b)", sql, re.I))


@contextmanager
def _statements():
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def _cross_shard(statements: list[str]) -> tuple[list[str], set[str]]:
    """The statements on distributed tables that are not routed by regency, beside the names
    of the identity lookups among them."""
    distributed = set(tables(DISTRIBUTED))
    unrouted, lookups = [], set()
    for sql in statements:
        if not distributed & set(TABLE_NAMES.findall(sql)) or _routed(sql):
            continue
        known = [name for name, pattern in IDENTITY_LOOKUPS.items() if pattern.search(sql)]
        if known:
            lookups.update(known)
        else:
            unrouted.append(sql)
    return unrouted, lookups


def test_hot_paths_are_single_shard(client, staff):
    """The single SOS (sync report.create), the operator's inbox and the supervisor's board:
    every statement on a distributed table is routed by regency_id, except the device key
    lookup (the console session carries its user's regency)."""
    key = register(client)
    sync(client, key)  # the first sync: cursor set up, nothing of it counted
    with _statements() as seen:
        response = sync(client, key, [create_op()])
        assert response.get_json()["results"][0]["status"] == "applied"
    unrouted, lookups = _cross_shard(seen)
    assert any(re.match(r"\s*INSERT INTO reports\b", s) for s in seen)
    assert unrouted == [] and lookups <= {"device key"}, unrouted

    operator = Console(client, "operator1")
    with _statements() as seen:
        inbox = operator.get("/v1/operator/inbox")
        assert inbox.status_code == 200 and len(inbox.get_json()["reports"]) == 1
    unrouted, lookups = _cross_shard(seen)
    assert any("FROM reports" in s for s in seen)
    assert unrouted == [] and lookups == set(), unrouted

    supervisor = Console(client, "supervisor")
    with _statements() as seen:
        assert supervisor.get("/v1/operator/board").status_code == 200
    unrouted, lookups = _cross_shard(seen)
    assert unrouted == [] and lookups == set(), unrouted


def test_the_routing_check_tells_a_cross_shard_statement():
    """The check above is not vacuous: a query by id alone, or an insert without regency_id,
    is reported."""
    assert _cross_shard(["SELECT reports.id FROM reports WHERE reports.id = %(pk)s"])[0]
    assert _cross_shard(["INSERT INTO changes (type, data) VALUES (?, ?)"])[0]
    assert not _cross_shard(["SELECT 1 FROM reports WHERE reports.regency_id = ?"])[0]
    assert not _cross_shard(["INSERT INTO changes (regency_id, type) VALUES (?, ?)"])[0]
    assert not _cross_shard(["SELECT code FROM areas WHERE areas.code = ?"])[0]  # reference


# ------------------------------------------------------------------ every row's regency

def _regencies_of(table: str, where: str, **params) -> set[int]:
    return {r for r, in _rows(f"SELECT DISTINCT regency_id FROM {table} WHERE {where}", **params)}


def test_rows_take_their_regency_from_the_device_or_user_not_the_deployment(app, client, staff):
    """The deployment's regency (DEFAULT_REGENCY, 1606) is where phones register; every row
    after that takes its regency from its parent — the device, the signed-in user — so a
    phone or an operator of Banyuasin (1607) writes only Banyuasin's rows on any server."""
    from backend.devices.service import register_device
    from backend.regencies.service import get_regency_by_code

    other = get_regency_by_code("1607").id
    assert other != get_regency_by_code(app.config["DEFAULT_REGENCY"]).id
    device, key = register_device(regency_code="1607", platform="android", app_version="1.0.0",
                                  locale="id")
    device_id = device.id
    db.session.commit()  # nothing read after it: SQLite would hold its write lock
    result = sync(client, key, [create_op()]).get_json()["results"][0]
    assert result["status"] == "applied"
    ref = result["ref"]["report"]
    for table in ("reports", "sync_ops", "changes"):
        assert _regencies_of(table, "device_id = :d", d=device_id) == {other}, table
    assert _regencies_of("audit_events", "actor_type = 'device' AND actor_id = :d",
                         d=str(device_id)) == {other}

    operator = Console(client, "operator1-1607")
    made = operator.post("/v1/operator/reports", json={
        "category": "health", "note": "ibu hamil pendarahan", "lat": -2.5, "lon": 104.5,
        "caller_phone": "+6281200001111"})
    assert made.status_code == 201, made.get_json()
    confirmed = operator.post(f"/v1/operator/reports/{ref}/confirm", json={})
    assert confirmed.status_code in (200, 201), confirmed.get_json()
    user, = _rows("SELECT id FROM users WHERE username = 'operator1-1607'")[0]
    assert _regencies_of("reports", "created_by = :u", u=user) == {other}
    assert _regencies_of("incidents", "created_by = :u", u=user) == {other}
    assert _regencies_of("audit_events", "actor_type = 'user' AND actor_id = :u",
                         u=str(user)) == {other}
