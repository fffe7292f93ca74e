"""The public guide as a web page: /panduan (Bahasa Indonesia), /panduan?lang=en (English).

No sign-in, no script (the CSP's script-src 'self' has nothing to allow here), large type on
screen, and an A4 poster when printed (api/static/public/guide.css, @media print) with a QR
code to this page drawn server-side as SVG (segno), the SMS format and 112.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import force_locale

from api.public import CACHE_CONTROL, current_guide
from backend.errors import NotFound
from backend.guide.service import qr_svg

bp = Blueprint("public_page", __name__, template_folder="templates",
               static_folder="static/public", static_url_path="/panduan/static")

# Sections the printed poster keeps (the rest stay on screen: the QR code leads there).
POSTER_SECTIONS = ("when", "what_to_say", "categories")


@bp.route("/panduan")
def guide_page():
    """The public guide for people: read on screen, print as a poster."""
    lang = "en" if request.args.get("lang") == "en" else "id"
    regency = request.args.get("regency") or None
    if regency is not None and not re.fullmatch(r"[0-9]{2,8}", regency):
        abort(404)
    try:
        guide = current_guide(lang, regency).data
    except NotFound:
        abort(404)
    other = "id" if lang == "en" else "en"
    with force_locale(lang):
        html = render_template("public/guide.html", guide=guide, qr=qr_svg(guide["page_url"]),
                               poster_sections=POSTER_SECTIONS, lang=lang,
                               other_lang_url=_other_language(other, regency))
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _other_language(lang: str, regency: str | None) -> str:
    query = "&".join(f"{k}={v}" for k, v in (("lang", lang if lang == "en" else None),
                                             ("regency", regency)) if v)
    return "/panduan" + (f"?{query}" if query else "")
