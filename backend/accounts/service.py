"""Create console users, check passwords with throttling, and authorise roles."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from backend.accounts.models import ROLES, User
from backend.accounts.permissions import PERMISSIONS, actor_ref, require  # noqa: F401
from backend.audit.service import record_event
from backend.db import utcnow
from backend.errors import ApiError, Unauthorized, ValidationFailed
from backend.extensions import db

MAX_FAILURES = 5
FAILURE_WINDOW_S = 15 * 60
MIN_PASSWORD = 10
# Verified when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")

def create_user(*, regency_id: int, username: str, name: str, role: str, password: str,
                locale: str = "id") -> User:
    """Create a console account (admins do this; the seed command does it for the demo)."""
    if role not in ROLES:
        raise ValidationFailed("Unknown role.", details={"role": [f"one of {', '.join(ROLES)}"]})
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed("Password too short.",
                               details={"password": [f"at least {MIN_PASSWORD} characters"]})
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise ApiError(f"Username {username} is taken.", code="username_taken", status=409)
    user = User(regency_id=regency_id, username=username, name=name, role=role, locale=locale,
                password_hash=generate_password_hash(
                    password, method=current_app.config["PASSWORD_HASH_METHOD"]))
    db.session.add(user)
    db.session.flush()
    return user


def list_users(*, actor: User) -> list[User]:
    """The regency's accounts (admins only)."""
    require(actor, "admin")
    return list(db.session.scalars(sa.select(User).where(
        User.regency_id == actor.regency_id).order_by(User.username)))


def authenticate_user(*, username: str, password: str, client: str, counter) -> User:
    """Check a password. Five failures for a username from one client lock it for 15 min."""
    key = f"login:{username.lower()}:{client}"
    if counter.count(key) >= MAX_FAILURES:
        raise ApiError("Too many failed logins; try again later.", code="rate_limited",
                       status=429, headers={"Retry-After": str(FAILURE_WINDOW_S)})
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if not check_password_hash(user.password_hash if user else _DUMMY_HASH, password) \
            or user is None or not user.active:
        counter.increment(key, FAILURE_WINDOW_S)
        raise Unauthorized("Wrong username or password.", code="invalid_credentials")
    counter.reset(key)
    user.last_login_at = utcnow()
    record_event(regency_id=user.regency_id, actor=("user", user.id), action="user.login",
                 entity=("user", user.id))
    return user
