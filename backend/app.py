"""The app factory. Importing this module has no side effects; create_app() builds everything."""
from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from typing import Any, Mapping
from urllib.parse import urlsplit

from flask import Flask, redirect, url_for
from flask_talisman import Talisman
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.config import load_settings
from backend.errors import error_body
from backend.extensions import Api, babel, db, migrate
from backend.feed.slots import FeedSlots
from backend.feed.stream import feed_source
from backend.http import PROTOCOL_HEADER, BoundedGzip, ConnectionGuard
from backend.jsonio import StrictJSONProvider, StrictRequest
from backend.overload import OverloadGuard, pool_class_for
from backend.sms.aml_spool import resume as resume_aml_spool
from backend.ratelimit import RequestLimits, make_counter

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    app = Flask("siaga112", instance_relative_config=True)
    app.json_provider_class = StrictJSONProvider
    app.json = StrictJSONProvider(app)
    app.request_class = StrictRequest
    configure(app, overrides)
    register_extensions(app)
    security_headers(app)
    register_blueprints(app)
    register_commands(app)
    resume_aml_spool(app)
    return app


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    settings = load_settings(overrides=overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    database_url = settings["DATABASE_URL"] or "sqlite:///" + os.path.join(
        app.instance_path, "siaga112.sqlite3")
    app.config.update(settings)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_url,
        # No pre-ping round trip per request: a dropped connection fails one request with a
        # 503 (the phone retries), and SQLAlchemy then refreshes the pool. The pool sheds a
        # phone request that waits too long for a connection (backend/overload.py).
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(make_url(database_url), settings["DB_POOL_SIZE"]),
        SECRET_KEY=settings["SECRET_KEY"] or _instance_secret(app.instance_path),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="siaga_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings["SESSION_HOURS"]),
        MAX_CONTENT_LENGTH=settings["MAX_BODY_BYTES"],
        API_TITLE="Siaga112",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Backend of a regency 112 emergency service. "
                                    "Sync protocol: mobile_contract/PROTOCOL.md."},
            "components": {"securitySchemes": {
                "deviceKey": {"type": "http", "scheme": "bearer",
                              "description": "Device key from POST /v1/devices."},
                "consoleSession": {"type": "apiKey", "in": "cookie", "name": "siaga_session",
                                   "description": "POST /v1/operator/session; send "
                                                  "X-CSRF-Token on unsafe requests."}}},
        },
    )
    logging.basicConfig(level=settings["LOG_LEVEL"])


def _engine_options(url, pool_size: int) -> dict:
    options = {"pool_recycle": 1800}
    pool_class = pool_class_for(url)
    if pool_class is not None:  # a real pool (not an in-memory SQLite database)
        # One connection per gunicorn thread stays open (SQLAlchemy's default of 5 closed
        # the connections of threads 6-8 after every burst and opened them again).
        options.update(poolclass=pool_class, pool_size=pool_size)
    return options


def _instance_secret(instance_path: str) -> str:
    """A secret kept in the instance folder, so every gunicorn worker (and restart) signs
    console sessions with the same key when SECRET_KEY is not set."""
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        secret = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker won the race: use theirs
            return _instance_secret(instance_path)
        with os.fdopen(fd, "w") as f:
            f.write(secret)
        return secret


def register_extensions(app: Flask) -> None:
    import backend.models  # noqa: F401  (every table known to the metadata)
    from backend.db import configure_engine
    from backend.i18n import DEFAULT_LOCALE, TRANSLATIONS_DIR, select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, compare_type=True)
    babel.init_app(app, locale_selector=select_locale, default_locale=DEFAULT_LOCALE,
                   default_timezone="Asia/Jakarta",
                   default_translation_directories=TRANSLATIONS_DIR)
    with app.app_context():
        configure_engine(db.engine)
    from backend.metrics.http import install as install_metrics
    from backend.metrics.instruments import count_db_error
    from push.runtime import init_push

    Api(app)  # per app, so tests can build many apps; found via app.extensions
    init_push(app)
    from backend.devices.service import DeviceCache

    app.extensions["siaga.device_cache"] = DeviceCache(app.config["DEVICE_CACHE_SECONDS"])
    app.extensions["siaga.counter"] = make_counter(app.config["REDIS_URL"])
    app.extensions["siaga.limits"] = RequestLimits(app.config["REDIS_URL"])
    app.extensions["siaga.feed_slots"] = FeedSlots(app.config["FEED_MAX_PER_WORKER"],
                                                   app.config["FEED_MAX_PER_USER"])
    app.extensions["siaga.feed_source"] = feed_source(app)
    # Overload is judged before the body is inflated or read: a shed request costs nothing.
    overload = app.extensions["siaga.overload"] = OverloadGuard(
        BoundedGzip(app.wsgi_app, app.config["MAX_BODY_BYTES"]),
        queue_wait_ms=app.config["OVERLOAD_QUEUE_WAIT_MS"],
        pool_wait_ms=app.config["OVERLOAD_POOL_WAIT_MS"],
        retry_after_s=(app.config["OVERLOAD_RETRY_AFTER_MIN_S"],
                       app.config["OVERLOAD_RETRY_AFTER_MAX_S"]),
        trust_request_start=app.config["TRUSTED_PROXIES"] > 0)
    app.wsgi_app = ConnectionGuard(overload)
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"])

    # Lost connection, deadlock, lock timeout, or every connection busy for pool_timeout (a
    # request that may not be shed): transient; the phone keeps its ops and retries.
    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(exc):
        app.logger.warning("database unavailable, answering 503: %s", exc)
        count_db_error(exc)
        db.session.rollback()
        return error_body("unavailable", "Temporarily unavailable; retry later."), 503, {
            "Retry-After": "5"}

    install_metrics(app)

    @app.after_request
    def protocol_header(response):
        response.headers[PROTOCOL_HEADER[0]] = PROTOCOL_HEADER[1]
        return response


def security_headers(app: Flask) -> None:
    """CSP without inline script (the console has none: page modules + a JSON config block),
    no framing by anyone, nosniff, a same-origin Referer, HSTS on HTTPS requests (TLS ends at
    nginx; ProxyFix tells the app the scheme), and the session cookie Secure when configured.
    Styles may be inline: Leaflet positions map elements with style attributes."""
    tiles = urlsplit(app.config["MAP_TILE_URL"])
    tile_origin = f"{tiles.scheme}://{tiles.netloc}" if tiles.netloc else None
    Talisman(app, force_https=False, frame_options="DENY", referrer_policy="same-origin",
             session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
             content_security_policy={
                 "default-src": "'self'", "script-src": "'self'", "object-src": "'none'",
                 "style-src": ["'self'", "'unsafe-inline'"],
                 "img-src": ["'self'", "data:"] + ([tile_origin] if tile_origin else []),
                 "connect-src": "'self'", "frame-ancestors": "'none'", "base-uri": "'none'",
                 "form-action": "'self'"})


def register_blueprints(app: Flask) -> None:
    from api import register_blueprints as register_api
    from api.console import bp as console
    from api.metrics import bp as metrics
    from api.public_page import bp as public_page

    app.register_blueprint(console)
    app.register_blueprint(metrics)
    app.register_blueprint(public_page)
    app.add_url_rule("/", "root", lambda: redirect(url_for("console.inbox")))
    from sync.ops import OP_DATA_SCHEMAS, Op

    api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    # Op payloads are validated one by one (not by webargs), so publish their schemas here.
    for schema in OP_DATA_SCHEMAS.values():
        api.spec.components.schema(schema.__name__, schema=schema)
    api.spec.components.schema("Op", schema=Op)
    register_api(api)


def register_commands(app: Flask) -> None:
    from backend.cli import register

    register(app)
