"""The public guide as the app reads it, and as an admin reads and publishes it."""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from backend.guide.content import PLACEHOLDERS, SECTION_KEYS
from backend.schemas import StrictString

LANGS = ("id", "en")
TITLE_MAX, TEXT_MAX, DESA_MAX = 100, 2000, 60
PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")
NO_LINE_BREAKS = validate.Regexp(r"^[^\x00-\x1f\x7f]*$",
                                 error="One line, no control characters.")


# ---- public: GET /v1/public/guide ----

class GuideArgs(Schema):
    lang = StrictString(load_default="id", validate=validate.OneOf(LANGS),
                        metadata={"description": "id = Bahasa Indonesia (default), en = English"})
    regency = StrictString(load_default=None, validate=validate.Regexp(r"^[0-9]{2,8}$"),
                           metadata={"description": "BPS code of the regency; default: this "
                                                    "server's (DEFAULT_REGENCY)",
                                     "example": "1606"})


class ConditionalHeaders(Schema):
    """Published so apps know to revalidate; read by werkzeug (weak/strong, lists, *)."""

    if_none_match = fields.String(data_key="If-None-Match", metadata={
        "description": "The ETag of the copy the app holds: 304 without a body if current."})


class GuideBlock(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["paragraph", "list"]))
    text = fields.String(metadata={"description": "type paragraph: the paragraph"})
    # Kept under another name inside: a dict's own .items() would stand in for a missing key.
    items = fields.List(fields.String(), attribute="list_items", data_key="items",
                        metadata={"description": "type list: its items"})


class GuideSection(Schema):
    key = fields.String(required=True, validate=validate.OneOf(SECTION_KEYS),
                        metadata={"description": "Stable; new keys may appear (show them)."})
    title = fields.String(required=True)
    lang = fields.String(required=True, validate=validate.OneOf(LANGS), metadata={
        "description": "Language of this section's text: `id` when English was asked for "
                       "but the admins have not written it yet."})
    blocks = fields.List(fields.Nested(GuideBlock), required=True)


class GuideCategory(Schema):
    code = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "In the language asked "
                                                                  "for (GET /v1/categories)."})
    sms_example = fields.String(required=True, metadata={
        "description": "A plain-text SMS for this category, e.g. KEBAKARAN di desa Kayu Ara."})


class GuideSms(Schema):
    number = fields.String(required=True, allow_none=True, metadata={
        "description": "The centre's SMS number; null when this server has none (the "
                       "`sms` section is then left out)."})
    format = fields.String(required=True, metadata={"example": "JENIS KEJADIAN di desa NAMA "
                                                                "DESA"})
    example = fields.String(required=True, metadata={"example": "KEBAKARAN di desa Kayu Ara"})


class GuideRegency(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class GuideRead(Schema):
    regency = fields.Nested(GuideRegency, required=True)
    lang = fields.String(required=True, validate=validate.OneOf(LANGS))
    version = fields.Integer(required=True, metadata={
        "description": "Grows by one with every admin edit; 0 = the built-in text."})
    published_at = fields.DateTime(required=True, allow_none=True,
                                   metadata={"description": "null for version 0"})
    emergency_number = fields.String(required=True, metadata={"example": "112"})
    sms = fields.Nested(GuideSms, required=True)
    page_url = fields.String(required=True, metadata={
        "description": "The printable public page (what the poster's QR code opens)."})
    sections = fields.List(fields.Nested(GuideSection), required=True)
    categories = fields.List(fields.Nested(GuideCategory), required=True)


# ---- admin: GET/PUT /v1/admin/guide ----

def _placeholders_known(value: str) -> None:
    unknown = sorted({m for m in PLACEHOLDER.findall(value or "") if m not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(f"Unknown placeholder(s) {', '.join('{' + u + '}' for u in unknown)}; "
                              f"allowed: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Required in Bahasa Indonesia.")


class _Localised(Schema):
    """Bahasa Indonesia required; English optional (empty = the Bahasa text is shown)."""

    @pre_load
    def normalise(self, data, **kwargs):
        if isinstance(data, dict):  # one line-ending convention; surrounding blanks dropped
            data = {k: v.replace("\r\n", "\n").strip() if isinstance(v, str) else v
                    for k, v in data.items()}
        return data


class TitleArgs(_Localised):
    id = StrictString(required=True, validate=[validate.Length(max=TITLE_MAX), NO_LINE_BREAKS,
                                               _not_blank, _placeholders_known])
    en = StrictString(load_default="", validate=[validate.Length(max=TITLE_MAX),
                                                 NO_LINE_BREAKS, _placeholders_known])


class TextArgs(_Localised):
    id = StrictString(required=True, validate=[validate.Length(max=TEXT_MAX), _not_blank,
                                               _placeholders_known],
                      metadata={"description": "Plain text: a line starting with \"- \" is a "
                                               "list item, a blank line ends a paragraph."})
    en = StrictString(load_default="", validate=[validate.Length(max=TEXT_MAX),
                                                 _placeholders_known])


class SectionArgs(Schema):
    key = StrictString(required=True, validate=validate.OneOf(SECTION_KEYS))
    title = fields.Nested(TitleArgs, required=True)
    text = fields.Nested(TextArgs, required=True)


class GuideEditArgs(Schema):
    base_version = fields.Integer(strict=True, required=True,
                                  validate=validate.Range(0, 2**31 - 1), metadata={
        "description": "The version the edit started from; if another admin published since, "
                       "the edit is refused with 409 version_conflict (nothing is lost: "
                       "reload, merge, publish again)."})
    sections = fields.List(fields.Nested(SectionArgs), required=True, metadata={
        "description": "Every section, each key once: " + ", ".join(SECTION_KEYS)})
    sms_example_desa = StrictString(required=True, validate=[
        validate.Length(min=2, max=DESA_MAX), NO_LINE_BREAKS], metadata={
        "description": "The desa named in the example SMS (KEBAKARAN di desa …)."})

    @pre_load
    def strip_desa(self, data, **kwargs):
        if isinstance(data, dict) and isinstance(data.get("sms_example_desa"), str):
            data = {**data, "sms_example_desa": data["sms_example_desa"].strip()}
        return data

    @validates_schema
    def every_section_once(self, data, **kwargs):
        keys = [s["key"] for s in data.get("sections", [])]
        missing = [k for k in SECTION_KEYS if k not in keys]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if missing or twice:
            raise ValidationError({"missing": missing, "repeated": twice}, "sections")


class GuideEditQuery(Schema):
    version = fields.Integer(validate=validate.Range(0, 2**31 - 1), metadata={
        "description": "An older version to load into the form (default: the current one)."})


class LocalisedRead(Schema):
    id = fields.String(required=True)
    en = fields.String(required=True)


class SectionRead(Schema):
    key = fields.String(required=True)
    title = fields.Nested(LocalisedRead, required=True)
    text = fields.Nested(LocalisedRead, required=True)


class VersionSummary(Schema):
    version = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)
    author = fields.String(required=True)


class GuideEditable(Schema):
    version = fields.Integer(required=True, metadata={"description": "The version shown "
                                                                     "(0 = built-in text)."})
    current_version = fields.Integer(required=True, metadata={
        "description": "What the public sees now; send it as base_version to publish."})
    published_at = fields.DateTime(required=True, allow_none=True)
    author = fields.String(required=True, allow_none=True)
    sections = fields.List(fields.Nested(SectionRead), required=True)
    sms_example_desa = fields.String(required=True)
    placeholders = fields.List(fields.String(), required=True)
    limits = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    versions = fields.List(fields.Nested(VersionSummary), required=True,
                           metadata={"description": "Every published version, newest first."})
