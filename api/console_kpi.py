"""Console pages for service figures: Kinerja Layanan (supervisors, admins) with its charts as
server-drawn SVG, and Target Layanan (admins). The pages read and write through the KPI and
admin JSON APIs (api/static/js/pages/kpi.js, admin_targets.js)."""
from __future__ import annotations

from flask import Response, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from api.console import _page, bp
from api.console_admin import ADMIN_PAGES, _signed_in
from backend.categories import CATEGORY_CODES
from backend.errors import ValidationFailed
from backend.i18n import category_label, current_locale
from backend.kpi.graphs import kpi_chart
from backend.kpi.measures import MEASURES
from backend.kpi.schemas import ChartArgs
from backend.kpi.service import GROUPS

GROUP_LABELS = {
    "": _l("Tanpa kelompok"), "category": _l("Kategori"), "kecamatan": _l("Kecamatan"),
    "desa": _l("Desa"), "agency": _l("Instansi"), "unit": _l("Unit"),
    "operator": _l("Operator"), "channel": _l("Saluran"), "hour": _l("Jam"), "day": _l("Hari"),
}


def _measures() -> list[dict]:
    lang = "en" if current_locale() == "en" else "id"
    return [{"name": m.name, "label": m.label[lang], "definition": m.definition,
             "subject": m.subject} for m in MEASURES]


@bp.route("/kpi")
def kpi():
    """Kinerja Layanan: figures for a range by group, compliance against target, charts."""
    if _signed_in("monitor") is None:
        return redirect(url_for("console.login"))
    return _page("console/kpi.html", script="kpi", measures=_measures(),
                 groups={k: str(v) for k, v in GROUP_LABELS.items() if k in ("", *GROUPS)},
                 config={"measures": _measures()})


@bp.route("/kpi/chart.svg")
def kpi_chart_svg():
    """One chart (series | histogram | bars) of a measure over a range, as image/svg+xml."""
    user = _signed_in("monitor")
    if user is None:
        abort(401)
    try:
        args = ChartArgs().load(request.args.to_dict())
    except ValidationError as exc:
        raise ValidationFailed("Invalid chart arguments.", details=exc.messages) from None
    lang = args.pop("lang") or current_locale()
    svg = kpi_chart(actor=user, lang=lang, **args)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


@bp.route("/admin/targets")
def admin_targets():
    """Target Layanan: the defaults, the regency's own targets and their source (admins)."""
    if _signed_in("admin") is None:
        return redirect(url_for("console.login"))
    return _page("console/admin/targets.html", script="admin_targets",
                 admin_pages=ADMIN_PAGES, admin_current="targets", measures=_measures(),
                 categories={c: category_label(c) for c in CATEGORY_CODES},
                 config={"measures": _measures(),
                         "categories": {c: category_label(c) for c in CATEGORY_CODES}})
