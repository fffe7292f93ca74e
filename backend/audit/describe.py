"""Audit events as sentences people read: Bahasa Indonesia first, English second.

One describer for the audit log and the incident timeline. The names of the people, units,
phones and agencies an event mentions are resolved for a whole page in ONE query (never one
per event); then each event becomes a sentence such as
"Operator Satu mengirim unit Damkar Sekayu 1 ke 112-2026-000003".

The sentences are gettext messages (Bahasa Indonesia msgids, English in the console's .po);
each event is rendered in both languages (force_locale), so the API carries `description` and
`description_en` whatever the reader's language. Names and citizen text are data: they are
substituted into our templates, never interpreted.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from backend.accounts.models import User
from backend.audit.models import AuditEvent
from backend.devices.models import Device
from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.i18n import STATUS, category_label
from backend.incidents.models import Incident, format_incident_number
from backend.units.models import AGENCY_TYPES, Agency, Unit

LANGS = ("id", "en")

# action → sentence. Placeholders: actor, entity, unit, incident, status,
# reason, text, before, after, category, role, fields, target, username, client, duty, types.
SENTENCES: dict[str, LazyString] = {
    "report.create": _l("{actor} mengirim laporan {entity} ({category})"),
    "report.create_call": _l("{actor} mencatat laporan telepon {entity} ({category})"),
    "report.create_post": _l("{actor} mencatat laporan {entity} ({category}) yang diterima di "
                             "pos {unit}"),
    "report.create_sms": _l("Laporan SMS {entity} diterima ({category})"),
    "report.confirmed": _l("{actor} mengonfirmasi laporan {entity}"),
    "report.rejected": _l("{actor} menolak laporan {entity} ({reason})"),
    "report.merged": _l("{actor} menggabungkan laporan {entity} ke {target}"),
    "report.cancelled": _l("{actor} membatalkan laporan {entity}"),
    "report.split": _l("{actor} memisahkan laporan {entity} menjadi {target}"),
    "report.update_note": _l("{actor} mengubah keterangan laporan {entity}"),
    "report.aml_accepted": _l("{actor} memakai lokasi AML untuk laporan {entity}"),
    "sms.reply": _l("{actor} membalas laporan {entity} lewat SMS: “{text}”"),
    "sms.blocked": _l("{actor} memblokir nomor {entity} ({reason})"),
    "sms.unblocked": _l("{actor} membuka blokir nomor {entity}"),
    "report.*": _l("{actor} mengubah status laporan {entity} menjadi {status}"),
    "incident.create": _l("{actor} membuka kejadian {entity} ({category})"),
    "incident.note": _l("{actor} menambah catatan pada {entity}: “{text}”"),
    "incident.priority": _l("{actor} mengubah prioritas {entity} dari {before} menjadi {after}"),
    "incident.duplicate": _l("{actor} menutup {entity} sebagai duplikat dari {target}"),
    "incident.*": _l("{actor} mengubah status {entity} menjadi {status}"),
    "dispatch.create": _l("{actor} mengirim unit {unit} ke {incident}"),
    "dispatch.notified": _l("Unit {unit} diberi tahu tentang {incident}"),
    "dispatch.acknowledged": _l("Unit {unit} menerima tugas {incident} ({actor})"),
    "dispatch.declined": _l("Unit {unit} menolak tugas {incident} ({actor}){reason}"),
    "dispatch.en_route": _l("Unit {unit} dalam perjalanan ke {incident}"),
    "dispatch.on_scene": _l("Unit {unit} tiba di lokasi {incident}"),
    "dispatch.completed": _l("Unit {unit} selesai menangani {incident}"),
    "dispatch.timed_out": _l("Unit {unit} tidak menjawab (batas waktu)"),
    "dispatch.cancelled": _l("{actor} membatalkan tugas unit {unit} untuk {incident}{reason}"),
    "dispatch.reassigned": _l("{actor} mengalihkan unit {unit} dari {incident} ke {target}"
                              "{reason}"),
    "dispatch.*": _l("Tugas unit {unit} untuk {incident}: {status}"),
    "unit.create": _l("{actor} menambah unit {entity}"),
    "unit.update": _l("{actor} mengubah unit {entity} ({fields})"),
    "unit.retire": _l("{actor} menonaktifkan unit {entity}"),
    "unit.reactivate": _l("{actor} mengaktifkan kembali unit {entity}"),
    "unit.duty": _l("{actor} menandai unit {entity} {duty}"),
    "agency.create": _l("{actor} menambah instansi {entity}"),
    "agency.update": _l("{actor} mengubah instansi {entity} ({fields})"),
    "kpi_target.set": _l("{actor} menetapkan target layanan {entity}"),
    "kpi_target.delete": _l("{actor} menghapus target layanan {entity} (kembali ke bawaan)"),
    "routing.set": _l("{actor} mengubah instansi penangan {category}: {types}"),
    "user.login": _l("{actor} masuk ke konsol"),
    "user.login_failed": _l("Gagal masuk sebagai {username} dari {client} ({reason})"),
    "user.create": _l("{actor} membuat akun {entity} ({role})"),
    "user.update": _l("{actor} mengubah akun {entity} ({fields})"),
    "user.disable": _l("{actor} menonaktifkan akun {entity}"),
    "user.enable": _l("{actor} mengaktifkan akun {entity}"),
    "user.password_reset": _l("{actor} mengatur ulang kata sandi {entity}"),
    "responder.create": _l("{actor} membuat akun kru {entity} untuk unit {unit}"),
    "responder.update": _l("{actor} memindahkan kru {entity} ke unit {unit}"),
    "responder.disable": _l("{actor} menonaktifkan akun kru {entity}"),
    "responder.enable": _l("{actor} mengaktifkan akun kru {entity}"),
    "responder.sign_in": _l("{actor} masuk di ponsel kru {entity}"),
    "responder.sign_out": _l("{actor}: kru keluar dari ponsel"),
    "responder.duty": _l("{actor} {duty}"),
    "device.register": _l("Ponsel {entity} terdaftar ({kind})"),
    "device.mute": _l("{actor} membisukan ponsel {entity} (laporan banjir tetap disimpan)"),
    "device.unmute": _l("{actor} membatalkan bisu ponsel {entity}"),
    "areas.import": _l("{actor} mengimpor wilayah (kecamatan dan desa)"),
    "device.revoke": _l("{actor} mencabut kunci ponsel {entity}"),
    "evaluation.generated": _l("{actor} membuat laporan evaluasi periode {entity}"),
    "evaluation.regenerated": _l("{actor} memperbarui laporan evaluasi periode {entity}"),
    "evaluation.written": _l("{actor} menulis evaluasi pada laporan periode {entity}"),
    "guide.publish": _l("{actor} menerbitkan Panduan Publik versi {entity}"),
    "*": _l("{actor}: {action} {entity}"),
}

WORDS: dict[str, LazyString] = {
    "system": _l("Sistem"),
    "system.escalation": _l("Sistem (eskalasi)"),
    "system.scheduler": _l("Sistem (jadwal)"),
    "reporter": _l("Pelapor (ponsel {id})"),
    "crew_phone": _l("{name} (ponsel {id})"),
    "phone": _l("ponsel {id}"),
    "client": _l("Klien {id}"),
    "user": _l("pengguna #{id}"),
    "unit": _l("unit #{id}"),
    "agency": _l("instansi #{id}"),
    "on_duty": _l("siaga"),
    "off_duty": _l("tidak siaga"),
    "duty_start": _l("mulai siaga"),
    "duty_end": _l("selesai siaga"),
    "invalid_credentials": _l("kata sandi salah atau akun nonaktif"),
    "not_staff": _l("akun kru tidak boleh masuk konsol"),
    "reason_prank": _l("iseng"), "reason_test": _l("uji coba"),
    "reason_invalid": _l("tidak valid"),
    "f.name": _l("nama"), "f.call_sign": _l("kode panggil"),
    "f.post_name": _l("nama pos"), "f.lat": _l("lokasi pos"),
    "f.lon": _l("lokasi pos"), "f.active": _l("status aktif"),
    "f.phone": _l("telepon"), "f.role": _l("peran"),
    "f.locale": _l("bahasa"),
    "citizen": _l("warga"), "responder": _l("kru"),
}


def _word(key: str, lang: str, **values) -> str:
    """A word of WORDS in the current (forced) locale; `lang` documents the caller's intent."""
    text = WORDS.get(key)
    return str(text).format(**values) if text is not None else key


@dataclass
class Names:
    """What one page of events mentions, by kind and id."""

    users: dict[int, str] = field(default_factory=dict)
    units: dict[int, str] = field(default_factory=dict)
    agencies: dict[int, str] = field(default_factory=dict)
    devices: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # kind, user name
    dispatches: dict[int, tuple[str, str]] = field(default_factory=dict)  # unit, incident no.


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def _wanted(events) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = {k: set() for k in ("user", "unit", "agency", "device",
                                                       "dispatch")}
    for e in events:
        for kind, key in ((e.actor_type, e.actor_id), (e.entity_type, e.entity_id)):
            if kind in wanted and _int(key):
                wanted[kind].add(_int(key))
        for part in (e.after or {}, e.before or {}):
            if isinstance(part, dict) and _int(part.get("unit_id")):
                wanted["unit"].add(_int(part["unit_id"]))
    return wanted


def resolve_names(events) -> Names:
    """Names of everyone and everything the events mention — one query for the whole page."""
    wanted, names = _wanted(events), Names()

    def row(kind, key, name, extra=None, incident_id=None, incident_at=None):
        # Fresh, labelled columns per part: the parts line up in a UNION ALL.
        at_type = Incident.__table__.c.created_at.type
        return sa.select(
            sa.literal(kind, sa.String).label("kind"),
            sa.cast(key, sa.BigInteger).label("key"), name.label("name"),
            (extra if extra is not None else sa.cast(sa.null(), sa.String)).label("extra"),
            sa.cast(incident_id if incident_id is not None else sa.null(),
                    sa.BigInteger).label("incident_id"),
            (incident_at if incident_at is not None else sa.cast(sa.null(), at_type))
            .label("incident_at"))

    parts = []
    if wanted["dispatch"]:
        parts.append(row("dispatch", Dispatch.id, Unit.name, None, Incident.id,
                         Incident.created_at)
                     .join_from(Dispatch, Unit, Unit.id == Dispatch.unit_id)
                     .join(Incident, Incident.id == Dispatch.incident_id)
                     .where(Dispatch.id.in_(wanted["dispatch"])))
    if wanted["user"]:
        parts.append(row("user", User.id, User.name).where(User.id.in_(wanted["user"])))
    if wanted["unit"]:
        parts.append(row("unit", Unit.id, Unit.name).where(Unit.id.in_(wanted["unit"])))
    if wanted["agency"]:
        parts.append(row("agency", Agency.id, Agency.name)
                     .where(Agency.id.in_(wanted["agency"])))
    if wanted["device"]:
        parts.append(row("device", Device.id, User.name, Device.kind)
                     .join_from(Device, User, User.id == Device.user_id, isouter=True)
                     .where(Device.id.in_(wanted["device"])))
    if not parts:
        return names
    query = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    for kind, key, name, extra, incident_id, incident_at in db.session.execute(query):
        if kind == "dispatch":
            names.dispatches[key] = (name, format_incident_number(incident_id, incident_at))
        elif kind == "user":
            names.users[key] = name
        elif kind == "unit":
            names.units[key] = name
        elif kind == "agency":
            names.agencies[key] = name
        elif kind == "device":
            names.devices[key] = (extra, name)
    return names


def actor_name(e: AuditEvent, names: Names, lang: str) -> str:
    key = _int(e.actor_id)
    if e.actor_type == "user":
        return names.users.get(key) or _word("user", lang, id=e.actor_id)
    if e.actor_type == "device":
        kind, person = names.devices.get(key, ("citizen", None))
        if person:
            return _word("crew_phone", lang, name=person, id=e.actor_id)
        return _word("reporter" if kind == "citizen" else "phone", lang, id=e.actor_id)
    if e.actor_type == "client":
        return _word("client", lang, id=e.actor_id)
    if e.actor_type == "system":
        key = f"system.{e.actor_id}"
        return _word(key if key in WORDS else "system", lang)
    return f"{e.actor_type} {e.actor_id}"


def entity_name(e: AuditEvent, names: Names, lang: str) -> str:
    key = _int(e.entity_id)
    if e.entity_type == "user":
        return names.users.get(key) or _word("user", lang, id=e.entity_id)
    if e.entity_type == "unit":
        return names.units.get(key) or _word("unit", lang, id=e.entity_id)
    if e.entity_type == "agency":
        return names.agencies.get(key) or _word("agency", lang, id=e.entity_id)
    if e.entity_type == "device":
        return e.entity_id
    if e.entity_type == "dispatch":
        unit, incident = names.dispatches.get(key, ("?", "?"))
        return f"{unit} → {incident}"
    if e.entity_type == "routing":
        return category_label(e.entity_id, lang)
    return e.entity_id  # report ref, incident number, username


def _reason(reason, lang: str) -> str:
    if not reason:
        return ""
    code, _, note = str(reason).partition(": ")
    word = _word(f"reason_{code}", lang) if f"reason_{code}" in WORDS else code
    return f"{word}: {note}" if note else word


def _fields(keys, lang: str) -> str:
    return ", ".join(dict.fromkeys(_word(f"f.{k}", lang) for k in keys))


def describe(e: AuditEvent, names: Names, lang: str = "id") -> str:
    """One event as a sentence in `lang` ("id" or "en")."""
    with force_locale(lang):
        return _describe(e, names, lang)


def _describe(e: AuditEvent, names: Names, lang: str) -> str:
    before, after = e.before or {}, e.after or {}
    family = e.action.split(".", 1)[0]
    sentence = SENTENCES.get(e.action) or SENTENCES.get(f"{family}.*") or SENTENCES["*"]
    status = after.get("status") or e.action.split(".", 1)[-1]
    unit, incident = "?", after.get("incident") or "?"
    if e.entity_type == "dispatch":
        unit, incident = names.dispatches.get(_int(e.entity_id), (after.get("unit", "?"),
                                                                  incident))
    elif e.entity_type == "unit":
        unit = names.units.get(_int(e.entity_id)) or e.entity_id
    elif _int(after.get("unit_id")):
        unit = names.units.get(_int(after["unit_id"]), "?")
    reason = _reason(after.get("reason") or after.get("status_reason"), lang)
    if e.action in ("dispatch.declined", "dispatch.cancelled", "dispatch.reassigned") \
            and reason:
        reason = f": {reason}"
    target = after.get("to") or after.get("incident") or after.get("merged_into") or \
        str(after.get("reason") or "").removeprefix("duplicate of ") or "?"
    values = {
        "actor": actor_name(e, names, lang), "entity": entity_name(e, names, lang),
        "action": e.action, "unit": unit, "incident": incident,
        "status": str(STATUS.get(status, status)),
        "reason": reason, "text": after.get("text") or after.get("note") or "",
        "before": before.get("priority", ""), "after": after.get("priority", ""),
        "category": category_label(after.get("category") or e.entity_id, lang),
        "role": after.get("role", ""), "fields": _fields(after, lang), "target": target,
        "username": after.get("username", e.entity_id), "client": after.get("client", "?"),
        "duty": _word("on_duty" if after.get("on_duty") else "off_duty", lang)
        if family == "unit" else _word("duty_start" if after.get("on_duty") else "duty_end",
                                       lang),
        "types": ", ".join(AGENCY_TYPES.get(t, {}).get(lang, t)
                           for t in after.get("agency_types") or ()),
        "kind": _word(after.get("kind", "citizen"), lang),
    }
    if e.action == "user.login_failed":
        values["reason"] = _word(after.get("reason", "invalid_credentials"), lang)
    return str(sentence).format(**values)


def describe_events(events) -> list[dict]:
    """Events as the API returns them: columns plus names and both languages' sentences."""
    names = resolve_names(events)
    return [{"id": e.id, "at": e.at, "device_at": e.device_at, "actor_type": e.actor_type,
             "actor_id": e.actor_id, "action": e.action, "entity_type": e.entity_type,
             "entity_id": e.entity_id, "before": e.before, "after": e.after,
             "actor_name": _in("id", actor_name, e, names),
             "entity_name": _in("id", entity_name, e, names),
             "description": describe(e, names, "id"),
             "description_en": describe(e, names, "en")} for e in events]



def _in(lang: str, render, *args) -> str:
    with force_locale(lang):
        return render(*args, lang)
