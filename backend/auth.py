"""Request-level authentication: device keys (phones) and console sessions (staff).

The services behind these take plain arguments; this module only reads the request.
"""
from __future__ import annotations

import functools
import hmac
import secrets
import time

import sqlalchemy as sa
from flask import current_app, request, session

from backend.accounts.models import User
from backend.accounts.permissions import require
from backend.devices.models import Device
from backend.devices.service import authenticate_device
from backend.errors import ApiError, Unauthorized
from backend.extensions import db

DEVICE_SECURITY = [{"deviceKey": []}]
SESSION_SECURITY = [{"consoleSession": []}]
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
STAFF_ROLES = ("operator", "supervisor", "admin")


def _per_request(name: str, load):
    # Cached on the request itself, never on `g`: an app context can outlive a request
    # (tests, CLI), and a cached identity must never leak into the next request.
    key = f"siaga.{name}"
    if key not in request.environ:
        request.environ[key] = load()
    return request.environ[key]


def current_device() -> Device:
    """The device whose bearer key authenticates this request (401 otherwise)."""
    return _per_request("device",
                        lambda: authenticate_device(request.headers.get("Authorization")))


def _load_user() -> User:
    # By id and regency: one shard's row (docs/SCALE.md). A session from before the regency
    # was kept in it ("rid") is still read, by id alone, until it ends.
    uid, rid = session.get("uid"), session.get("rid")
    user = db.session.scalar(sa.select(User).where(
        User.id == uid, *([User.regency_id == rid] if rid else []))) if uid else None
    if user is None or not user.active or session.get("ver") != _session_version(user) \
            or user.role not in STAFF_ROLES or _expired():  # crew never hold a console session
        raise Unauthorized("Sign in first.", code="not_signed_in")
    session["seen"] = int(time.time())
    return user


def _expired() -> bool:
    """A session ends SESSION_HOURS after sign-in (a shift), however busy, and after
    SESSION_IDLE_MINUTES without a request (an open console page's feed keeps it alive)."""
    now, config = time.time(), current_app.config
    started, seen = session.get("since", 0), session.get("seen", 0)
    return now - started > config["SESSION_HOURS"] * 3600 or \
        now - seen > config["SESSION_IDLE_MINUTES"] * 60


def end_session(user: User | None) -> None:
    """Sign out: this cookie and every copy of it stop working (the user's session epoch
    moves on, so it ends the user's other sessions too)."""
    if user is not None:
        user.session_epoch += 1
    session.clear()


def current_user() -> User:
    """The signed-in console user (401 otherwise)."""
    return _per_request("user", _load_user)


def signed_in_user() -> User | None:
    """The console user if one is signed in, else None."""
    try:
        return current_user()
    except Unauthorized:
        return None


def _session_version(user: User) -> int:
    # Disabling a user, changing their role or resetting their password bumps the epoch:
    # every session of that user ends.
    return user.session_epoch


def login_session(user: User) -> str:
    """Start a fresh session (no fixation) and return its CSRF token."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session.permanent = True
    session["uid"], session["ver"] = user.id, _session_version(user)
    session["rid"] = user.regency_id
    session["since"] = session["seen"] = int(time.time())
    session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse unsafe requests without the session's CSRF token (header or form field)."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent, expected):
        raise ApiError("Missing or wrong CSRF token.", code="csrf_failed", status=403)


def client_address() -> str:
    # Behind a proxy, TRUSTED_PROXIES makes ProxyFix set remote_addr from X-Forwarded-For.
    return request.remote_addr or "?"


def requires(permission: str):
    """Refuse the view unless the signed-in user has `permission` (401, then 403).

    Place it directly under `@blp.route`, so it runs before flask-smorest parses the
    arguments: a caller who may not use an endpoint learns nothing of its schema from a 422.
    """
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            require(current_user(), permission)
            return view(*args, **kwargs)
        return guarded
    return decorate


def require_signed_in_staff(permission: str = "view", *, exempt=()):
    """A blueprint before_request: every endpoint but `exempt` needs a signed-in staff user
    with `permission` — checked before any argument is parsed."""
    def check() -> None:
        if request.endpoint in exempt or request.method == "OPTIONS":
            return
        require(current_user(), permission)
    return check
