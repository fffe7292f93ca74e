"""What a person reads for a group key: a category's label, a desa's name with its kecamatan, a
unit's call sign, an operator's name, a channel, an hour of the day (Bahasa Indonesia first)."""
from __future__ import annotations

import contextlib

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from backend.accounts.models import User
from backend.extensions import db
from backend.i18n import category_label, current_locale
from backend.places.models import Area
from backend.places.service import is_kelurahan
from backend.units.models import Agency, Unit

CHANNELS = {"app": _l("Aplikasi"), "call": _l("Telepon"), "sms": _l("SMS")}
# The group of items without a key, by grouping.
NO_KEY = {
    "category": _l("Tanpa kategori"),
    "kecamatan": _l("Tanpa kecamatan (tanpa lokasi atau di luar wilayah)"),
    "desa": _l("Tanpa desa (tanpa lokasi atau di luar wilayah)"),
    "agency": _l("Belum ada unit dikerahkan"),
    "unit": _l("Belum ada unit dikerahkan"),
    "operator": _l("Belum ditriase"),
    "channel": _l("Tanpa laporan"),
}


def group_labels(regency_id: int, group_by: str | None, keys: list, *,
                 lang: str | None = None) -> dict:
    """key → label for the keys of one grouping (None → the "no key" label)."""
    lang = lang or current_locale()
    context = force_locale(lang) if lang else contextlib.nullcontext()
    with context:
        return _labels(regency_id, group_by, keys, lang)


def _labels(regency_id: int, group_by: str | None, keys: list, lang: str) -> dict:
    present = [k for k in keys if k is not None]
    out = {None: str(NO_KEY[group_by]) if group_by in NO_KEY else None}
    if group_by == "category":
        out.update({k: category_label(k, lang) for k in present})
    elif group_by == "channel":
        out.update({k: str(CHANNELS.get(k, k)) for k in present})
    elif group_by == "hour":
        out.update({h: f"{h:02d}.00–{h:02d}.59" for h in present})
    elif group_by == "day":
        out.update({d: d for d in present})
    elif group_by in ("kecamatan", "desa"):
        out.update(_area_names(regency_id, group_by, present))
    elif group_by in ("unit", "agency", "operator"):
        model, name = {"unit": (Unit, Unit.call_sign), "agency": (Agency, Agency.name),
                       "operator": (User, User.name)}[group_by]
        found = dict(db.session.execute(sa.select(model.id, name).where(
            model.id.in_(present), model.regency_id == regency_id)).all()) if present else {}
        out.update({k: found.get(k, f"#{k}") for k in present})
    return out


def _area_names(regency_id: int, level: str, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = db.session.execute(sa.select(Area.code, Area.name, Area.parent_code).where(
        Area.regency_id == regency_id, Area.code.in_(codes))).all()
    if level == "kecamatan":
        return {code: name for code, name, _ in rows} | \
            {c: c for c in codes if c not in {r[0] for r in rows}}
    parents = dict(db.session.execute(sa.select(Area.code, Area.name).where(
        Area.code.in_({p for _, _, p in rows if p}))).all())
    names = {}
    for code, name, parent in rows:
        kind = "Kel." if is_kelurahan(code) else "Desa"  # place names read so in both languages
        names[code] = f"{kind} {name}, Kec. {parents.get(parent, parent)}"
    return names | {c: c for c in codes if c not in names}
