"""Monitoring maps (supervisors and admins): the weak-signal map and coverage planning."""
from __future__ import annotations

from api.operator import STAFF_ERRORS, blp, requires
from backend.auth import SESSION_SECURITY, current_user
from backend.coverage.schemas import CoverageArgs, CoveragePlan
from backend.coverage.service import coverage_map
from backend.signal.schemas import SignalArgs, SignalMap
from backend.signal.service import signal_map


@blp.route("/signal")
@requires("monitor")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(SignalArgs, location="query")
@blp.response(200, SignalMap)
@blp.errors(STAFF_ERRORS)
def signal(args):
    """Offline delay (captured → received) per desa and H3 cell, and the slowest villages."""
    return signal_map(actor=current_user(), **args)


@blp.route("/coverage")
@requires("monitor")
@blp.doc(security=SESSION_SECURITY)
@blp.arguments(CoverageArgs, location="query")
@blp.response(200, CoveragePlan)
@blp.errors(STAFF_ERRORS)
def coverage(args):
    """Estimated minutes per desa from the nearest post and the best sites for new posts."""
    return coverage_map(actor=current_user(), **args)
