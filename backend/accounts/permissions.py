"""Who may do what. Authorisation sits next to the services, never in views."""
from __future__ import annotations

from backend.accounts.models import User
from backend.errors import NotAllowed

PERMISSIONS = {
    "triage": {"operator", "supervisor"},        # confirm, reject, merge, split, call reports
    "dispatch": {"operator", "supervisor"},
    "view": {"operator", "supervisor", "admin"},  # inbox, incidents, units
    "duty": {"operator", "supervisor", "admin"},  # mark a unit on/off duty
    "audit": {"supervisor", "admin"},
    "monitor": {"supervisor", "admin"},         # the live board, KPIs, evaluation reports
    "feed": {"operator", "supervisor"},           # the live feed: those who triage or supervise
    "admin": {"admin"},                           # agencies, units, routing, users
}


def require(actor: User, permission: str) -> None:
    if actor.role not in PERMISSIONS[permission]:
        raise NotAllowed(f"A {actor.role} may not {permission}.", code="forbidden")


def actor_ref(user: User) -> tuple[str, int]:
    """How a user appears as the actor of an audit event."""
    return ("user", user.id)
