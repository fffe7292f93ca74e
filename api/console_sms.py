"""Console page "SMS": messages in and out (kind, status, report), a reply to a report's
number, and the block list. A shell; its ES module (pages/sms.js) works through the
operator SMS API (api/operator/sms.py)."""
from __future__ import annotations

from flask import redirect, url_for

from api.console import _page, bp
from api.console_admin import _signed_in
from backend.accounts.permissions import PERMISSIONS


@bp.route("/sms")
def sms():
    user = _signed_in("view")
    if user is None:
        return redirect(url_for("console.login"))
    return _page("console/sms.html", script="sms",
                 config={"canTriage": user.role in PERMISSIONS["triage"]})
