"""Audit events as sentences people read: Bahasa Indonesia first, English second.

One describer for the audit log and the incident timeline. The names of the people, units,
phones and agencies an event mentions are resolved for a whole page in ONE query (never one
per event); then each event becomes a sentence such as
"Operator Satu mengirim unit Damkar Sekayu 1 ke 112-2026-000003".

The (Bahasa Indonesia, English) pairs live in SENTENCES and WORDS below only, so they move to
the gettext catalogue as msgid/msgstr pairs without touching the logic. Names and citizen text
are data: they are substituted into our templates, never interpreted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import sqlalchemy as sa

from backend.accounts.models import User
from backend.audit.models import AuditEvent
from backend.devices.models import Device
from backend.dispatches.models import Dispatch
from backend.extensions import db
from backend.i18n import STATUS, category_label
from backend.incidents.models import Incident, format_incident_number
from backend.units.models import AGENCY_TYPES, Agency, Unit

LANGS = ("id", "en")

# action → (Bahasa Indonesia, English). Placeholders: actor, entity, unit, incident, status,
# reason, text, before, after, category, role, fields, target, username, client, duty, types.
SENTENCES: dict[str, tuple[str, str]] = {
    "report.create": ("{actor} mengirim laporan {entity} ({category})",
                      "{actor} sent report {entity} ({category})"),
    "report.create_call": ("{actor} mencatat laporan telepon {entity} ({category})",
                           "{actor} entered call report {entity} ({category})"),
    "report.confirmed": ("{actor} mengonfirmasi laporan {entity}",
                         "{actor} confirmed report {entity}"),
    "report.rejected": ("{actor} menolak laporan {entity} ({reason})",
                        "{actor} rejected report {entity} ({reason})"),
    "report.merged": ("{actor} menggabungkan laporan {entity} ke {target}",
                      "{actor} merged report {entity} into {target}"),
    "report.cancelled": ("{actor} membatalkan laporan {entity}",
                         "{actor} cancelled report {entity}"),
    "report.split": ("{actor} memisahkan laporan {entity} menjadi {target}",
                     "{actor} split report {entity} into {target}"),
    "report.update_note": ("{actor} mengubah keterangan laporan {entity}",
                           "{actor} changed the note of report {entity}"),
    "report.*": ("{actor} mengubah status laporan {entity} menjadi {status}",
                 "{actor} set report {entity} to {status}"),
    "incident.create": ("{actor} membuka kejadian {entity} ({category})",
                        "{actor} opened incident {entity} ({category})"),
    "incident.note": ("{actor} menambah catatan pada {entity}: “{text}”",
                      "{actor} added a note to {entity}: “{text}”"),
    "incident.priority": ("{actor} mengubah prioritas {entity} dari {before} menjadi {after}",
                          "{actor} changed the priority of {entity} from {before} to {after}"),
    "incident.duplicate": ("{actor} menutup {entity} sebagai duplikat dari {target}",
                           "{actor} closed {entity} as a duplicate of {target}"),
    "incident.*": ("{actor} mengubah status {entity} menjadi {status}",
                   "{actor} set {entity} to {status}"),
    "dispatch.create": ("{actor} mengirim unit {unit} ke {incident}",
                        "{actor} dispatched unit {unit} to {incident}"),
    "dispatch.notified": ("Unit {unit} diberi tahu tentang {incident}",
                          "Unit {unit} was alerted about {incident}"),
    "dispatch.acknowledged": ("Unit {unit} menerima tugas {incident} ({actor})",
                              "Unit {unit} acknowledged {incident} ({actor})"),
    "dispatch.declined": ("Unit {unit} menolak tugas {incident} ({actor}){reason}",
                          "Unit {unit} declined {incident} ({actor}){reason}"),
    "dispatch.en_route": ("Unit {unit} dalam perjalanan ke {incident}",
                          "Unit {unit} is en route to {incident}"),
    "dispatch.on_scene": ("Unit {unit} tiba di lokasi {incident}",
                          "Unit {unit} arrived at {incident}"),
    "dispatch.completed": ("Unit {unit} selesai menangani {incident}",
                           "Unit {unit} completed {incident}"),
    "dispatch.timed_out": ("Unit {unit} tidak menjawab (batas waktu)",
                           "Unit {unit} did not answer (timed out)"),
    "dispatch.cancelled": ("{actor} membatalkan tugas unit {unit} untuk {incident}{reason}",
                           "{actor} cancelled unit {unit}'s dispatch to {incident}{reason}"),
    "dispatch.*": ("Tugas unit {unit} untuk {incident}: {status}",
                   "Unit {unit}'s dispatch to {incident}: {status}"),
    "unit.create": ("{actor} menambah unit {entity}", "{actor} added unit {entity}"),
    "unit.update": ("{actor} mengubah unit {entity} ({fields})",
                    "{actor} changed unit {entity} ({fields})"),
    "unit.retire": ("{actor} menonaktifkan unit {entity}", "{actor} retired unit {entity}"),
    "unit.reactivate": ("{actor} mengaktifkan kembali unit {entity}",
                        "{actor} brought unit {entity} back into service"),
    "unit.duty": ("{actor} menandai unit {entity} {duty}", "{actor} marked unit {entity} {duty}"),
    "agency.create": ("{actor} menambah instansi {entity}", "{actor} added agency {entity}"),
    "agency.update": ("{actor} mengubah instansi {entity} ({fields})",
                      "{actor} changed agency {entity} ({fields})"),
    "routing.set": ("{actor} mengubah instansi penangan {category}: {types}",
                    "{actor} changed who handles {category}: {types}"),
    "user.login": ("{actor} masuk ke konsol", "{actor} signed in to the console"),
    "user.login_failed": ("Gagal masuk sebagai {username} dari {client} ({reason})",
                          "Failed sign-in as {username} from {client} ({reason})"),
    "user.create": ("{actor} membuat akun {entity} ({role})",
                    "{actor} created account {entity} ({role})"),
    "user.update": ("{actor} mengubah akun {entity} ({fields})",
                    "{actor} changed account {entity} ({fields})"),
    "user.disable": ("{actor} menonaktifkan akun {entity}",
                     "{actor} disabled account {entity}"),
    "user.enable": ("{actor} mengaktifkan akun {entity}", "{actor} enabled account {entity}"),
    "user.password_reset": ("{actor} mengatur ulang kata sandi {entity}",
                            "{actor} reset the password of {entity}"),
    "responder.create": ("{actor} membuat akun kru {entity} untuk unit {unit}",
                         "{actor} created crew account {entity} on unit {unit}"),
    "responder.update": ("{actor} memindahkan kru {entity} ke unit {unit}",
                         "{actor} moved crew member {entity} to unit {unit}"),
    "responder.disable": ("{actor} menonaktifkan akun kru {entity}",
                          "{actor} disabled crew account {entity}"),
    "responder.enable": ("{actor} mengaktifkan akun kru {entity}",
                         "{actor} enabled crew account {entity}"),
    "responder.sign_in": ("{actor} masuk di ponsel kru {entity}",
                          "{actor} signed in on crew phone {entity}"),
    "responder.sign_out": ("{actor}: kru keluar dari ponsel", "{actor}: crew signed out"),
    "responder.duty": ("{actor} {duty}", "{actor} {duty}"),
    "device.register": ("Ponsel {entity} terdaftar ({kind})", "Phone {entity} registered ({kind})"),
    "device.revoke": ("{actor} mencabut kunci ponsel {entity}",
                      "{actor} revoked the key of phone {entity}"),
    "*": ("{actor}: {action} {entity}", "{actor}: {action} {entity}"),
}

WORDS: dict[str, tuple[str, str]] = {
    "system": ("Sistem", "System"),
    "system.escalation": ("Sistem (eskalasi)", "System (escalation)"),
    "reporter": ("Pelapor (ponsel {id})", "Reporter (phone {id})"),
    "crew_phone": ("{name} (ponsel {id})", "{name} (phone {id})"),
    "phone": ("ponsel {id}", "phone {id}"),
    "client": ("Klien {id}", "Client {id}"),
    "user": ("pengguna #{id}", "user #{id}"),
    "unit": ("unit #{id}", "unit #{id}"),
    "agency": ("instansi #{id}", "agency #{id}"),
    "on_duty": ("siaga", "on duty"),
    "off_duty": ("tidak siaga", "off duty"),
    "duty_start": ("mulai siaga", "went on duty"),
    "duty_end": ("selesai siaga", "went off duty"),
    "invalid_credentials": ("kata sandi salah atau akun nonaktif",
                            "wrong password or disabled account"),
    "not_staff": ("akun kru tidak boleh masuk konsol", "crew accounts may not use the console"),
    "reason_prank": ("iseng", "prank"), "reason_test": ("uji coba", "test"),
    "reason_invalid": ("tidak valid", "invalid"),
    "f.name": ("nama", "name"), "f.call_sign": ("kode panggil", "call sign"),
    "f.post_name": ("nama pos", "post name"), "f.lat": ("lokasi pos", "post location"),
    "f.lon": ("lokasi pos", "post location"), "f.active": ("status aktif", "active"),
    "f.phone": ("telepon", "phone"), "f.role": ("peran", "role"),
    "f.locale": ("bahasa", "language"),
    "citizen": ("warga", "citizen"), "responder": ("kru", "responder"),
}


def _word(key: str, lang: str, **values) -> str:
    pair = WORDS.get(key, (key, key))
    return pair[LANGS.index(lang)].format(**values)


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
        return _word("system.escalation" if e.actor_id == "escalation" else "system", lang)
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
    before, after = e.before or {}, e.after or {}
    family = e.action.split(".", 1)[0]
    pair = SENTENCES.get(e.action) or SENTENCES.get(f"{family}.*") or SENTENCES["*"]
    status = after.get("status") or e.action.split(".", 1)[-1]
    unit, incident = "?", after.get("incident") or "?"
    if e.entity_type == "dispatch":
        unit, incident = names.dispatches.get(_int(e.entity_id), (after.get("unit", "?"),
                                                                  incident))
    elif _int(after.get("unit_id")):
        unit = names.units.get(_int(after["unit_id"]), "?")
    reason = _reason(after.get("reason") or after.get("status_reason"), lang)
    if e.action in ("dispatch.declined", "dispatch.cancelled") and reason:
        reason = f": {reason}"
    target = after.get("incident") or after.get("merged_into") or \
        str(after.get("reason") or "").removeprefix("duplicate of ") or "?"
    values = {
        "actor": actor_name(e, names, lang), "entity": entity_name(e, names, lang),
        "action": e.action, "unit": unit, "incident": incident,
        "status": STATUS.get(status, (status, status))[LANGS.index(lang)],
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
    return pair[LANGS.index(lang)].format(**values)


def describe_events(events) -> list[dict]:
    """Events as the API returns them: columns plus names and both languages' sentences."""
    names = resolve_names(events)
    return [{"id": e.id, "at": e.at, "device_at": e.device_at, "actor_type": e.actor_type,
             "actor_id": e.actor_id, "action": e.action, "entity_type": e.entity_type,
             "entity_id": e.entity_id, "before": e.before, "after": e.after,
             "actor_name": actor_name(e, names, "id"),
             "entity_name": entity_name(e, names, "id"),
             "description": describe(e, names, "id"),
             "description_en": describe(e, names, "en")} for e in events]

