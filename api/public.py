"""Public, unauthenticated information for citizens: the guide the app caches offline.

No rate limit: the answer is cached in process per guide version (backend/guide/service.py)
and revalidated with If-None-Match, so a request costs one indexed query and no rendering.
"""
from __future__ import annotations

from flask import Response, current_app, request

from backend.extensions import SHED_ERRORS, Blueprint
from backend.guide.schemas import ConditionalHeaders, GuideArgs, GuideRead
from backend.guide.service import GuideCache, public_guide

blp = Blueprint("public", __name__, url_prefix="/v1/public",
                description="Public information (no sign-in)")

# How long a phone or proxy may use its copy without asking again; after that it revalidates
# (a 304 when nothing was published). An admin's edit reaches every online phone within this.
MAX_AGE_S = 600
CACHE_CONTROL = f"public, max-age={MAX_AGE_S}"
HEADERS = {"ETag": {"schema": {"type": "string"}, "description": "Send it back as "
                    "If-None-Match to revalidate."},
           "Cache-Control": {"schema": {"type": "string"}}}


def guide_cache() -> GuideCache:
    return current_app.extensions.setdefault("siaga.guide_cache", GuideCache())


def page_url(lang: str, regency: str | None) -> str:
    """The public page's address (PUBLIC_BASE_URL, else this request's host)."""
    base = (current_app.config["PUBLIC_BASE_URL"] or request.host_url).rstrip("/")
    query = "&".join(f"{k}={v}" for k, v in (("lang", lang if lang != "id" else None),
                                             ("regency", regency)) if v)
    return f"{base}/panduan" + (f"?{query}" if query else "")


def current_guide(lang: str, regency: str | None):
    """The rendered guide for this request's language and regency."""
    default = current_app.config["DEFAULT_REGENCY"]
    code = regency or default
    return public_guide(regency_code=code, lang=lang,
                        sms_number=current_app.config["SMS_NUMBER"] or None,
                        page_url=page_url(lang, None if code == default else code),
                        cache=guide_cache())


def conditional(response: Response, etag: str) -> Response:
    """ETag and Cache-Control on `response`; a 304 without a body when the client has it."""
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response.make_conditional(request)


@blp.route("/guide")
@blp.arguments(GuideArgs, location="query")
@blp.arguments(ConditionalHeaders, location="headers")
@blp.response(200, GuideRead, headers=HEADERS)
@blp.alt_response(304, description="Not modified: the copy the app holds (If-None-Match) "
                                    "is current; no body.", headers=HEADERS)
@blp.errors({**SHED_ERRORS, 404: "regency_not_found",
             422: "validation_error (lang, regency)"})
def guide(args, _headers):
    """The public guide (when to call 112, what to say, SMS, categories, what happens after)
    in Bahasa Indonesia or English, for the app to cache offline (PROTOCOL.md §14)."""
    rendered = current_guide(args["lang"], args["regency"])  # If-None-Match: werkzeug reads it
    return conditional(Response(rendered.body, mimetype="application/json"), rendered.etag)
