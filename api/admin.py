"""Admin API: agencies, units, category routing and console accounts of the admin's regency."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.accounts.schemas import UserRead
from backend.accounts.service import create_user, list_users, require
from backend.auth import SESSION_SECURITY, check_csrf, current_user
from backend.categories import CATEGORY_CODES
from backend.errors import NotFound
from backend.extensions import Blueprint, db
from backend.places.schemas import AreaImportArgs, AreaImportResult, AreaList
from backend.places.service import import_areas, list_areas
from backend.schemas import Id, StrictBoolean, StrictFloat, StrictString
from backend.units.models import AGENCY_TYPES
from backend.units.schemas import UnitRead
from backend.units.service import (
    agency_types_for,
    create_agency,
    create_unit,
    get_unit,
    list_agencies,
    set_routing,
)

blp = Blueprint("admin", __name__, url_prefix="/v1/admin", description="Regency administration")
blp.before_request(check_csrf)
STAFF_ROLES = ("operator", "supervisor", "admin")
ERRORS = {401: "not_signed_in", 403: "forbidden (admins only) or csrf_failed"}


class AgencyArgs(Schema):
    type = StrictString(required=True, validate=validate.OneOf(sorted(AGENCY_TYPES)))
    name = StrictString(required=True, validate=validate.Length(min=2, max=120))
    phone = StrictString(load_default=None, allow_none=True,
                         validate=validate.Regexp(r"^[0-9+\- ]{3,20}$"))


class AgencyRead(Schema):
    id = fields.Integer(required=True)
    type = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True)


class AgencyList(Schema):
    agencies = fields.List(fields.Nested(AgencyRead), required=True)


class UnitArgs(Schema):
    agency_id = Id(required=True)
    name = StrictString(required=True, validate=validate.Length(min=2, max=120))
    call_sign = StrictString(required=True, validate=validate.Length(min=1, max=40))
    post_name = StrictString(required=True, validate=validate.Length(min=1, max=120))
    lat = StrictFloat(required=True, validate=validate.Range(-90, 90))
    lon = StrictFloat(required=True, validate=validate.Range(-180, 180))
    on_duty = StrictBoolean(load_default=True)


class RoutingArgs(Schema):
    agency_types = fields.List(StrictString(validate=validate.OneOf(sorted(AGENCY_TYPES))),
                               required=True, validate=validate.Length(min=1, max=7))


class RoutingTable(Schema):
    routing = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          required=True)


class UserArgs(Schema):
    username = StrictString(required=True, validate=validate.Regexp(r"^[a-z0-9._-]{3,64}$"))
    name = StrictString(required=True, validate=validate.Length(min=1, max=120))
    role = StrictString(required=True, validate=validate.OneOf(STAFF_ROLES))
    password = StrictString(required=True, validate=validate.Length(min=10, max=200))
    locale = StrictString(load_default="id", validate=validate.OneOf(["id", "en"]))


class ResponderArgs(Schema):
    username = StrictString(required=True, validate=validate.Regexp(r"^[a-z0-9._-]{3,64}$"))
    name = StrictString(required=True, validate=validate.Length(min=1, max=120))
    password = StrictString(required=True, validate=validate.Length(min=10, max=200))
    locale = StrictString(load_default="id", validate=validate.OneOf(["id", "en"]))
    unit_id = Id(required=True, metadata={"description": "The unit they ride with."})


class UserList(Schema):
    users = fields.List(fields.Nested(UserRead), required=True)


@blp.route("/agencies")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, AgencyList)
@blp.errors(ERRORS)
def agencies():
    """List the regency's agencies."""
    return {"agencies": list_agencies(actor=current_user())}


@blp.route("/agencies", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(AgencyArgs)
@blp.response(201, AgencyRead)
@blp.errors(ERRORS)
def add_agency(args):
    """Add an agency."""
    agency = create_agency(actor=current_user(), **args)
    db.session.commit()
    return agency


@blp.route("/units", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(UnitArgs)
@blp.response(201, UnitRead)
@blp.errors({**ERRORS, 404: "agency_not_found"})
def add_unit(args):
    """Add a unit at a post."""
    unit = create_unit(actor=current_user(), **args)
    db.session.commit()
    return unit


@blp.route("/routing")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, RoutingTable)
@blp.errors(ERRORS)
def routing():
    """Which agency types handle each category, in order."""
    user = current_user()
    require(user, "admin")
    return {"routing": {c: agency_types_for(regency_id=user.regency_id, category=c)
                        for c in CATEGORY_CODES}}


@blp.route("/routing/<category>", methods=["PUT"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(RoutingArgs)
@blp.response(200, RoutingTable)
@blp.errors({**ERRORS, 404: "unknown category"})
def put_routing(args, category):
    """Replace the agency types that handle a category."""
    if category not in CATEGORY_CODES:
        raise NotFound(f"No category {category}.", code="category_not_found")
    types = set_routing(actor=current_user(), category=category,
                        agency_types=args["agency_types"])
    db.session.commit()
    return {"routing": {category: types}}


@blp.route("/users")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, UserList)
@blp.errors(ERRORS)
def users():
    """List the regency's console accounts."""
    return {"users": list_users(actor=current_user())}


@blp.route("/users", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(UserArgs)
@blp.response(201, UserRead)
@blp.errors({**ERRORS, 409: "username_taken"})
def add_user(args):
    """Create a console account (operator, supervisor, admin) in the admin's regency."""
    admin = current_user()
    require(admin, "admin")
    user = create_user(regency_id=admin.regency_id, **args)
    db.session.commit()
    return user


@blp.route("/responders", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(ResponderArgs)
@blp.response(201, UserRead)
@blp.errors({**ERRORS, 404: "unit_not_found", 409: "username_taken"})
def add_responder(args):
    """Create a responder account on one of the regency's units."""
    admin = current_user()
    require(admin, "admin")
    unit = get_unit(actor=admin, unit_id=args.pop("unit_id"))
    user = create_user(regency_id=admin.regency_id, role="responder", **args)
    user.unit_id = unit.id
    db.session.commit()
    return user


@blp.route("/areas")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, AreaList)
@blp.errors(ERRORS)
def areas():
    """The regency's kecamatan and desa with their desa and report counts."""
    return list_areas(actor=current_user())


@blp.route("/areas", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(AreaImportArgs)
@blp.response(200, AreaImportResult)
@blp.errors({**ERRORS, 422: "validation_error (details.features: problems by feature index)"})
def import_areas_(args):
    """Import areas from a GeoJSON FeatureCollection (insert or update by code)."""
    result = import_areas(actor=current_user(), collection=args)
    db.session.commit()
    return result.as_dict()

