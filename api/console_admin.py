"""Console pages for administration (admins), the audit log (supervisors, admins) and the
incident history (all staff). Each page is a shell; its ES module reads and writes through
the operator and admin JSON APIs (api/static/js/pages/<page>.js).
"""
from __future__ import annotations

from flask import abort, redirect, url_for
from flask_babel import lazy_gettext as _l

from api.console import _page, bp
from backend.accounts.service import PERMISSIONS, list_people
from backend.auth import signed_in_user
from backend.categories import CATEGORY_CODES
from backend.i18n import STATUS, category_label, current_locale
from backend.incidents.models import INCIDENT_STATUSES
from backend.units.models import AGENCY_TYPES


ADMIN_PAGES = (("agencies", _l("Instansi")), ("units", _l("Unit")),
               ("users", _l("Pengguna")), ("responders", _l("Kru")),
               ("targets", _l("Target Layanan")), ("guide", _l("Panduan Publik")))


def _signed_in(permission: str):
    user = signed_in_user()
    if user is not None and user.role not in PERMISSIONS[permission]:
        abort(403)
    return user


@bp.route("/history")
def history():
    """Incident history: search closed and resolved incidents too."""
    if _signed_in("view") is None:
        return redirect(url_for("console.login"))
    return _page("console/history.html", script="history",
                 categories={c: category_label(c) for c in CATEGORY_CODES},
                 statuses={s: str(STATUS[s]) for s in INCIDENT_STATUSES})


@bp.route("/audit")
def audit():
    """The audit log: sentences with names, filters, paging to the oldest event."""
    user = _signed_in("audit")
    if user is None:
        return redirect(url_for("console.login"))
    return _page("console/audit.html", script="audit",
                 people=list_people(actor=user))


@bp.route("/admin/")
def admin():
    return redirect(url_for("console.admin_page", name="agencies"))


@bp.route("/admin/<any(agencies, units, users, responders, guide):name>")
def admin_page(name):
    """Administration pages (admins only)."""
    if _signed_in("admin") is None:
        return redirect(url_for("console.login"))
    return _page(f"console/admin/{name}.html", script=f"admin_{name}", map=name == "units",
                 admin_pages=ADMIN_PAGES, admin_current=name,
                 agency_types={k: v["en" if current_locale() == "en" else "id"] for k, v in AGENCY_TYPES.items()})
