"""Admin API: agencies, units, category routing, console accounts and crew of the admin's
regency.

Every endpoint needs a signed-in admin, checked before any argument is parsed (a blueprint
before_request): a stranger gets 401, an operator 403 — never a 422 that shows the schema.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from backend.accounts import service as accounts
from backend.accounts.schemas import UserRead
from backend.auth import SESSION_SECURITY, check_csrf, current_user, require_signed_in_staff
from backend.categories import CATEGORY_CODES
from backend.errors import NotFound
from backend.extensions import Blueprint, db
from backend.places.schemas import AreaImportArgs, AreaImportResult, AreaList
from backend.places.service import import_areas, list_areas
from backend.responders import service as responders
from backend.schemas import Id, StrictBoolean, StrictFloat, StrictString
from backend.units import service as units
from backend.units.models import AGENCY_TYPES
from backend.units.schemas import UnitList, UnitRead

blp = Blueprint("admin", __name__, url_prefix="/v1/admin", description="Regency administration")
blp.before_request(check_csrf)
blp.before_request(require_signed_in_staff("admin"))
STAFF_ROLES = accounts.STAFF_ROLES
ERRORS = {401: "not_signed_in", 403: "forbidden (admins only) or csrf_failed"}

USERNAME = validate.Regexp(r"^[a-z0-9._-]{3,64}$")
PHONE = validate.Regexp(r"^[0-9+\- ]{3,20}$")
PASSWORD = validate.Length(min=accounts.MIN_PASSWORD, max=200)


def commit(result):
    db.session.commit()
    return result


# ---- schemas ----

class AgencyArgs(Schema):
    type = StrictString(required=True, validate=validate.OneOf(sorted(AGENCY_TYPES)))
    name = StrictString(required=True, validate=validate.Length(min=2, max=120))
    phone = StrictString(load_default=None, allow_none=True, validate=PHONE)


class AgencyPatch(Schema):
    name = StrictString(validate=validate.Length(min=2, max=120))
    phone = StrictString(allow_none=True, validate=PHONE,
                         metadata={"description": "null clears it"})


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


class UnitPatch(Schema):
    name = StrictString(validate=validate.Length(min=2, max=120))
    call_sign = StrictString(validate=validate.Length(min=1, max=40))
    post_name = StrictString(validate=validate.Length(min=1, max=120))
    lat = StrictFloat(validate=validate.Range(-90, 90))
    lon = StrictFloat(validate=validate.Range(-180, 180))
    active = StrictBoolean(metadata={"description": "false retires the unit, true brings it "
                                                    "back"})


class RoutingArgs(Schema):
    agency_types = fields.List(StrictString(validate=validate.OneOf(sorted(AGENCY_TYPES))),
                               required=True, validate=validate.Length(min=1, max=7))


class RoutingTable(Schema):
    routing = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          required=True)


class UserArgs(Schema):
    username = StrictString(required=True, validate=USERNAME)
    name = StrictString(required=True, validate=validate.Length(min=1, max=120))
    role = StrictString(required=True, validate=validate.OneOf(STAFF_ROLES))
    password = StrictString(required=True, validate=PASSWORD)
    locale = StrictString(load_default="id", validate=validate.OneOf(["id", "en"]))


class UserPatch(Schema):
    name = StrictString(validate=validate.Length(min=1, max=120))
    role = StrictString(validate=validate.OneOf(STAFF_ROLES),
                        metadata={"description": "a change ends the user's sessions"})
    locale = StrictString(validate=validate.OneOf(["id", "en"]))


class PasswordArgs(Schema):
    password = StrictString(required=True, validate=PASSWORD)


class UserList(Schema):
    users = fields.List(fields.Nested(UserRead), required=True)


class ResponderArgs(Schema):
    username = StrictString(required=True, validate=USERNAME)
    name = StrictString(required=True, validate=validate.Length(min=1, max=120))
    password = StrictString(required=True, validate=PASSWORD)
    locale = StrictString(load_default="id", validate=validate.OneOf(["id", "en"]))
    unit_id = Id(required=True, metadata={"description": "The unit they ride with."})


class ResponderPatch(Schema):
    unit_id = Id(required=True)


class CrewMemberRead(Schema):
    id = fields.Integer(required=True, attribute="user.id")
    username = fields.String(required=True, attribute="user.username")
    name = fields.String(required=True, attribute="user.name")
    locale = fields.String(required=True, attribute="user.locale")
    active = fields.Boolean(required=True, attribute="user.active")
    on_duty = fields.Boolean(required=True, attribute="user.on_duty")
    unit_id = fields.Integer(allow_none=True, attribute="user.unit_id")
    unit_name = fields.String(allow_none=True)
    unit_call_sign = fields.String(allow_none=True)
    devices_signed_in = fields.Integer(required=True, metadata={
        "description": "Phones (not revoked) this account is signed in on."})


class CrewList(Schema):
    responders = fields.List(fields.Nested(CrewMemberRead), required=True)


# ---- agencies ----

@blp.route("/agencies")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, AgencyList)
@blp.errors(ERRORS)
def agencies():
    """List the regency's agencies."""
    return {"agencies": units.list_agencies(actor=current_user())}


@blp.route("/agencies", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(AgencyArgs)
@blp.response(201, AgencyRead)
@blp.errors(ERRORS)
def add_agency(args):
    """Add an agency."""
    return commit(units.create_agency(actor=current_user(), **args))


@blp.route("/agencies/<int:agency_id>", methods=["PATCH"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(AgencyPatch)
@blp.response(200, AgencyRead)
@blp.errors({**ERRORS, 404: "agency_not_found"})
def edit_agency(args, agency_id):
    """Edit an agency's name or phone."""
    return commit(units.update_agency(actor=current_user(), agency_id=agency_id, **args))


# ---- units ----

@blp.route("/units")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, UnitList)
@blp.errors(ERRORS)
def unit_list():
    """Every unit of the regency, retired ones included."""
    return {"units": units.list_units(actor=current_user(), include_retired=True)}


@blp.route("/units", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(UnitArgs)
@blp.response(201, UnitRead)
@blp.errors({**ERRORS, 404: "agency_not_found"})
def add_unit(args):
    """Add a unit at a post."""
    return commit(units.create_unit(actor=current_user(), **args))


@blp.route("/units/<int:unit_id>", methods=["PATCH"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(UnitPatch)
@blp.response(200, UnitRead)
@blp.errors({**ERRORS, 404: "unit_not_found", 409: "unit_on_dispatch (cannot retire)"})
def edit_unit(args, unit_id):
    """Edit a unit: name, call sign, post and its place; retire or bring back."""
    return commit(units.update_unit(actor=current_user(), unit_id=unit_id, **args))


# ---- routing ----

@blp.route("/routing")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, RoutingTable)
@blp.errors(ERRORS)
def routing():
    """Which agency types handle each category, in order."""
    user = current_user()
    return {"routing": {c: units.agency_types_for(regency_id=user.regency_id, category=c)
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
    types = units.set_routing(actor=current_user(), category=category,
                              agency_types=args["agency_types"])
    return commit({"routing": {category: types}})


# ---- console accounts ----

@blp.route("/users")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, UserList)
@blp.errors(ERRORS)
def users():
    """List the regency's console accounts."""
    return {"users": accounts.list_users(actor=current_user())}


@blp.route("/users", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(UserArgs)
@blp.response(201, UserRead)
@blp.errors({**ERRORS, 409: "username_taken"})
def add_user(args):
    """Create a console account (operator, supervisor, admin) in the admin's regency."""
    return commit(accounts.add_user(actor=current_user(), **args))


@blp.route("/users/<int:user_id>", methods=["PATCH"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(UserPatch)
@blp.response(200, UserRead)
@blp.errors({**ERRORS, 404: "user_not_found",
             409: "last_admin (the regency's last active admin cannot be demoted)"})
def edit_user(args, user_id):
    """Edit a console account's name, role or language (a role change ends its sessions)."""
    return commit(accounts.update_user(actor=current_user(), user_id=user_id, **args))


@blp.route("/users/<int:user_id>/disable", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, UserRead)
@blp.errors({**ERRORS, 404: "user_not_found",
             409: "last_admin (the regency's last active admin cannot be disabled)"})
def disable_user(user_id):
    """Disable an account (console or crew): every session and crew phone of it stops."""
    return commit(accounts.set_user_active(actor=current_user(), user_id=user_id,
                                           active=False))


@blp.route("/users/<int:user_id>/enable", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, UserRead)
@blp.errors({**ERRORS, 404: "user_not_found"})
def enable_user(user_id):
    """Enable a disabled account again."""
    return commit(accounts.set_user_active(actor=current_user(), user_id=user_id,
                                           active=True))


@blp.route("/users/<int:user_id>/password", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(PasswordArgs)
@blp.response(200, UserRead)
@blp.errors({**ERRORS, 404: "user_not_found"})
def reset_password(args, user_id):
    """Set a new password (at least 10 characters); every session of the user ends."""
    return commit(accounts.reset_password(actor=current_user(), user_id=user_id, **args))


# ---- crew ----

@blp.route("/responders")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, CrewList)
@blp.errors(ERRORS)
def responder_list():
    """The regency's crew accounts with their unit, phones signed in and duty."""
    return {"responders": responders.list_responders(actor=current_user())}


@blp.route("/responders", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(ResponderArgs)
@blp.response(201, UserRead)
@blp.errors({**ERRORS, 404: "unit_not_found", 409: "username_taken"})
def add_responder(args):
    """Create a responder account on one of the regency's units."""
    return commit(responders.create_responder(actor=current_user(), **args))


@blp.route("/responders/<int:user_id>", methods=["PATCH"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(ResponderPatch)
@blp.response(200, UserRead)
@blp.errors({**ERRORS, 404: "responder_not_found, unit_not_found"})
def edit_responder(args, user_id):
    """Move a crew member to another unit (disable: POST /users/{id}/disable)."""
    return commit(responders.set_responder_unit(actor=current_user(), user_id=user_id,
                                                **args))


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



from api import admin_kpi  # noqa: E402,F401  (service targets)
from api import admin_guide  # noqa: E402,F401  (the public guide: GET/PUT /v1/admin/guide)
