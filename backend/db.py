"""Database plumbing shared by every domain: column types, dialect drivers, engine setup."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from backend.extensions import db

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite rowids must be INTEGER
JSONDoc = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every dialect (SQLite would hand back naive ones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(
            timezone.utc)


def in_range(value: int, *, big: bool = True) -> bool:
    """Whether an id from a URL or a ref fits its column (out of range = no such row)."""
    return 0 < value <= (2**63 - 1 if big else 2**31 - 1)


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def insert_ignoring_conflicts(table, *index_elements):
    """INSERT ... ON CONFLICT DO NOTHING for the current dialect."""
    dialect = postgresql if dialect_name() == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))


def configure_engine(engine: sa.Engine) -> None:
    """SQLite: WAL, foreign keys, and BEGIN IMMEDIATE so writers queue instead of failing.

    Serialising transactions is what makes the embedded profile's change cursor safe and
    concurrent retries of one op meet the unique index one after the other.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event own BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# ------------------------------------------------- tables distributed by regency (backend/scale.py)

def regency_fk(column: str, parent: str) -> sa.ForeignKeyConstraint:
    """A foreign key to a table distributed by regency: composite, (column, regency_id) →
    parent (id, regency_id), so both rows live on the same shard (docs/SCALE.md). Named by the
    naming convention after its first column, as the plain key it replaced was."""
    return sa.ForeignKeyConstraint([column, "regency_id"], [f"{parent}.id", f"{parent}.regency_id"])


class RegencySharded:
    """Mixin of every table distributed by regency (backend/scale.py PLAN): the database
    primary key is (identity, regency_id), the ORM's identity is the identity column alone, so
    `db.session.get(Model, 42)` still works (docs/SCALE.md, migration 0015_citus).

    Gives `regency_id` (second column of the table; FK regencies.id) and `__mapper_args__`.
    A model names its identity column in `__identity__` and declares it itself; the usual
    identity `id` comes with `RegencyKeyed` below. Per model:
    - `__regency_index__ = True`: a plain index on regency_id as well;
    - `__extra_mapper_args__`: further mapper arguments (e.g. eager_defaults), merged in — a
      model never sets `__mapper_args__` itself (that would drop the identity).
    """

    __identity__: ClassVar[str] = "id"
    __regency_index__: ClassVar[bool] = False
    __extra_mapper_args__: ClassVar[dict[str, Any]] = {}

    @declared_attr
    def regency_id(cls) -> Mapped[int]:
        # sort_order: right after the identity column (a mixin's columns would come last).
        return mapped_column(sa.Integer, sa.ForeignKey("regencies.id"), primary_key=True,
                             index=cls.__regency_index__ or None, sort_order=-1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {**cls.__extra_mapper_args__, "primary_key": [cls.__table__.c[cls.__identity__]]}


class RegencyKeyed(RegencySharded):
    """`RegencySharded` with the identity column `id` (first in the table), an autoincrement
    INTEGER; `__id_type__ = BigId` on tables that grow without bound."""

    __id_type__: ClassVar[Any] = sa.Integer

    @declared_attr
    def id(cls) -> Mapped[int]:
        return mapped_column(cls.__id_type__, primary_key=True, autoincrement=True, sort_order=-2)
