"""HTTP blueprints by audience. Views parse with a schema, call one service, return a schema."""
from __future__ import annotations


def register_blueprints(api) -> None:
    from api.admin import blp as admin
    from api.aml import blp as aml
    from api.citizen import blp as citizen
    from api.devices import blp as devices
    from api.meta import blp as meta
    from api.operator import blp as operator
    from api.public import blp as public
    from api.responder import blp as responder
    from api.sms import blp as sms
    from sync.views import blp as sync

    for blueprint in (meta, public, devices, sync, citizen, responder, operator, admin, sms,
                      aml):
        api.register_blueprint(blueprint)
    # Cross-field rules a marshmallow schema cannot publish by itself.
    from backend.dispatches.schemas import DISPATCH_ARGS_OPENAPI
    api.spec.components.schemas["DispatchArgs"].update(DISPATCH_ARGS_OPENAPI)
