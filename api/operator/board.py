"""The supervisor's live board."""
from __future__ import annotations

from api.operator import STAFF_ERRORS, blp, requires
from backend.auth import SESSION_SECURITY, current_user
from backend.board.schemas import BoardRead
from backend.board.service import live_board


@blp.route("/board")
@requires("monitor")
@blp.doc(security=SESSION_SECURITY)
@blp.response(200, BoardRead)
@blp.errors(STAFF_ERRORS)
def board():
    """The live board: waiting reports, open incidents, units, escalations, alerts, today."""
    return live_board(actor=current_user())
