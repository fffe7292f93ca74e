"""The operator console: server-rendered pages with a little JavaScript over the operator API.

Bahasa Indonesia by default, English on request (gettext catalogues, backend/i18n.py); times
in WIB; Leaflet served from the xstatic-leaflet package so no Node build and no CDN (call
centres may be offline). Each page's JavaScript is one ES module (static/js/pages/<page>.js)
fed by a JSON config block (`siaga-config`) holding the page's strings and settings.
"""
from __future__ import annotations

from urllib.parse import urlsplit

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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from backend.accounts.service import PERMISSIONS, sign_in_staff
from backend.auth import (
    check_csrf,
    client_address,
    csrf_token,
    end_session,
    login_session,
    signed_in_user,
)
from backend.categories import CATEGORY_CODES
from backend.errors import ApiError, NotAllowed
from backend.extensions import db
from backend.i18n import (
    LOCALES,
    catalogue,
    category_label,
    current_locale,
    format_time,
    status_label,
)
from backend.feed.service import feed_head
from backend.incidents import service as incidents
from backend.incidents.schemas import IncidentRead
from backend.places.service import is_kelurahan, list_areas
from backend.sms.aml_match import incident_aml
from backend.triage.schemas import TriageReport
from backend.units.service import list_units

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static")
LEAFLET_DIR = xstatic.pkg.leaflet.BASE_DIR


@bp.before_request
def _csrf():
    check_csrf()


def locale() -> str:
    """The console's language for this request: session choice, else the user's, else id."""
    return current_locale()


# Strings the pages' JavaScript needs, by key; every page gets them in its JSON config.
JS_MESSAGES = {
    "silent": _l("SOS senyap"),
    "waited": _l("menunggu di ponsel"),
    "waiting": _l("menunggu triase"),
    "accuracy": _l("akurasi"),
    "clock_flag": _l("jam ponsel tidak akurat"),
    "no_location": _l("tanpa lokasi"),
    "confirm": _l("Konfirmasi"),
    "reject": _l("Tolak"),
    "merge": _l("Gabungkan"),
    "reason_prank": _l("Iseng / prank"),
    "reason_test": _l("Uji coba"),
    "reason_invalid": _l("Tidak valid"),
    "likely_duplicates": _l("Kemungkinan laporan yang sama"),
    "reporter_history": _l("Laporan lain dari pelapor"),
    "distance": _l("jarak"),
    "needs_attention": _l("Perlu tindakan: unit tidak menjawab / menolak / tak terjangkau"),
    "request_failed": _l("Permintaan gagal."),
    # Administration, audit and history pages (api/console_admin.py).
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
    "new_report": _l("Laporan baru"),
    "voice_call": _l("telepon"),
    "channel_sms": _l("SMS"),
    "channel_sms_text": _l("SMS teks"),
    "taken_at_post": _l("Diterima di pos:"),
    "via_phone": _l("telepon ke pos"),
    "via_walk_in": _l("datang ke pos"),
    "place_said": _l("Tempat disebut:"),
    "copy": _l("Salin"),
    "copy_phone": _l("Salin nomor"),
    "copied": _l("Tersalin"),
    "copy_failed": _l("Gagal menyalin"),
    "sound_on": _l("Bunyi: nyala"),
    "sound_off": _l("Bunyi: mati"),
    "outside_regency": _l("Di luar wilayah kabupaten"),
    "call_location": _l("Lokasi penelepon"),
    "map_point": _l("Titik peta"),
    "typed_coordinates": _l("Koordinat diketik"),
    "call_place_hint": _l("Ketik nama desa atau klik peta."),
    "test_traffic": _l("UJI"),
    "flood_reports": _l("laporan"),
    "mute": _l("Bisukan"),
    "unmute": _l("Batal bisukan"),
    "muted": _l("dibisukan"),
    "revoke": _l("Cabut kunci perangkat"),
    "revoke_confirm": _l("Cabut kunci perangkat ini? Ponsel harus mendaftar ulang."),
    "revoked": _l("kunci dicabut"),
    "not_live": _l("Tidak langsung: diperbarui tiap 10 detik"),
    "areas_imported": _l("Impor selesai: %(inserted)s baru, %(updated)s diperbarui, "
                         "%(unchanged)s tidak berubah."),
    "areas_refused": _l("Impor ditolak, tidak ada yang disimpan:"),
    "areas_bad_file": _l("Berkas bukan GeoJSON FeatureCollection yang sah."),
    "areas_feature": _l("Fitur"),
    "areas_sending": _l("Mengirim bagian %(part)s dari %(parts)s…"),
    # Units as resources: their state, where they are and how old the fix is.
    "unit_available": _l("Tersedia"),
    "unit_assigned": _l("Ditugaskan"),
    "unit_en_route": _l("Dalam perjalanan"),
    "unit_on_scene": _l("Di lokasi"),
    "unit_out_of_service": _l("Tidak siaga"),
    "unit_gps": _l("GPS"),
    "unit_post": _l("di pos"),
    "ago": _l("lalu"),
    "reassign": _l("Alihkan"),
    "reassign_reason": _l("Alasan pengalihan"),
    # Evaluation reports (api/console_evaluation.py).
    "evaluation_generating": _l("Membuat laporan… (beberapa detik)"),
    "evaluation_generated": _l("Laporan %(period)s selesai."),
    "evaluation_keep": _l("Yang dipertahankan"),
    "evaluation_improve": _l("Yang diperbaiki"),
    "evaluation_none": _l("Belum ada laporan evaluasi."),
    "evaluation_scheduler": _l("jadwal otomatis"),
    "evaluation_user": _l("konsol"),
    "evaluation_cli": _l("baris perintah"),
    "evaluation_reports": _l("laporan"),
    # Papan Pantau (the live board).
    "board_none": _l("tidak ada"),
    "board_flooded": _l("dari banjir laporan"),
    "board_attention": _l("Perlu tindakan"),
    "board_awaiting_ack": _l("Menunggu jawaban unit"),
    "board_overdue_ack": _l("Lewat batas jawab"),
    "board_timed_out_today": _l("Tidak dijawab hari ini"),
    "board_declined_today": _l("Ditolak unit hari ini"),
    "board_alerts_open": _l("Pada penugasan aktif"),
    "board_alerts_today": _l("Gagal hari ini"),
    "board_alert_failed": _l("gagal"),
    "board_alert_dropped": _l("token hilang"),
    "board_today_reports": _l("Laporan masuk"),
    "board_today_incidents": _l("Kejadian dibuka"),
    "board_measure_count": _l("Jumlah"), "board_measure_p50_p90": _l("p50 / p90"),
    "board_measure_target": _l("Target"), "board_measure_compliance": _l("Kepatuhan"),
    "board_updated": _l("diperbarui"),
    # Monitoring maps (Peta Sinyal, Perencanaan Pos).
    "reports": _l("laporan"),
    "no_reports": _l("tanpa laporan"),
    "small_sample": _l("sampel kecil, tidak diperingkat"),
    "over_threshold": _l("menunggu > %(minutes)s menit"),
    "p50": _l("median"),
    "p90": _l("p90"),
    "loading": _l("Memuat…"),
    "est_minutes": _l("perkiraan %(minutes)s menit dari %(post)s"),
    "no_post": _l("tidak ada pos"),
    "demand": _l("laporan"),
    "proposed_site": _l("Usulan pos baru"),
    "minutes_saved": _l("menit hemat (tertimbang laporan)"),
    "post": _l("Pos"),
    "outside_target": _l("di luar target"),
    "within_target": _l("dalam target"),
    "none_needed": _l("Tidak ada lokasi yang menghemat waktu."),
    "minutes": _l("menit"),
    # Service figures (Kinerja Layanan) and targets (Target Layanan).
    "kpi_all": _l("Semua"), "kpi_no_target": _l("tanpa target"),
    "kpi_met": _l("memenuhi target"), "kpi_missed": _l("di bawah target"),
    "kpi_open": _l("belum selesai"), "kpi_previous": _l("periode lalu"),
    "kpi_loading": _l("Memuat…"), "kpi_default": _l("bawaan"),
    "kpi_regency": _l("ditetapkan kabupaten"), "kpi_remove": _l("Hapus (kembali ke bawaan)"),
    "kpi_every_category": _l("Semua kategori"),
    "kpi_reports": _l("Laporan"), "kpi_incidents": _l("Kejadian"),
    "kpi_dispatches": _l("Pengerahan unit"), "kpi_rejected": _l("Ditolak"),
    "kpi_merged": _l("Digabung (duplikat)"), "kpi_escalated": _l("Eskalasi"),
    "kpi_undelivered": _l("Peringatan tidak terkirim"), "kpi_silent": _l("SOS senyap"),
    "kpi_no_location": _l("Tanpa lokasi"), "kpi_test_excluded": _l("Uji (tidak dihitung)"),
    # Panduan Publik (admin).
    "guide_title": _l("Judul"),
    "guide_text": _l("Teks"),
    "guide_public_version": _l("Tampil untuk publik: versi %(version)s."),
    "guide_builtin": _l("bawaan"),
    "guide_load": _l("Muat"),
    "guide_loaded": _l("Versi %(version)s dimuat ke formulir; terbitkan untuk memakainya lagi."),
    "guide_published": _l("Versi %(version)s diterbitkan."),
    "guide_conflict": _l("Admin lain sudah menerbitkan versi %(version)s. Salin perubahan "
                         "Anda, muat ulang halaman, lalu terbitkan lagi."),
    # SMS (api/console_sms.py) and the report detail's SMS and AML.
    "sms_in": _l("masuk"), "sms_out": _l("keluar"),
    "sms_kind_text": _l("teks"), "sms_kind_compact": _l("SOS aplikasi"),
    "sms_kind_aml": _l("AML"), "sms_kind_unknown": _l("lain"),
    "sms_status_received": _l("diterima"), "sms_status_processed": _l("diproses"),
    "sms_status_blocked": _l("diblokir"), "sms_status_failed": _l("gagal"),
    "sms_status_queued": _l("antre"), "sms_status_sending": _l("dikirim"),
    "sms_status_submitted": _l("di modem"), "sms_status_sent": _l("terkirim"),
    "sms_rate_limited": _l("melebihi batas"),
    "sms_none": _l("Belum ada SMS."),
    "sms_original": _l("SMS asli"),
    "sms_candidates": _l("Desa yang mungkin dimaksud:"),
    "sms_reply": _l("Balas lewat SMS"),
    "sms_reply_to": _l("Balas ke"),
    "sms_send": _l("Kirim SMS"),
    "sms_queued": _l("SMS diantrekan."),
    "sms_block": _l("Blokir"),
    "sms_unblock": _l("Buka blokir"),
    "sms_unblock_confirm": _l("Buka blokir nomor ini?"),
    "sms_no_blocked": _l("Tidak ada nomor yang diblokir."),
    "sms_refused": _l("ditolak"),
    "aml_title": _l("Lokasi AML (otomatis dari ponsel penelepon)"),
    "aml_supplemental": _l("Tambahan: lokasi laporan tidak berubah sampai Anda memakainya."),
    "aml_method_gnss": _l("GPS"), "aml_method_wifi": _l("Wi-Fi"),
    "aml_method_cell": _l("menara seluler"), "aml_method_none": _l("tanpa lokasi"),
    "aml_radius": _l("radius"),
    "aml_accept": _l("Pakai lokasi AML"),
    "aml_accepted": _l("Lokasi AML dipakai"),
    "aml_positioned": _l("posisi"),
}

UNIT_STATE_KEYS = ("available", "assigned", "en_route", "on_scene", "out_of_service")


def unit_state(code: str) -> str:
    """A unit's availability as the operator reads it (Tersedia, Ditugaskan, ...)."""
    return str(JS_MESSAGES.get("unit_" + code, code))


def age(seconds: float | None) -> str:
    """A fix's age: "40 s", "12 min", "3.5 h" (the same shape as the inbox's waits)."""
    if seconds is None:
        return ""
    if seconds < 90:
        return f"{round(seconds)} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


@bp.app_context_processor
def _helpers():
    return {"locale": locale, "category": category_label, "status": status_label,
            "wib": format_time, "csrf_token": csrf_token, "is_kelurahan": is_kelurahan,
            "unit_state": unit_state, "age": age}


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            user = sign_in_staff(username=request.form.get("username", ""),
                                 password=request.form.get("password", ""),
                                 client=client_address())
        except ApiError as exc:
            db.session.commit()  # the refused attempt stays in the audit log
            error = _("Nama pengguna atau kata sandi salah.") if exc.status == 401 else \
                _("Akun kru masuk lewat aplikasi responder, bukan konsol.") \
                if exc.code == "not_staff" else exc.message
            return render_template("console/login.html", error=error), exc.status
        login_session(user)
        db.session.commit()
        return redirect(url_for("console.inbox"))
    return render_template("console/login.html", error=error)


@bp.route("/logout", methods=["POST"])
def logout():
    end_session(signed_in_user())
    db.session.commit()
    return redirect(url_for("console.login"))


@bp.route("/lang/<code>")
def language(code):
    if code in LOCALES:
        session["lang"] = code
    return redirect(_same_origin_path(request.args.get("next"))
                    or _same_origin_path(request.referrer) or url_for("console.inbox"))


def _same_origin_path(url: str | None) -> str | None:
    """The console path of `url` if it points back into this console, else None: a Referer or
    a `next` parameter must never send the operator to another site."""
    if not url or "\\" in url or any(ord(c) < 32 for c in url):
        return None
    parts = urlsplit(url)
    if parts.netloc and (parts.netloc != request.host
                         or parts.scheme not in ("", request.scheme)):
        return None
    if not parts.netloc and parts.scheme:
        return None
    if not parts.path.startswith(bp.url_prefix + "/") or parts.path.startswith("//"):
        return None
    return parts.path + ("?" + parts.query if parts.query else "")


def _page(template, *, script=None, config=None, map=False, **context):
    """Render a console page for the signed-in user (else the login page).

    `script` names the page's ES module (static/js/pages/<script>.js); `config` adds
    page-specific settings to the JSON config the module reads.
    """
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    can = lambda permission: user.role in PERMISSIONS[permission]  # noqa: E731
    siaga = {"catalogue": catalogue(JS_MESSAGES), "locale": locale(),
             "tileUrl": current_app.config["MAP_TILE_URL"], **(config or {})}
    return render_template(template, user=user, can=can, page_script=script, page_map=map,
                           siaga_config=siaga, **context)


@bp.route("/")
def inbox():
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    return _page("console/inbox.html", script="inbox", map=True,
                 config={"canTriage": user.role in PERMISSIONS["triage"],
                         "canFeed": user.role in PERMISSIONS["feed"]},
                 categories={code: category_label(code) for code in CATEGORY_CODES})


@bp.route("/incidents/<number>")
def incident(number):
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    cursor = feed_head(regency_id=user.regency_id)  # before reading: no change falls between
    try:
        detail = incidents.incident_detail(actor=user, number=number)
    except ApiError as exc:
        abort(exc.status)
    text = incidents.whatsapp_text(detail)
    # Reports and the incident as the operator API shows them (place, caller's phone).
    reports = TriageReport(many=True).dump(detail["reports"])
    return _page("console/incident.html", script="incident", map=True, reports=reports,
                 incident_place=IncidentRead().dump(detail["incident"]).get("place"),
                 config={"incident": detail["incident"].number, "cursor": cursor.encode(),
                         # Each linked report's supplemental AML fix (circle + accept).
                         "aml": incident_aml(detail["reports"]),
                         "canDispatch": user.role in PERMISSIONS["dispatch"],
                         "canTriage": user.role in PERMISSIONS["triage"],
                         "canFeed": user.role in PERMISSIONS["feed"]},
                 detail=detail, share_url=incidents.share_url(text))


@bp.route("/units")
def units():
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    return _page("console/units.html", script="units", units=list_units(actor=user))


@bp.route("/areas")
def areas():
    """Wilayah: the regency's kecamatan and desa with counts, and the area import (admins)."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    try:
        listing = list_areas(actor=user)
    except NotAllowed:
        abort(403)
    kecamatan = [a for a in listing["areas"] if a["level"] == "kecamatan"]
    desa = {}
    for area in listing["areas"]:
        if area["level"] == "desa":
            desa.setdefault(area["parent_code"], []).append(area)
    return _page("console/areas.html", script="areas", kecamatan=kecamatan, desa=desa,
                 counts=listing["counts"],
                 config={"maxBodyBytes": current_app.config["MAX_BODY_BYTES"]})


@bp.route("/vendor/leaflet/<path:filename>")
def leaflet(filename):
    return send_from_directory(LEAFLET_DIR, filename, max_age=86400)


from api import console_admin  # noqa: E402,F401  (admin, audit and history pages)
from api import console_evaluation  # noqa: E402,F401  (evaluation reports)
from api import console_sms  # noqa: E402,F401  (SMS in and out, block list)
from api import console_board  # noqa: E402,F401  (the live board)
from api import console_monitoring  # noqa: E402,F401  (signal map, coverage planning)
from api import console_kpi  # noqa: E402,F401  (service figures and targets)
from api import console_guide  # noqa: E402,F401  (preview of the public guide)
