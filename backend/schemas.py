"""Strict marshmallow field types shared by every schema: JSON types are never coerced."""
from __future__ import annotations

import re
from datetime import timezone

from marshmallow import fields, validate


class StrictFloat(fields.Float):
    """A JSON number (not a string, not a boolean), finite."""

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """JSON true or false only (1 == True in Python, so a set lookup alone would take 1)."""

    truthy = {True}
    falsy = {False}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# Control characters other than tab and line breaks: NUL cannot be stored by PostgreSQL and
# truncates text in C libraries; the others hide or forge what a person reads.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_PATTERN = "^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class StrictString(fields.String):
    """A JSON string (numbers are not turned into strings) without control characters (tab
    and line breaks allowed): refusing them here keeps them a 422, never a 5xx or a forged
    line. Fields that are not free text add a Regexp of their own."""

    def __init__(self, **kwargs):
        validators = kwargs.get("validate") or []
        validators = validators if isinstance(validators, (list, tuple)) else [validators]
        if not any(isinstance(v, validate.Regexp) for v in validators):  # publish the rule
            kwargs["metadata"] = {"pattern": CONTROL_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or CONTROL_CHARACTERS.search(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1


def Id(*, big: bool = False, **kwargs) -> fields.Integer:
    """A row id as a strict JSON integer within its column's range (else a 422, not a 5xx)."""
    return fields.Integer(strict=True,
                          validate=validate.Range(1, INT64_MAX if big else INT32_MAX), **kwargs)


TIME_CHARACTERS = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)")


class UTCDateTime(fields.AwareDateTime):
    """An RFC 3339 time with offset, returned in UTC, between 2000 and 2100.

    The bounds keep arithmetic (clock correction) and storage far from datetime's limits; a
    phone clock outside them is broken, not a time to store.
    """

    def __init__(self, **kwargs):
        metadata = {"pattern": r"^20\d\d" + TIME_CHARACTERS.pattern[5:] + "$",
                    **kwargs.pop("metadata", {})}
        metadata["description"] = (metadata.get("description", "") +
                                   " RFC 3339 with offset, year 2000-2099.").strip()
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        # The parser stops at a NUL or other junk and would ignore what follows: the whole
        # string must be an RFC 3339 time.
        if not isinstance(value, str) or not TIME_CHARACTERS.fullmatch(value):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if not 2000 <= parsed.year <= 2099:  # as written (the published pattern), not in UTC
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        return parsed.astimezone(timezone.utc)
