"""Units: the regency's units and their duty."""
from __future__ import annotations

from api.operator import STAFF_ERRORS, blp, commit
from backend.auth import SESSION_SECURITY, current_user
from backend.units.schemas import DutyArgs, UnitList, UnitRead
from backend.units.service import list_units, set_unit_duty


@blp.route("/units")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, UnitList)
@blp.errors(STAFF_ERRORS)
def units():
    """All units of the regency: duty, availability, position (GPS or post), crew phones."""
    return {"units": list_units(actor=current_user())}


@blp.route("/units/<int:unit_id>/duty", methods=["POST"])
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(DutyArgs)
@blp.response(200, UnitRead)
@blp.errors({**STAFF_ERRORS, 404: "unit_not_found"})
def unit_duty(args, unit_id):
    """Mark a unit on or off duty."""
    return commit(set_unit_duty(actor=current_user(), unit_id=unit_id,
                                 on_duty=args["on_duty"]))
