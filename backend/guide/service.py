"""The public guide: render a version for the public, keep it cached per version, publish edits.

Reading is one indexed query (the regency and its newest version number); the rendered JSON,
its ETag and the page data are then cached in process until a newer version appears, so the
endpoint needs no rate limit. Publishing locks the regency's row so two admins publishing at
once get versions n+1 and n+2, never the same number.
"""
from __future__ import annotations

import functools
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime

import segno
import sqlalchemy as sa
import sqlalchemy.orm

from backend.accounts.models import User
from backend.accounts.permissions import actor_ref, require
from backend.audit.service import record_event
from backend.categories import CATEGORIES
from backend.errors import ApiError, NotFound
from backend.extensions import db
from backend.guide.content import (
    EMERGENCY_NUMBER,
    PLACEHOLDERS,
    SECTION_KEYS,
    SMS_FORMAT,
    SMS_WORDS,
    default_content,
)
from backend.guide.models import GuideVersion
from backend.guide.schemas import DESA_MAX, TEXT_MAX, TITLE_MAX, GuideRead
from backend.regencies.models import Regency


@dataclass(frozen=True)
class Rendered:
    """One regency's guide in one language, ready to send: data, JSON bytes and ETag."""

    data: dict
    body: bytes
    etag: str
    stamp: tuple


class GuideCache:
    """The newest rendering per (regency, language); replaced when the version (or the SMS
    number, or the page address) changes. Bounded: one entry per regency and language."""

    def __init__(self):
        self._entries: dict[tuple, Rendered] = {}
        self._lock = threading.Lock()
        self.renders = 0  # how often a guide was rendered (tests check the cache holds)

    def get(self, key: tuple, stamp: tuple) -> Rendered | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.stamp == stamp else None

    def put(self, key: tuple, rendered: Rendered) -> None:
        with self._lock:
            self._entries[key] = rendered
            self.renders += 1


# ---- reading ----

def _newest(regency_code: str):
    """(regency id, name, version, published_at) in one statement; version 0 without edits."""
    other = sa.orm.aliased(GuideVersion)
    newest = (sa.select(sa.func.max(other.version)).where(other.regency_id == Regency.id)
              .correlate(Regency).scalar_subquery())
    row = db.session.execute(
        sa.select(Regency.id, Regency.name, GuideVersion.version, GuideVersion.published_at)
        .outerjoin(GuideVersion, sa.and_(GuideVersion.regency_id == Regency.id,
                                         GuideVersion.version == newest))
        .where(Regency.code == regency_code)).first()
    if row is None:
        raise NotFound(f"No regency {regency_code} on this server.", code="regency_not_found")
    return row.id, row.name, row.version or 0, row.published_at


def public_guide(*, regency_code: str, lang: str, sms_number: str | None, page_url: str,
                 cache: GuideCache) -> Rendered:
    """The current guide of a regency in `lang`, as the public sees it (cached per version)."""
    regency_id, regency_name, version, published_at = _newest(regency_code)
    stamp = (version, published_at, regency_name, sms_number or None, page_url)
    key = (regency_id, lang)
    cached = cache.get(key, stamp)
    if cached is not None:
        return cached
    if version:
        content = db.session.scalar(sa.select(GuideVersion.content).where(
            GuideVersion.regency_id == regency_id, GuideVersion.version == version))
    else:
        content = default_content()
    data = render(content, lang=lang, regency={"code": regency_code, "name": regency_name},
                  version=version, published_at=published_at, sms_number=sms_number or None,
                  page_url=page_url)
    body = json.dumps(GuideRead().dump(data), ensure_ascii=False,
                      separators=(",", ":")).encode()
    rendered = Rendered(data=data, body=body, stamp=stamp,
                        etag=hashlib.sha256(body).hexdigest()[:32])
    cache.put(key, rendered)
    return rendered


def render(content: dict, *, lang: str, regency: dict, version: int,
           published_at: datetime | None, sms_number: str | None, page_url: str) -> dict:
    """Stored content → what the app and the page show in `lang` (placeholders filled, text
    split into paragraphs and lists; English falls back to Bahasa per field)."""
    values = {"sms_number": sms_number or "", "emergency_number": EMERGENCY_NUMBER,
              "regency": regency["name"]}
    sections = []
    for section in content["sections"]:
        if section["key"] == "sms" and not sms_number:
            continue  # no SMS number on this server: say nothing about SMS
        text_lang = lang if section["text"].get(lang) else "id"
        title = section["title"].get(lang) or section["title"]["id"]
        sections.append({"key": section["key"], "title": fill(title, values),
                         "lang": text_lang,
                         "blocks": blocks(fill(section["text"][text_lang], values))})
    example_desa = content.get("sms_example_desa") or default_content()["sms_example_desa"]
    categories = [{"code": c["code"], "label": c["label"][lang],
                   "sms_example": sms_example(c["code"], example_desa)} for c in CATEGORIES]
    return {"regency": regency, "lang": lang, "version": version,
            "published_at": published_at, "emergency_number": EMERGENCY_NUMBER,
            "sms": {"number": sms_number, "format": SMS_FORMAT[lang],
                    "example": sms_example("fire", example_desa)},
            "page_url": page_url, "sections": sections, "categories": categories}


def sms_example(category: str, desa: str) -> str:
    return f"{SMS_WORDS[category]} di desa {desa}"


def fill(text: str, values: dict[str, str]) -> str:
    """Replace the known {placeholders}; anything else stays as written."""
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", values[name])
    return text


def blocks(text: str) -> list[dict]:
    """Plain text → paragraphs and lists: "- " starts a list item, a blank line ends a
    paragraph, other lines continue the paragraph (or the list item) above."""
    out: list[dict] = []
    current: dict | None = None
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            current = None
        elif line.startswith("- ") or line == "-":
            item = line[2:].strip()
            if current is None or current["type"] != "list":
                current = {"type": "list", "list_items": []}
                out.append(current)
            current["list_items"].append(item)
        elif current is None:
            current = {"type": "paragraph", "text": line}
            out.append(current)
        elif current["type"] == "list":
            current["list_items"][-1] += " " + line
        else:
            current["text"] += " " + line
    return [b for b in out if b.get("text") or any(b.get("list_items", ()))]


@functools.lru_cache(maxsize=8)
def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (segno; error correction M, 4-module quiet zone);
    sized by CSS through its viewBox."""
    return segno.make(url, error="m", micro=False).svg_inline(
        scale=1, border=4, omitsize=True, svgclass="qr", lineclass="qr-modules",
        title=url, dark="#000", light="#fff")


# ---- admin ----

def editable_guide(*, actor: User, version: int | None = None) -> dict:
    """A version's content for the admin form (default: the current one) with the history."""
    require(actor, "admin")
    history = db.session.execute(
        sa.select(GuideVersion.version, GuideVersion.published_at, User.name)
        .join(User, User.id == GuideVersion.author_id)
        .where(GuideVersion.regency_id == actor.regency_id)
        .order_by(GuideVersion.version.desc())).all()
    current = history[0].version if history else 0
    wanted = current if version is None else version
    if wanted == 0:
        content, published_at, author = default_content(), None, None
    else:
        row = db.session.execute(
            sa.select(GuideVersion.content, GuideVersion.published_at, User.name)
            .join(User, User.id == GuideVersion.author_id)
            .where(GuideVersion.regency_id == actor.regency_id,
                   GuideVersion.version == wanted)).first()
        if row is None:
            raise NotFound(f"No guide version {wanted}.", code="guide_version_not_found")
        content, published_at, author = row
    return {"version": wanted, "current_version": current, "published_at": published_at,
            "author": author, "section_keys": list(SECTION_KEYS),
            "sections": {s["key"]: {"title": s["title"], "text": s["text"]}
                         for s in _complete(content)["sections"]},
            "sms_example_desa": content.get("sms_example_desa") or "",
            "placeholders": ["{" + p + "}" for p in PLACEHOLDERS],
            "limits": {"title": TITLE_MAX, "text": TEXT_MAX, "sms_example_desa": DESA_MAX},
            "versions": [{"version": v, "published_at": at, "author": name}
                         for v, at, name in history]}


def _complete(content: dict) -> dict:
    """Content with every section key, in order (a key added to the code later starts from
    its built-in text), English always a string."""
    by_key = {s["key"]: s for s in content["sections"]}
    defaults = {s["key"]: s for s in default_content()["sections"]}
    sections = []
    for key in SECTION_KEYS:
        s = by_key.get(key) or defaults[key]
        sections.append({"key": key,
                         "title": {"id": s["title"]["id"], "en": s["title"].get("en") or ""},
                         "text": {"id": s["text"]["id"], "en": s["text"].get("en") or ""}})
    return {**content, "sections": sections}


def publish_guide(*, actor: User, base_version: int, sections: dict[str, dict],
                  sms_example_desa: str) -> dict:
    """Publish an edit as the regency's next version (audited). `sections` ({key: {title,
    text}}) are validated by GuideEditArgs: every key, Bahasa required. 409 version_conflict if `base_version`
    is not the current version any more (another admin published meanwhile)."""
    require(actor, "admin")
    # Serialise publishers of one regency: the row lock is held to the end of the transaction.
    db.session.execute(sa.select(Regency.id).where(Regency.id == actor.regency_id)
                       .with_for_update())
    current = db.session.scalar(sa.select(sa.func.max(GuideVersion.version)).where(
        GuideVersion.regency_id == actor.regency_id)) or 0
    if base_version != current:
        raise ApiError(f"Version {current} was published after version {base_version}; "
                       "reload and edit again.", code="version_conflict", status=409,
                       details={"current_version": current})
    content = {"sections": [{"key": key, "title": dict(sections[key]["title"]),
                             "text": dict(sections[key]["text"])} for key in SECTION_KEYS],
               "sms_example_desa": sms_example_desa}
    previous = _complete(default_content() if current == 0 else db.session.scalar(
        sa.select(GuideVersion.content).where(GuideVersion.regency_id == actor.regency_id,
                                              GuideVersion.version == current)))
    changed = [s["key"] for s, old in zip(content["sections"], previous["sections"])
               if s != old]
    if content["sms_example_desa"] != previous.get("sms_example_desa"):
        changed.append("sms_example_desa")
    version = GuideVersion(regency_id=actor.regency_id, version=current + 1,
                           author_id=actor.id, content=content)
    db.session.add(version)
    db.session.flush()
    record_event(regency_id=actor.regency_id, actor=actor_ref(actor), action="guide.publish",
                 entity=("guide", version.version), before={"version": current},
                 after={"version": version.version, "changed": changed})
    return editable_guide(actor=actor, version=version.version)


def preview_guide(*, actor: User, sections: dict[str, dict], sms_example_desa: str, lang: str,
                  sms_number: str | None, page_url: str) -> dict:
    """A draft (validated by GuideEditArgs) rendered as the public would see it once
    published; nothing is stored."""
    require(actor, "admin")
    regency = db.session.get(Regency, actor.regency_id)
    current = db.session.scalar(sa.select(sa.func.max(GuideVersion.version)).where(
        GuideVersion.regency_id == actor.regency_id)) or 0
    content = {"sections": [{"key": key, **sections[key]} for key in SECTION_KEYS],
               "sms_example_desa": sms_example_desa}
    return render(content, lang=lang,
                  regency={"code": regency.code, "name": regency.name}, version=current + 1,
                  published_at=None, sms_number=sms_number, page_url=page_url)
