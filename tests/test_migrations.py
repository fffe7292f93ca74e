"""The schema is Alembic's: one head, upgrade builds it, and the models agree with it."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from backend.app import MIGRATIONS_DIR
from backend.extensions import db


def _scripts():
    config = Config(os.path.join(MIGRATIONS_DIR, "alembic.ini"))
    config.set_main_option("script_location", MIGRATIONS_DIR)
    return ScriptDirectory.from_config(config)


def test_single_migration_head():
    assert len(_scripts().get_heads()) == 1


def test_database_is_at_head(app):
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    assert set(current) == set(_scripts().get_heads())


@pytest.mark.postgres_only
def test_models_match_migrations_on_postgres(app):
    from geoalchemy2 import alembic_helpers

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_object": alembic_helpers.include_object})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


@pytest.mark.postgres_only
def test_postgis_geography_column_is_indexed(app):
    import sqlalchemy as sa

    with db.engine.connect() as conn:
        kind = conn.execute(sa.text(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'reports'::regclass AND attname = 'location'")).scalar_one()
        index = conn.execute(sa.text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_reports_location'")).scalar_one()
    assert kind == "geography(Point,4326)"
    assert "USING gist (location)" in index
