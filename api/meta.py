"""Public, unauthenticated endpoints: health, liveness and the category list."""
from __future__ import annotations

import sqlalchemy as sa
from marshmallow import Schema, fields

from backend.categories import CATEGORIES
from flask import current_app

from backend.extensions import SHED_ERRORS, Blueprint, db

blp = Blueprint("meta", __name__, url_prefix="/v1", description="Service metadata")


class Label(Schema):
    id = fields.String(required=True, metadata={"description": "Bahasa Indonesia"})
    en = fields.String(required=True)


class Category(Schema):
    code = fields.String(required=True)
    label = fields.Nested(Label, required=True)


class CategoryList(Schema):
    categories = fields.List(fields.Nested(Category), required=True)


class Health(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)


class Ping(Schema):
    status = fields.String(required=True)


@blp.route("/categories")
@blp.response(200, CategoryList, headers={"Cache-Control": {"schema": {"type": "string"}}})
@blp.errors(SHED_ERRORS)
def categories():
    """List report categories with their labels."""
    return {"categories": CATEGORIES}, 200, {"Cache-Control": "public, max-age=3600"}


@blp.route("/health")
@blp.response(200, Health)
def health():
    """Report whether the service and its database answer."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok", "database": db.session.get_bind().dialect.name}


@blp.route("/ping")
@blp.response(200, Ping)
def ping():
    """Liveness without the database: the cheapest JSON answer of the API (the benchmark's
    baseline for what the framework alone costs)."""
    return current_app.json.response({"status": "ok"})
