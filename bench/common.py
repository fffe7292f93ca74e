"""Shared by the benchmarks: a fresh PostgreSQL database per run."""
from __future__ import annotations

import os

import sqlalchemy as sa


def fresh_postgres(name: str) -> str:
    """Drop and create database `name` on the test PostgreSQL; return its SQLAlchemy URL."""
    admin_url = os.environ.get("SIAGA_TEST_POSTGRES_ADMIN",
                               "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
