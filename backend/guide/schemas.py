"""The public guide as the app reads it, and as an admin reads and publishes it."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, post_load, validate

from backend.guide.content import PLACEHOLDERS, SECTION_KEYS
from backend.schemas import StrictString

LANGS = ("id", "en")
TITLE_MAX, TEXT_MAX, DESA_MAX = 100, 2000, 60


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

# Braces only around a known placeholder; no control characters (titles: no line breaks);
# Bahasa Indonesia required: at least one character that is not a space. Written as patterns
# so the spec states exactly what the server checks (schemathesis holds both to it).
# Braces in classes: a bare one is invalid in an ECMA-262 "u" pattern once tools rewrite it.
_PLACEHOLDER = r"[{](?:" + "|".join(PLACEHOLDERS) + r")[}]"


def _pattern(line_breaks: bool, required: bool) -> str:
    controls = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f" if line_breaks else r"\x00-\x1f\x7f"
    unit = rf"(?:[^{{}}{controls}]|{_PLACEHOLDER})"
    visible = rf"(?:[^{{}}\x00-\x20\x7f]|{_PLACEHOLDER})"
    # Optional text is empty or, like required text, not blank (spelt so that schemathesis
    # keeps the pattern as is: its rewrite of `^X*$` leaves a bare brace).
    return rf"^{unit}*{visible}{unit}*$" if required else rf"^(?:{unit}*{visible}{unit}*)?$"


class _Whole(validate.Regexp):
    """A Regexp that must match the whole value (Python's $ would also accept a trailing
    line break that the published pattern refuses)."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self.error)  # a fixed message: it shows braces itself
        return value


_RULE = ("Braces only around {" + "}, {".join(PLACEHOLDERS) + "}; no control characters")


def _text(*, required: bool, line_breaks: bool, max_length: int, **kwargs) -> StrictString:
    rule = _Whole(_pattern(line_breaks, required), error=_RULE + (
        "; required in Bahasa Indonesia." if required else "; empty or not blank.") + (
        "" if line_breaks else " One line."))
    length = validate.Length(min=1 if required else 0, max=max_length)
    return StrictString(validate=[length, rule], **({"required": True} if required else
                                                    {"load_default": ""}), **kwargs)


class _Localised(Schema):
    """Bahasa Indonesia required; English optional (empty = the Bahasa text is shown)."""

    @post_load
    def normalise(self, data, **kwargs):
        # One line-ending convention and no surrounding blanks, once the rules have passed.
        return {k: v.replace("\r\n", "\n").strip() for k, v in data.items()}


class TitleArgs(_Localised):
    id = _text(required=True, line_breaks=False, max_length=TITLE_MAX)
    en = _text(required=False, line_breaks=False, max_length=TITLE_MAX)


class TextArgs(_Localised):
    id = _text(required=True, line_breaks=True, max_length=TEXT_MAX, metadata={
        "description": "Plain text: a line starting with \"- \" is a list item, a blank line "
                       "ends a paragraph."})
    en = _text(required=False, line_breaks=True, max_length=TEXT_MAX)


class SectionArgs(Schema):
    title = fields.Nested(TitleArgs, required=True)
    text = fields.Nested(TextArgs, required=True)


# Every section by its key, each required once: a shape JSON Schema states exactly.
SectionsArgs = Schema.from_dict({key: fields.Nested(SectionArgs, required=True)
                                 for key in SECTION_KEYS}, name="GuideSectionsArgs")


class GuideEditArgs(Schema):
    base_version = fields.Integer(strict=True, required=True,
                                  validate=validate.Range(0, 2**31 - 1), metadata={
        "description": "The version the edit started from; if another admin published since, "
                       "the edit is refused with 409 version_conflict (nothing is lost: "
                       "reload, merge, publish again)."})
    sections = fields.Nested(SectionsArgs, required=True, metadata={
        "description": "Every section by key: " + ", ".join(SECTION_KEYS)})
    sms_example_desa = StrictString(required=True, validate=[
        validate.Length(min=2, max=DESA_MAX),
        _Whole(_pattern(False, True), error=_RULE + "; one line, not blank.")],
        metadata={"description": "The desa named in the example SMS (KEBAKARAN di desa …)."})

    @post_load
    def strip_desa(self, data, **kwargs):
        return {**data, "sms_example_desa": data["sms_example_desa"].strip()}


class GuideEditQuery(Schema):
    version = fields.Integer(validate=validate.Range(0, 2**31 - 1), metadata={
        "description": "An older version to load into the form (default: the current one)."})


class LocalisedRead(Schema):
    id = fields.String(required=True)
    en = fields.String(required=True)


class SectionRead(Schema):
    title = fields.Nested(LocalisedRead, required=True)
    text = fields.Nested(LocalisedRead, required=True)


SectionsRead = Schema.from_dict({key: fields.Nested(SectionRead, required=True)
                                 for key in SECTION_KEYS}, name="GuideSectionsRead")


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
    sections = fields.Nested(SectionsRead, required=True,
                             metadata={"description": "By key, as PUT takes them."})
    section_keys = fields.List(fields.String(), required=True,
                               metadata={"description": "The sections in reading order."})
    sms_example_desa = fields.String(required=True)
    placeholders = fields.List(fields.String(), required=True)
    limits = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    versions = fields.List(fields.Nested(VersionSummary), required=True,
                           metadata={"description": "Every published version, newest first."})
