"""Append changes and read them by cursor without ever skipping one.

Why not `seq > cursor`: sequence values are taken when a row is inserted but become visible
when its transaction commits, so a reader can see seq 12 while seq 11 is still in flight and
would jump past it. Instead every row records its writing transaction id (`txid`) and the
feed is ordered by (txid, seq). A reader only returns rows whose txid is below the oldest
transaction still running (`pg_snapshot_xmin`): those transactions are finished, and every
later writer gets a larger txid, so nothing can ever appear behind the cursor. Rows of
still-running transactions are simply delivered on the next pull.

On SQLite, writers are serialised (BEGIN IMMEDIATE), so txid is constant and seq order is
commit order; the horizon is not needed. The dialect only swaps that one expression.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sqlalchemy as sa

from backend.db import dialect_name, utcnow
from backend.errors import ApiError
from backend.schemas import INT64_MAX
from backend.extensions import db
from backend.feed.models import Change

_CURSOR = re.compile(r"^c1\.(\d{1,19})\.(\d{1,19})$")


@dataclass(frozen=True, order=True)
class Cursor:  # ordered as the feed is: (txid, seq)
    txid: int = 0
    seq: int = 0

    def encode(self) -> str:
        return f"c1.{self.txid}.{self.seq}"

    @classmethod
    def decode(cls, raw: str | None) -> "Cursor":
        if raw is None:
            return cls()
        match = _CURSOR.match(raw) if isinstance(raw, str) else None
        # 19 digits can exceed the 64-bit columns: out of range is as unknown as malformed.
        if not match or max(int(match.group(1)), int(match.group(2))) > INT64_MAX:
            raise ApiError("Cursor is not one this server issued.", code="invalid_cursor",
                           status=422, details={"cursor": ["unrecognised cursor"]})
        return cls(int(match.group(1)), int(match.group(2)))


def change_row(*, regency_id: int, type: str, data: dict, device_id: int | None = None) -> dict:
    return {"regency_id": regency_id, "device_id": device_id, "type": type, "data": data,
            "created_at": utcnow()}


def append_changes(rows: list[dict]) -> None:
    """Append change rows built by change_row() in one statement."""
    if rows:
        db.session.execute(sa.insert(Change.__table__), rows)


def _horizon(dialect: str):
    if dialect == "postgresql":
        return Change.txid < sa.text("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    return sa.true()


@dataclass(frozen=True)
class ChangesQuery:
    """read_changes()'s select and its values (to run it in one statement with another
    read). The select is built once per dialect and audience with every value a bind
    parameter, so SQLAlchemy neither rebuilds it nor re-derives its cache key per request."""

    statement: sa.Select
    params: dict


@functools.cache
def _changes_select(dialect: str, for_device: bool) -> sa.Select:
    audience = Change.regency_id == sa.bindparam("regency_id", type_=sa.Integer)
    if for_device:
        audience = sa.and_(Change.device_id == sa.bindparam("device_id", type_=sa.Integer),
                           audience)
    after = sa.tuple_(sa.bindparam("txid", type_=sa.BigInteger),
                      sa.bindparam("seq", type_=sa.BigInteger))
    return (sa.select(Change.seq, Change.txid, Change.type, Change.data, Change.created_at)
            .where(audience, sa.tuple_(Change.txid, Change.seq) > after, _horizon(dialect))
            .order_by(Change.txid, Change.seq)
            .limit(sa.bindparam("limit", type_=sa.Integer)))


def changes_query(*, cursor: Cursor, limit: int, regency_id: int,
                  device_id: int | None = None) -> ChangesQuery:
    """The select behind read_changes() with its values."""
    params = {"regency_id": regency_id, "txid": cursor.txid, "seq": cursor.seq,
              "limit": limit + 1}
    if device_id is not None:
        params["device_id"] = device_id
    return ChangesQuery(_changes_select(dialect_name(), device_id is not None), params)


def page_of_changes(rows: list, *, cursor: Cursor, limit: int) -> tuple[list, Cursor, bool]:
    """What read_changes() returns, from the rows of changes_query() in (txid, seq) order."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        cursor = Cursor(rows[-1].txid, rows[-1].seq)
    return rows, cursor, has_more


def read_changes(*, cursor: Cursor, limit: int, regency_id: int,
                 device_id: int | None = None) -> tuple[list, Cursor, bool]:
    """Return up to `limit` changes after `cursor` for one audience, the next cursor, has_more:
    the regency's console feed, or one device's changes when `device_id` is given (the
    device's regency is given too: the read stays on the regency's shard, docs/SCALE.md).

    Changes are rows with seq, txid, type, data and created_at (read-only, not ORM objects).
    """
    query = changes_query(cursor=cursor, limit=limit, device_id=device_id, regency_id=regency_id)
    rows = db.session.execute(query.statement, query.params).all()
    return page_of_changes(rows, cursor=cursor, limit=limit)


def feed_head(*, regency_id: int) -> Cursor:
    """The cursor just after the newest change a reader may see now (start of a live feed)."""
    row = db.session.execute(
        sa.select(Change.txid, Change.seq)
        .where(Change.regency_id == regency_id, _horizon(dialect_name()))
        .order_by(Change.txid.desc(), Change.seq.desc()).limit(1)).first()
    return Cursor(row.txid, row.seq) if row else Cursor()
