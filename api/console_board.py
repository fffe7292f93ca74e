"""Papan Pantau: the supervisor's live board page (supervisors, admins); its module reads
GET /v1/operator/board and follows the live feed."""
from __future__ import annotations

from flask import abort, redirect, request, url_for

from api.console import _page, bp
from api.console_kpi import _measures
from backend.accounts.service import PERMISSIONS
from backend.auth import signed_in_user
from backend.board.service import TODAY_MEASURES
from backend.feed.service import feed_head
from backend.units.service import UNIT_STATES

WALL_REFRESH_S = 30   # the wall screen refetches this often even when the feed is quiet


@bp.route("/board")
def board():
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    if user.role not in PERMISSIONS["monitor"]:
        abort(403)
    wall = request.args.get("wall") in ("1", "true")
    labels = {m["name"]: m for m in _measures()}
    return _page("console/board.html", script="board", wall=wall, unit_states=UNIT_STATES,
                 today_measures=[labels[name] for name in TODAY_MEASURES],
                 config={"cursor": feed_head(regency_id=user.regency_id).encode(),
                         "canFeed": user.role in PERMISSIONS["feed"], "wall": wall,
                         "wallRefreshS": WALL_REFRESH_S, "unitStates": list(UNIT_STATES)})
