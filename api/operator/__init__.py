"""Operator console JSON API: session login, triage, incidents, dispatch, units, live feed,
audit — one blueprint, one module per domain.

Authentication is the console session cookie; every unsafe request carries the session's
CSRF token in X-CSRF-Token (get one from GET /v1/operator/session, even before login).
"""
from __future__ import annotations

from backend.auth import check_csrf, require_signed_in_staff, requires  # noqa: F401
from backend.extensions import Blueprint, db

blp = Blueprint("operator", __name__, url_prefix="/v1/operator",
                description="Operator console API (session cookie + CSRF header)")
blp.before_request(check_csrf)
# Who before what: a stranger gets 401 and a signed-in user without the permission 403 before
# any argument is parsed (narrower permissions: @requires under each @blp.route).
blp.before_request(require_signed_in_staff(
    exempt={"operator.get_session", "operator.login", "operator.logout"}))

STAFF_ERRORS = {401: "not_signed_in", 403: "forbidden (role) or csrf_failed"}


def commit(result):
    """End the view's transaction and hand back what it produced."""
    db.session.commit()
    return result


from api.operator import (  # noqa: E402,F401
    audit,
    board,
    devices,
    evaluations,
    feed,
    incidents,
    monitoring,
    kpi,
    places,
    session,
    sms,
    triage,
    units,
)
