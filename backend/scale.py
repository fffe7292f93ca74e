"""The distribution plan: how every table would be laid out on a Citus cluster (docs/SCALE.md).

One place, read by the Citus-readiness test (tests/test_scale.py, against the migrated
PostgreSQL schema) and by `citus_statements()` (the DDL a Citus coordinator runs once):

- DISTRIBUTED: sharded by `regency_id`, all co-located (one regency's rows of every table live
  on the same shard group), so everything an operator, a phone or a report touches stays on one
  node. On such a table the database primary key is (id, regency_id), every unique constraint
  and unique index includes regency_id, and every foreign key to another distributed table is
  composite: (x_id, regency_id) → (id, regency_id). `id` stays globally unique (one sequence),
  and the ORM keeps its identity on `id` alone (`__mapper_args__`), so application code is
  unchanged: `db.session.get(Report, 42)` still works.
- REFERENCE: small, global, rarely written tables copied to every node; distributed tables may
  reference them with plain foreign keys (never the other way round).
- LOCAL: kept on the coordinator only (bookkeeping).

A table that is not classified here fails the readiness test: a new table must be placed.
"""
from __future__ import annotations

DISTRIBUTION_COLUMN = "regency_id"
DISTRIBUTED = "distributed"
REFERENCE = "reference"
LOCAL = "local"

PLAN: dict[str, str] = {
    # Reference: the country's map and the routing configuration.
    "regencies": REFERENCE,
    "areas": REFERENCE,        # kecamatan/desa boundaries, looked up by code and by point
    "agencies": REFERENCE,     # a regency's agencies: a handful of rows, edited by admins
    "routing": REFERENCE,      # category → agency types, per regency, edited by admins
    # Distributed by regency_id, co-located with each other.
    "users": DISTRIBUTED,
    "units": DISTRIBUTED,      # crew GPS fixes update them every minute: not a reference table
    "devices": DISTRIBUTED,
    "reports": DISTRIBUTED,
    "incidents": DISTRIBUTED,
    "dispatches": DISTRIBUTED,
    "changes": DISTRIBUTED,
    "sync_ops": DISTRIBUTED,
    "audit_events": DISTRIBUTED,
    "push_outbox": DISTRIBUTED,
    "sms_messages": DISTRIBUTED,
    "sms_blocked_numbers": DISTRIBUTED,
    "aml_fixes": DISTRIBUTED,
    "evaluation_reports": DISTRIBUTED,
    "guide_versions": DISTRIBUTED,
    "kpi_targets": DISTRIBUTED,
    # Local (coordinator only).
    "alembic_version": LOCAL,
}


def tables(kind: str) -> list[str]:
    return sorted(name for name, placed in PLAN.items() if placed == kind)


def citus_statements() -> list[str]:
    """The statements that turn a migrated single-node database into the planned Citus layout
    (run once on the coordinator). Reference tables first, then the distributed ones in
    foreign-key order (a table is distributed after those it references), all co-located with
    the first."""
    import backend.models  # noqa: F401  (every table in the metadata)
    from backend.extensions import db

    ordered = [t.name for t in db.metadata.sorted_tables]
    statements = [f"SELECT create_reference_table('{name}')"
                  for name in ordered if PLAN.get(name) == REFERENCE]
    distributed = [name for name in ordered if PLAN.get(name) == DISTRIBUTED]
    anchor, rest = distributed[0], distributed[1:]
    statements.append(f"SELECT create_distributed_table('{anchor}', '{DISTRIBUTION_COLUMN}')")
    statements += [f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}', "
                   f"colocate_with => '{anchor}')" for name in rest]
    return statements
