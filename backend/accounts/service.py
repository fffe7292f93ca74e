"""Console and crew accounts: create, edit, disable, reset passwords, sign in with throttling.

Disabling a user, changing their role and resetting their password bump `session_epoch`, so
every session of that user ends at once (backend/auth.py compares it on each request).
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from backend.accounts.models import ROLES, User
from backend.accounts.permissions import PERMISSIONS, actor_ref, require  # noqa: F401
from backend.audit.service import record_event
from backend.db import in_range, utcnow
from backend.errors import (
    ApiError,
    InvalidTransition,
    NotAllowed,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from backend.extensions import db
from backend.regencies.models import Regency

MIN_PASSWORD = 10
STAFF_ROLES = ("operator", "supervisor", "admin")
# Verified when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0")


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed("Password too short.",
                               details={"password": [f"at least {MIN_PASSWORD} characters"]})
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(*, regency_id: int, username: str, name: str, role: str, password: str,
                locale: str = "id") -> User:
    """Create an account (admins do this through add_user; the seed command for the demo)."""
    if role not in ROLES:
        raise ValidationFailed("Unknown role.", details={"role": [f"one of {', '.join(ROLES)}"]})
    password_hash = _hash(password)
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise ApiError(f"Username {username} is taken.", code="username_taken", status=409)
    user = User(regency_id=regency_id, username=username, name=name, role=role, locale=locale,
                password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    return user


def _public(user: User) -> dict:
    """What the audit log keeps of an account (never its password)."""
    return {"username": user.username, "name": user.name, "role": user.role,
            "locale": user.locale, "active": user.active, "unit_id": user.unit_id}


def add_user(*, actor: User, username: str, name: str, role: str, password: str,
             locale: str = "id", unit_id: int | None = None) -> User:
    """An admin creates a console account (or, with a unit, a crew account) in their regency."""
    require(actor, "admin")
    user = create_user(regency_id=actor.regency_id, username=username, name=name, role=role,
                       password=password, locale=locale)
    user.unit_id = unit_id
    db.session.flush()
    record_event(regency_id=actor.regency_id, actor=actor_ref(actor),
                 action="responder.create" if role == "responder" else "user.create",
                 entity=("user", user.id), after=_public(user))
    return user


def get_user(*, actor: User, user_id: int, lock: bool = False) -> User:
    """An account of the admin's regency (404 for anyone else's)."""
    require(actor, "admin")
    query = sa.select(User).where(User.id == user_id, User.regency_id == actor.regency_id)
    user = db.session.scalar(query.with_for_update() if lock else query) \
        if in_range(user_id, big=False) else None
    if user is None:
        raise NotFound(f"No user {user_id}.", code="user_not_found")
    return user


def list_users(*, actor: User, roles=STAFF_ROLES) -> list[User]:
    """The regency's console accounts (admins only)."""
    require(actor, "admin")
    return list(db.session.scalars(sa.select(User).where(
        User.regency_id == actor.regency_id, User.role.in_(roles)).order_by(User.username)))


def _keep_an_admin(actor: User, user: User) -> None:
    """Refuse to leave the regency without an active admin (disable or demote the last one)."""
    others = db.session.scalars(sa.select(User.id).where(
        User.regency_id == user.regency_id, User.role == "admin", User.active.is_(True),
        User.id != user.id).with_for_update()).all()
    if not others:
        raise InvalidTransition("This is the regency's last active admin.", code="last_admin",
                                details={"user": user.id})


def _audit_change(actor: User, user: User, action: str, before: dict, after: dict) -> None:
    record_event(regency_id=user.regency_id, actor=actor_ref(actor), action=action,
                 entity=("user", user.id), before=before, after=after)


def update_user(*, actor: User, user_id: int, name: str | None = None,
                role: str | None = None, locale: str | None = None) -> User:
    """Edit a console account's name, role or language; a role change ends its sessions."""
    user = get_user(actor=actor, user_id=user_id, lock=True)
    if user.role not in STAFF_ROLES:
        raise NotFound(f"No console user {user_id}.", code="user_not_found")
    if role is not None and role not in STAFF_ROLES:
        raise ValidationFailed("Unknown role.", details={"role": list(STAFF_ROLES)})
    wanted = {"name": name, "role": role, "locale": locale}
    changes = {k: v for k, v in wanted.items() if v is not None and getattr(user, k) != v}
    if not changes:
        return user
    if "role" in changes and user.role == "admin" and user.active:
        _keep_an_admin(actor, user)
    before = {k: getattr(user, k) for k in changes}
    for key, value in changes.items():
        setattr(user, key, value)
    if "role" in changes:
        user.session_epoch += 1
    _audit_change(actor, user, "user.update", before, changes)
    db.session.flush()
    return user


def set_user_active(*, actor: User, user_id: int, active: bool) -> User:
    """Disable (every session and crew phone stops working) or enable an account."""
    user = get_user(actor=actor, user_id=user_id, lock=True)
    if user.active == active:
        return user
    if not active and user.role == "admin":
        _keep_an_admin(actor, user)
    user.active = active
    if not active:
        user.session_epoch += 1
    kind = "responder" if user.role == "responder" else "user"
    _audit_change(actor, user, f"{kind}.{'enable' if active else 'disable'}",
                  {"active": not active}, {"active": active})
    db.session.flush()
    return user


def reset_password(*, actor: User, user_id: int, password: str) -> User:
    """An admin sets a new password; every session of the user ends (audited, never the
    password itself)."""
    user = get_user(actor=actor, user_id=user_id, lock=True)
    user.password_hash = _hash(password)
    user.session_epoch += 1
    _audit_change(actor, user, "user.password_reset", {}, {"session_epoch": user.session_epoch})
    db.session.flush()
    return user


def _check_password(*, username: str, password: str, client: str) -> User:
    """Check a password, with limits counted *before* the deliberately slow hash (atomic in
    Redis or memory, so a parallel burst cannot slip past them):

    - per client address, whatever the username (SIGNIN_LIMIT_PER_ADDRESS): one address can
      neither spray accounts nor make the server hash for it all day;
    - per account *and* address (SIGNIN_LIMIT_PER_ACCOUNT): progressively sparser tries, and
      only from the address that failed — nobody can lock an operator out from elsewhere.
    A success clears the account's count for that address.
    """
    limits = current_app.extensions["siaga.limits"]
    config = current_app.config
    account = f"{username.lower()[:64]}|{client}"
    for name, key, spec in (("signin:address", client, config["SIGNIN_LIMIT_PER_ADDRESS"]),
                            ("signin:account", account, config["SIGNIN_LIMIT_PER_ACCOUNT"])):
        wait = limits.hit(name, key, spec)
        if wait is not None:
            raise ApiError("Too many sign-in attempts; try again later.", code="rate_limited",
                           status=429, headers={"Retry-After": str(int(wait) + 1)},
                           details={"limit": name.split(":")[1]})
    found = db.session.execute(sa.select(User.id, User.password_hash, User.active).where(
        User.username == username)).first()
    # End the read before hashing: on SQLite every transaction holds the write lock, and a
    # password check takes a tenth of a second by design (the one place a service ends the
    # caller's transaction; nothing is pending this early in a sign-in).
    db.session.rollback()
    if not check_password_hash(found.password_hash if found else _DUMMY_HASH, password) \
            or found is None or not found.active:
        raise Unauthorized("Wrong username or password.", code="invalid_credentials")
    limits.clear("signin:account", account, config["SIGNIN_LIMIT_PER_ACCOUNT"])
    return db.session.get(User, found.id)


def _signed_in(user: User, client: str) -> User:
    user.last_login_at = utcnow()
    record_event(regency_id=user.regency_id, actor=("user", user.id), action="user.login",
                 entity=("user", user.id), after={"client": client})
    return user


def authenticate_user(*, username: str, password: str, client: str) -> User:
    """Check a password (any role; responder phones use this) and record the sign-in."""
    return _signed_in(_check_password(username=username, password=password, client=client),
                      client)


def sign_in_staff(*, username: str, password: str, client: str) -> User:
    """Console sign-in: staff only (crew sign in on their phones). Each refused attempt is
    audited with the client address, never the password; the caller commits even on error."""
    try:
        user = _check_password(username=username, password=password, client=client)
    except Unauthorized as exc:
        _audit_failed_login(username, client, exc.code)
        raise
    if user.role not in STAFF_ROLES:
        _audit_failed_login(username, client, "not_staff")
        raise NotAllowed("Crew accounts sign in on the responder app, not the console.",
                         code="not_staff")
    return _signed_in(user, client)


def _audit_failed_login(username: str, client: str, reason: str) -> None:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    regency_id = user.regency_id if user else db.session.scalar(sa.select(Regency.id).where(
        Regency.code == current_app.config["DEFAULT_REGENCY"]))
    if regency_id is None:  # a server without its regency: nothing to attach the event to
        return
    record_event(regency_id=regency_id, actor=("client", client[:64]),
                 action="user.login_failed",
                 entity=("user", user.id) if user else ("username", username[:64]),
                 after={"username": username[:64], "client": client, "reason": reason})


def list_people(*, actor: User) -> list[User]:
    """Everyone of the regency who can appear as an actor in the audit log (for its filter)."""
    require(actor, "audit")
    return list(db.session.scalars(sa.select(User).where(
        User.regency_id == actor.regency_id).order_by(User.name)))
