"""Strict marshmallow field types shared by every schema: JSON types are never coerced."""
from __future__ import annotations

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
