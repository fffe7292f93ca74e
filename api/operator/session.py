"""Console sign-in and sign-out."""
from __future__ import annotations

from marshmallow import Schema, fields

from api.operator import blp
from backend.accounts.schemas import Credentials, UserRead
from backend.accounts.service import sign_in_staff
from backend.auth import (client_address, csrf_token, end_session, login_session,
                          signed_in_user)
from backend.errors import ApiError
from backend.extensions import db


class SessionRead(Schema):
    user = fields.Nested(UserRead, allow_none=True, required=True)
    csrf_token = fields.String(required=True)


@blp.route("/session")
@blp.response(200, SessionRead)
def get_session():
    """Show the signed-in user (or null) and the CSRF token for unsafe requests."""
    return {"user": signed_in_user(), "csrf_token": csrf_token()}


@blp.route("/session", methods=["POST"])
@blp.arguments(Credentials)
@blp.response(200, SessionRead)
@blp.errors({401: "invalid_credentials", 403: "csrf_failed, not_staff (crew accounts)",
             429: "rate_limited: 5 failures per username and client in 15 minutes"})
def login(args):
    """Sign in to the console (staff only; refused attempts are audited)."""
    try:
        user = sign_in_staff(username=args["username"], password=args["password"],
                             client=client_address())
    except ApiError:
        db.session.commit()  # the refused attempt stays in the audit log
        raise
    token = login_session(user)
    db.session.commit()
    return {"user": user, "csrf_token": token}


@blp.route("/session", methods=["DELETE"])
@blp.response(204)
@blp.errors({403: "csrf_failed"})
def logout():
    """Sign out: this session (and any copy of its cookie) ends for good."""
    end_session(signed_in_user())
    db.session.commit()
