"""The operator console: server-rendered pages with a little JavaScript over the operator API.

Bahasa Indonesia by default, English on request; times in WIB; Leaflet served from the
xstatic-leaflet package so no Node build and no CDN (call centres may be offline).
"""
from __future__ import annotations

import xstatic.pkg.leaflet
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)

from backend.accounts.service import PERMISSIONS, sign_in_staff
from backend.audit.service import audit_log
from backend.auth import (
    check_csrf,
    client_address,
    csrf_token,
    login_session,
    signed_in_user,
)
from backend.errors import ApiError, NotAllowed
from backend.extensions import db
from backend.i18n import catalogue, category_label, format_time, translate
from backend.incidents import service as incidents
from backend.units.service import list_units

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static")
LEAFLET_DIR = xstatic.pkg.leaflet.BASE_DIR


@bp.before_request
def _csrf():
    check_csrf()


def locale() -> str:
    if "lang" in session:
        return session["lang"]
    user = signed_in_user()
    return user.locale if user else "id"


@bp.app_context_processor
def _helpers():
    return {"t": lambda key: translate(key, locale()), "locale": locale,
            "category": lambda code: category_label(code, locale()), "wib": format_time,
            "csrf_token": csrf_token}


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            user = sign_in_staff(username=request.form.get("username", ""),
                                 password=request.form.get("password", ""),
                                 client=client_address(),
                                 counter=current_app.extensions["siaga.counter"])
        except ApiError as exc:
            db.session.commit()  # the refused attempt stays in the audit log
            error = translate("wrong_login", locale()) if exc.status == 401 else exc.message
            return render_template("console/login.html", error=error), exc.status
        login_session(user)
        db.session.commit()
        return redirect(url_for("console.inbox"))
    return render_template("console/login.html", error=error)


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("console.login"))


@bp.route("/lang/<code>")
def language(code):
    if code in ("id", "en"):
        session["lang"] = code
    return redirect(request.referrer or url_for("console.inbox"))


def _page(template, **context):
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    return render_template(template, user=user, can=lambda p: user.role in PERMISSIONS[p],
                           catalogue=catalogue(locale()),
                           tile_url=current_app.config["MAP_TILE_URL"], **context)


@bp.route("/")
def inbox():
    return _page("console/inbox.html")


@bp.route("/incidents/<number>")
def incident(number):
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    try:
        detail = incidents.incident_detail(actor=user, number=number)
    except ApiError as exc:
        abort(exc.status)
    text = incidents.whatsapp_text(detail)
    return _page("console/incident.html", detail=detail, share_url=incidents.share_url(text))


@bp.route("/units")
def units():
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    return _page("console/units.html", units=list_units(actor=user))


@bp.route("/audit")
def audit():
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    try:
        events, _ = audit_log(actor=user)
    except NotAllowed:
        abort(403)
    return _page("console/audit.html", events=events)


@bp.route("/vendor/leaflet/<path:filename>")
def leaflet(filename):
    return send_from_directory(LEAFLET_DIR, filename, max_age=86400)


