"""Console pages for administration (admins), the audit log (supervisors, admins) and the
incident history (all staff). Each page is a shell; its ES module reads and writes through
the operator and admin JSON APIs (api/static/js/pages/<page>.js).
"""
from __future__ import annotations

from flask import abort, redirect, url_for
from flask_babel import lazy_gettext as _l

from api.console import JS_MESSAGES, bp, _page
from backend.accounts.service import PERMISSIONS, list_people
from backend.auth import signed_in_user
from backend.categories import CATEGORY_CODES
from backend.i18n import STATUS, catalogue, category_label, current_locale
from backend.incidents.models import INCIDENT_STATUSES
from backend.units.models import AGENCY_TYPES

PAGE_MESSAGES = {
    "edit": _l("Ubah"), "save": _l("Simpan"), "cancel": _l("Batal"),
    "retire": _l("Pensiunkan"), "reactivate": _l("Aktifkan kembali"),
    "active": _l("Aktif"), "retired": _l("Pensiun"), "disabled": _l("Nonaktif"),
    "disable": _l("Nonaktifkan"), "enable": _l("Aktifkan"),
    "reset_password": _l("Atur ulang kata sandi"), "new_password": _l("Kata sandi baru"),
    "password_reset_done": _l("Kata sandi diganti; sesi pengguna ini berakhir."),
    "saved": _l("Tersimpan."), "move": _l("Pindahkan"),
    "on_duty": _l("Siaga"), "off_duty": _l("Tidak siaga"),
    "click_map": _l("Klik peta untuk menempatkan pos."),
    "older": _l("Lebih lama"), "oldest_reached": _l("Awal log tercapai."),
    "no_results": _l("Tidak ada hasil."), "never": _l("belum pernah"),
    "last_admin": _l("Admin terakhir kabupaten tidak dapat dinonaktifkan atau diturunkan."),
    "unit_on_dispatch": _l("Unit sedang bertugas; selesaikan atau alihkan dulu."),
    "username_taken": _l("Nama pengguna sudah dipakai."),
    "check_input": _l("Periksa isian yang ditandai."),
    "role_operator": _l("Operator"), "role_supervisor": _l("Supervisor"),
    "role_admin": _l("Admin"),
    "lang_id": _l("Bahasa Indonesia"), "lang_en": _l("Inggris"),
}

ADMIN_PAGES = (("agencies", _l("Instansi")), ("units", _l("Unit")),
               ("users", _l("Pengguna")), ("responders", _l("Kru")))


def _config(**extra) -> dict:
    return {"catalogue": catalogue({**JS_MESSAGES, **PAGE_MESSAGES}), **extra}


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
    return _page("console/history.html", script="history", config=_config(),
                 categories={c: category_label(c) for c in CATEGORY_CODES},
                 statuses={s: str(STATUS[s]) for s in INCIDENT_STATUSES})


@bp.route("/audit")
def audit():
    """The audit log: sentences with names, filters, paging to the oldest event."""
    user = _signed_in("audit")
    if user is None:
        return redirect(url_for("console.login"))
    return _page("console/audit.html", script="audit", config=_config(),
                 people=list_people(actor=user))


@bp.route("/admin/")
def admin():
    return redirect(url_for("console.admin_page", name="agencies"))


@bp.route("/admin/<any(agencies, units, users, responders):name>")
def admin_page(name):
    """Administration pages (admins only)."""
    if _signed_in("admin") is None:
        return redirect(url_for("console.login"))
    return _page(f"console/admin/{name}.html", script=f"admin_{name}", map=name == "units",
                 config=_config(), admin_pages=ADMIN_PAGES, admin_current=name,
                 agency_types={k: v["en" if current_locale() == "en" else "id"] for k, v in AGENCY_TYPES.items()})
