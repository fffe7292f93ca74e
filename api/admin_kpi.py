"""Admin API: the regency's service targets (per measure, optionally per category)."""
from __future__ import annotations

from api.admin import ERRORS, blp, commit
from backend.auth import SESSION_SECURITY, current_user
from backend.kpi import targets
from backend.kpi.measures import MEASURE_BY_NAME
from backend.kpi.schemas import TargetArgs, TargetDeleteArgs, TargetList, TargetRead

# The measure in the path, published as the list it must come from.
MEASURE_PARAMETER = [{"in": "path", "name": "measure", "required": True,
                      "schema": {"type": "string", "enum": list(MEASURE_BY_NAME)}}]
UNKNOWN = {422: "validation_error (unknown measure or category, seconds > 0, 0 < share <= 1)"}


@blp.route("/kpi-targets")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, TargetList)
@blp.errors(ERRORS)
def kpi_targets():
    """Every measure's target in force, its source (the regency's own, or the standard of a
    default) and the default it overrides."""
    return {"targets": targets.list_targets(actor=current_user())}


@blp.route("/kpi-targets/<measure>", methods=["PUT"], parameters=MEASURE_PARAMETER)
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(TargetArgs)
@blp.response(200, TargetRead)
@blp.errors({**ERRORS, **UNKNOWN})
def put_kpi_target(args, measure):
    """Set the regency's target for a measure (every category, or one): `share` of
    observations within `seconds`."""
    return commit(targets.set_target(actor=current_user(), measure=measure, **args))


@blp.route("/kpi-targets/<measure>", methods=["DELETE"], parameters=MEASURE_PARAMETER)
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(TargetDeleteArgs, location="query")
@blp.response(204)
@blp.errors({**ERRORS, **UNKNOWN, 404: "target_not_found"})
def delete_kpi_target(args, measure):
    """Remove the regency's own target: the default, if any, applies again."""
    targets.delete_target(actor=current_user(), measure=measure, **args)
    commit(None)
