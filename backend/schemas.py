"""Strict marshmallow field types shared by every schema: JSON types are never coerced."""
from __future__ import annotations

from datetime import datetime, timezone

from marshmallow import fields


class StrictFloat(fields.Float):
    """A JSON number (not a string, not a boolean), finite."""

    def _validated(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """JSON true or false only."""

    truthy = {True}
    falsy = {False}


class StrictString(fields.String):
    """A JSON string (numbers are not turned into strings)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class UTCDateTime(fields.AwareDateTime):
    """An RFC 3339 time with offset, returned in UTC, between 2000 and 2100.

    The bounds keep arithmetic (clock correction) and storage far from datetime's limits; a
    phone clock outside them is broken, not a time to store.
    """

    EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
    LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = parsed.astimezone(timezone.utc)
        except OverflowError:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None
        if not self.EARLIEST <= parsed < self.LATEST:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        return parsed
