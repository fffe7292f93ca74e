"""Console page for the evaluation reports (supervisors, admins): generate a month or a range,
download each stored report (PDF, HTML), write the evaluation. The page's module works
through the operator API (api/operator/evaluations.py)."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, redirect, url_for

from api.console import _page, bp
from backend.accounts.service import PERMISSIONS
from backend.auth import signed_in_user
from backend.db import utcnow
from backend.i18n import WIB


@bp.route("/evaluations")
def evaluations():
    """Laporan evaluasi: stored reports with downloads and the written evaluation."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    if user.role not in PERMISSIONS["monitor"]:
        abort(403)
    today = utcnow().astimezone(WIB).date()
    previous = today.replace(day=1) - timedelta(days=1)
    return _page("console/evaluations.html", script="evaluations",
                 default_month=f"{previous:%Y-%m}", max_month=f"{today:%Y-%m}",
                 today=today.isoformat())
