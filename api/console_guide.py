"""Preview of the public guide for admins: the Panduan Publik form (api/static/js/pages/
admin_guide.js) posts its draft here into a new tab, which shows it exactly as /panduan would
after publishing, marked PRATINJAU. Nothing is stored; publishing is PUT /v1/admin/guide."""
from __future__ import annotations

from flask import Response, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from marshmallow import ValidationError

from api.console import bp
from api.console_admin import _signed_in
from api.public import page_url
from api.public_page import POSTER_SECTIONS, _other_language
from backend.guide.content import SECTION_KEYS
from backend.guide.schemas import GuideEditArgs
from backend.guide.service import preview_guide, qr_svg


def _draft(form) -> dict:
    """The form's fields (`<key>.<title|text>.<id|en>`) in the API's shape."""
    def value(name):
        return form.get(name, "")
    return {"base_version": 0, "sms_example_desa": value("sms_example_desa"),
            "sections": {key: {"title": {"id": value(f"{key}.title.id"),
                                         "en": value(f"{key}.title.en")},
                               "text": {"id": value(f"{key}.text.id"),
                                        "en": value(f"{key}.text.en")}}
                         for key in SECTION_KEYS}}


@bp.route("/admin/guide/preview", methods=["POST"])
def admin_guide_preview():
    """The draft as the public page (admins only); 422 lists what to fix."""
    user = _signed_in("admin")
    if user is None:
        return redirect(url_for("console.login"))
    lang = "en" if request.form.get("lang") == "en" else "id"
    try:
        draft = GuideEditArgs().load(_draft(request.form))
    except ValidationError as exc:
        return render_template("console/admin/guide_invalid.html", errors=exc.messages), 422
    guide = preview_guide(actor=user, sections=draft["sections"],
                          sms_example_desa=draft["sms_example_desa"], lang=lang,
                          sms_number=current_app.config["SMS_NUMBER"] or None,
                          page_url=page_url(lang, None))
    with force_locale(lang):
        html = render_template("public/guide.html", guide=guide, qr=qr_svg(guide["page_url"]),
                               poster_sections=POSTER_SECTIONS, lang=lang, preview=True,
                               other_lang_url=_other_language("id" if lang == "en" else "en",
                                                              None))
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
