"""Extension objects, created unbound; create_app() binds them. Nothing here touches a database."""
from __future__ import annotations

import flask_smorest
import marshmallow as ma
from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException

from backend.errors import (
    ApiError,
    api_error_response,
    http_exception_response,
    unexpected_error_response,
)
from backend.jsonio import loads_strict

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()


class StrictParser(FlaskParser):
    """webargs parser that uses the project's strict JSON and error codes.

    Unknown query parameters are refused (a misspelt filter is a client bug); unknown JSON
    fields follow each schema's own Meta.unknown.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
                                   "query": ma.RAISE, "querystring": ma.RAISE}

    def _raw_load_json(self, req):
        data = req.get_data(cache=True)
        if not data:
            return ma.missing
        if not req.is_json:
            raise ApiError("Send the body as application/json.", code="unsupported_media_type",
                           status=415)
        return loads_strict(data)


class ErrorDetail(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable snake_case code."})
    message = ma.fields.String(required=True, metadata={"description": "Human-readable, English."})
    details = ma.fields.Dict(metadata={"description": "Per-field messages or limits."})


class ErrorSchema(ma.Schema):
    error = ma.fields.Nested(ErrorDetail, required=True)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def errors(self, responses: dict[int, str]):
        """Document error responses (all in the single error shape) with their codes."""
        def decorator(func):
            for status, description in responses.items():
                func = self.alt_response(status, schema=ErrorSchema, description=description)(func)
            return func
        return decorator


AUTH_ERRORS = {401: "missing_device_key, invalid_device_key or revoked_device_key"}
# The phone's routes the overload guard may shed (backend/overload.py SHEDDABLE).
SHED = "unavailable: the server is busy (details.reason queue_wait or pool_wait) or the " \
    "database is away; nothing was applied, retry after Retry-After (PROTOCOL.md §6)"
SHED_ERRORS = {503: SHED}


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        self._app.register_error_handler(ApiError, api_error_response)
        self._app.register_error_handler(HTTPException, http_exception_response)
        self._app.register_error_handler(Exception, unexpected_error_response)

