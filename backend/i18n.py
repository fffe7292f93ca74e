"""Console language (Bahasa Indonesia first, English second) and WIB time formatting.

Strings are gettext messages (Flask-Babel): the Bahasa Indonesia text is the msgid and the
source of truth; English lives in api/translations/en/LC_MESSAGES/messages.po (`./dev i18n`
extracts, updates and compiles). Category labels stay in backend/categories.py, shared with
the phone app's contract.
"""
from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import has_request_context, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from backend.categories import CATEGORIES

WIB = ZoneInfo("Asia/Jakarta")
LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"
TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "api", "translations")

_CATEGORY = {c["code"]: c["label"] for c in CATEGORIES}

# Status codes of reports, incidents and dispatches as the console shows them.
STATUS = {
    "received": _l("diterima"), "confirmed": _l("dikonfirmasi"),
    "rejected": _l("ditolak"), "merged": _l("digabung"),
    "cancelled": _l("dibatalkan"), "open": _l("terbuka"),
    "dispatched": _l("unit dikirim"), "acknowledged": _l("diterima unit"),
    "en_route": _l("dalam perjalanan"), "on_scene": _l("di lokasi"),
    "resolved": _l("selesai ditangani"), "closed": _l("ditutup"),
    "pending": _l("menunggu"), "notified": _l("diberi tahu"),
    "declined": _l("ditolak unit"), "timed_out": _l("tidak dijawab"),
    "completed": _l("selesai"),
}


def select_locale() -> str:
    """The session's chosen language, else the signed-in user's, else Bahasa Indonesia."""
    if not has_request_context():
        return DEFAULT_LOCALE
    if session.get("lang") in LOCALES:
        return session["lang"]
    from backend.auth import signed_in_user  # request-level; imported late (no cycle)

    user = signed_in_user()
    return user.locale if user is not None and user.locale in LOCALES else DEFAULT_LOCALE


def current_locale() -> str:
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None else DEFAULT_LOCALE


def status_label(code: str) -> str:
    label = STATUS.get(code)
    return str(label) if label is not None else code


def category_label(code: str, locale: str | None = None) -> str:
    label = _CATEGORY.get(code)
    if label is None:
        return code
    return label["en" if (locale or current_locale()) == "en" else "id"]


def format_time(value: datetime | str | None) -> str:
    """A UTC datetime (or ISO string) as Jakarta wall time, e.g. '29-11-2026 12:41 WIB'."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB") if value else ""


def catalogue(messages: dict) -> dict:
    """Everything the console's JavaScript needs to speak the user's language: the page's
    messages (key → lazy gettext string), status and category labels."""
    return {"messages": {key: str(text) for key, text in messages.items()},
            "status": {code: str(label) for code, label in STATUS.items()},
            "categories": {code: category_label(code) for code in _CATEGORY}}
