"""Test fixtures: every database test runs on SQLite and again on PostgreSQL + PostGIS.

The schema is built by `alembic upgrade head` (never create_all). Each test starts from
empty tables plus the seeded regencies and Musi Banyuasin's administrative areas (reference
data, see KEPT); tests/test_isolation.py proves it.

SIAGA_TEST_BACKENDS=sqlite (or postgres) narrows the run; the default is both, and a missing
PostgreSQL is an error, not a skip.
"""
from __future__ import annotations

import contextvars
import os
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from backend import create_app
from backend.extensions import db
from backend.feed.slots import FeedSlots
from backend.ratelimit import MemoryCounter

POSTGRES_ADMIN_URL = os.environ.get("SIAGA_TEST_POSTGRES_ADMIN",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
POSTGRES_TEST_DB = os.environ.get("SIAGA_TEST_POSTGRES_DB", "siaga112_test")
BACKENDS = tuple(os.environ.get("SIAGA_TEST_BACKENDS", "sqlite,postgres").split(","))
REGENCIES = (("1606", "Musi Banyuasin"), ("1607", "Banyuasin"))


def pytest_generate_tests(metafunc):
    if "db_backend" in metafunc.fixturenames:
        wanted = ("postgres",) if metafunc.definition.get_closest_marker("postgres_only") \
            else BACKENDS
        # An empty list (postgres-only test, SQLite-only run) is reported by pytest as such.
        metafunc.parametrize("db_backend", [b for b in wanted if b in BACKENDS], indirect=True,
                             scope="session")


def _postgres_url() -> str:
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{POSTGRES_TEST_DB}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{POSTGRES_TEST_DB}"'))
    admin.dispose()
    return sa.engine.make_url(POSTGRES_ADMIN_URL).set(
        database=POSTGRES_TEST_DB).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def db_backend(request, tmp_path_factory):
    """Name and URL of a freshly migrated database of the requested kind."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "siaga112.sqlite3")
    else:
        url = _postgres_url()
    app = create_app({"DATABASE_URL": url, "TESTING": True, "PUSH_THREAD": False})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        db.engine.dispose()
    return request.param, url


class IsolatedClient(FlaskClient):
    """Runs each request in its own app context, as in production.

    Flask reuses an app context that is already pushed (the test's), which would share
    `g` and the database session between requests and hide bugs that only show when each
    request stands alone.
    """

    def open(self, *args, **kwargs):
        context = contextvars.Context()
        response = context.run(super().open, *args, **kwargs)
        if not kwargs.get("buffered", True):  # a stream resumes in the request's context
            response.response = _InContext(context, response.response)
        return response


class _InContext:
    def __init__(self, context, iterable):
        self.context, self.iterator = context, iter(iterable)

    def __iter__(self):
        return self

    def __next__(self):
        return self.context.run(next, self.iterator)

    def close(self):
        close = getattr(self.iterator, "close", None)
        if close:
            self.context.run(close)


@pytest.fixture(scope="session")
def _apps():
    return {}


@pytest.fixture
def app(db_backend, _apps):
    name, url = db_backend
    if name not in _apps:
        _apps[name] = create_app({"DATABASE_URL": url, "TESTING": True,
                                  "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                                  # Hundreds of test phones share 127.0.0.1; the limit's own
                                  # tests set theirs.
                                  "REGISTRATION_LIMIT_PER_ADDRESS": "100000/minute",
                                  "PUSH_THREAD": False})
        _apps[name].test_client_class = IsolatedClient
    app = _apps[name]
    app.extensions["siaga.counter"] = MemoryCounter()  # login throttling starts afresh too
    app.extensions["siaga.limits"].reset()
    # Streams of an earlier test's browser may still hold slots until their next write.
    app.extensions["siaga.feed_slots"] = FeedSlots(app.config["FEED_MAX_PER_WORKER"],
                                                   app.config["FEED_MAX_PER_USER"])
    with app.app_context():
        _reset(db.engine)
        yield app
        db.session.remove()


# Reference data kept between tests: the seeded regencies (stable ids) and Musi Banyuasin's
# administrative areas, loaded once per database and loaded again only after a test changed
# them (loading 256 polygons into PostGIS costs ~0.2 s; checking costs one small query).
KEPT = ("regencies", "areas")
_AREAS_LOADED: dict[str, tuple] = {}


def _reset(engine) -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name not in KEPT]
    codes = [code for code, _ in REGENCIES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f"DELETE FROM {table}"))
            conn.execute(sa.text("DELETE FROM sqlite_sequence")) if conn.execute(sa.text(
                "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
        seeded = sa.bindparam("codes", codes, expanding=True)
        conn.execute(sa.text("DELETE FROM areas WHERE regency_id NOT IN (SELECT id FROM "
                             "regencies WHERE code IN :codes)").bindparams(seeded))
        conn.execute(sa.text("DELETE FROM regencies WHERE code NOT IN :codes").bindparams(
            seeded))
        for code, name in REGENCIES:
            if conn.execute(sa.text("UPDATE regencies SET name = :n, timezone = 'Asia/Jakarta',"
                                    " is_demo = false WHERE code = :c"),
                            {"c": code, "n": name}).rowcount:
                continue
            conn.execute(sa.text("INSERT INTO regencies (code, name, timezone, is_demo, created_at)"
                                 " VALUES (:c, :n, 'Asia/Jakarta', false, :t)"),
                         {"c": code, "n": name, "t": datetime.now(timezone.utc)})
    _restore_areas(engine)


def _restore_areas(engine) -> None:
    from backend.places.service import load_demo_areas
    from backend.regencies.models import Regency

    fingerprint = "SELECT count(*), max(id), max(updated_at) FROM areas"
    with engine.connect() as conn:
        now = tuple(conn.execute(sa.text(fingerprint)).one())
    if _AREAS_LOADED.get(str(engine.url)) == now:
        return
    db.session.execute(sa.text("DELETE FROM areas"))
    load_demo_areas(db.session.scalar(sa.select(Regency).where(Regency.code == "1606")))
    db.session.commit()
    with engine.connect() as conn:
        _AREAS_LOADED[str(engine.url)] = tuple(conn.execute(sa.text(fingerprint)).one())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff(app):
    """Demo agencies, units and users in both seeded regencies: {username: User}."""
    from backend.regencies.models import Regency
    from backend.seed import seed_demo

    users = {}
    for regency in db.session.scalars(sa.select(Regency).order_by(Regency.code)).all():
        users.update({u.username: u for u in seed_demo(regency)})
    db.session.commit()
    db.session.expunge_all()
    return users


@pytest.fixture
def live_server(app, staff):
    """The test app served over real HTTP (threaded) on a free loopback port."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
