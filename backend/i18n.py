"""Console language (Bahasa Indonesia first, English second) and WIB time formatting.

A small catalogue instead of gettext: the console has a few dozen strings and no compile
step keeps `./dev run` to one command.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from backend.categories import CATEGORIES

WIB = ZoneInfo("Asia/Jakarta")
LOCALES = ("id", "en")

_CATEGORY = {c["code"]: c["label"] for c in CATEGORIES}

MESSAGES = {
    "app_title": ("Siaga 112 — Konsol Operator", "Siaga 112 — Operator console"),
    "login": ("Masuk", "Sign in"),
    "logout": ("Keluar", "Sign out"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "inbox": ("Laporan masuk", "Incoming reports"),
    "incidents": ("Kejadian", "Incidents"),
    "reports": ("Laporan", "Reports"),
    "units": ("Unit", "Units"),
    "audit": ("Log audit", "Audit log"),
    "no_reports": ("Tidak ada laporan baru.", "No new reports."),
    "confirm": ("Konfirmasi", "Confirm"),
    "reject": ("Tolak", "Reject"),
    "merge": ("Gabungkan", "Merge"),
    "split": ("Pisahkan", "Split"),
    "dispatch": ("Kirim unit", "Dispatch"),
    "recommended_units": ("Unit terdekat yang disarankan", "Recommended nearest units"),
    "call_report": ("Laporan dari telepon", "Report from a voice call"),
    "caller_phone": ("Nomor penelepon", "Caller's phone"),
    "category": ("Kategori", "Category"),
    "note": ("Keterangan", "Note"),
    "save": ("Simpan", "Save"),
    "needs_attention": ("Perlu tindakan: unit tidak menjawab / menolak / tak terjangkau",
                        "Needs attention: unit did not answer, declined or is unreachable"),
    "add_note": ("Tambah catatan", "Add note"),
    "waited": ("menunggu di ponsel", "waited on the phone"),
    "accuracy": ("akurasi", "accuracy"),
    "silent": ("SOS senyap", "Silent SOS"),
    "likely_duplicates": ("Kemungkinan laporan yang sama", "Likely duplicates"),
    "reporter_history": ("Laporan lain dari pelapor", "Reporter's other reports"),
    "timeline": ("Linimasa", "Timeline"),
    "share_whatsapp": ("Bagikan ke WhatsApp", "Share to WhatsApp"),
    "status": ("Status", "Status"),
    "priority": ("Prioritas", "Priority"),
    "distance": ("jarak", "distance"),
    "reason_prank": ("Iseng / prank", "Prank"),
    "reason_test": ("Uji coba", "Test"),
    "reason_invalid": ("Tidak valid", "Invalid"),
    "on_duty": ("Siaga", "On duty"),
    "off_duty": ("Tidak siaga", "Off duty"),
    "clock_flag": ("jam ponsel tidak akurat", "phone clock is off"),
    "no_location": ("tanpa lokasi", "no location"),
    "language": ("English", "Bahasa Indonesia"),
    "live": ("Langsung", "Live"),
    "wrong_login": ("Nama pengguna atau kata sandi salah.", "Wrong username or password."),
}

STATUS = {
    "received": ("diterima", "received"), "confirmed": ("dikonfirmasi", "confirmed"),
    "rejected": ("ditolak", "rejected"), "merged": ("digabung", "merged"),
    "cancelled": ("dibatalkan", "cancelled"), "open": ("terbuka", "open"),
    "dispatched": ("unit dikirim", "dispatched"), "acknowledged": ("diterima unit", "acknowledged"),
    "en_route": ("dalam perjalanan", "en route"), "on_scene": ("di lokasi", "on scene"),
    "resolved": ("selesai ditangani", "resolved"), "closed": ("ditutup", "closed"),
    "pending": ("menunggu", "pending"), "notified": ("diberi tahu", "notified"),
    "declined": ("ditolak unit", "declined"), "timed_out": ("tidak dijawab", "timed out"),
    "completed": ("selesai", "completed"), "cancelled_dispatch": ("dibatalkan", "cancelled"),
}


def translate(key: str, locale: str) -> str:
    pair = MESSAGES.get(key) or STATUS.get(key) or (key, key)
    return pair[1] if locale == "en" else pair[0]


def category_label(code: str, locale: str) -> str:
    label = _CATEGORY.get(code)
    return label["en" if locale == "en" else "id"] if label else code


def format_time(value: datetime | None) -> str:
    """A UTC datetime as Jakarta wall time, e.g. '29-11-2026 12:41 WIB'."""
    return value.astimezone(WIB).strftime("%d-%m-%Y %H:%M WIB") if value else ""


def catalogue(locale: str) -> dict:
    """Everything the console's JavaScript needs to speak the user's language."""
    idx = 1 if locale == "en" else 0
    return {"messages": {k: v[idx] for k, v in MESSAGES.items()},
            "status": {k: v[idx] for k, v in STATUS.items()},
            "categories": {c: category_label(c, locale) for c in _CATEGORY}}
