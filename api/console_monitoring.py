"""Console pages for monitoring (supervisors and admins): the weak-signal map (Peta Sinyal) and
coverage planning (Perencanaan Pos). Each is a shell; its ES module draws the map and tables
from /v1/operator/signal and /v1/operator/coverage."""
from __future__ import annotations

from flask import current_app, redirect, url_for

from api.console import _page, bp
from api.console_admin import _signed_in


@bp.route("/signal")
def signal():
    """Peta Sinyal: offline delay by desa and H3 cell, the villages where SOS wait longest."""
    if _signed_in("monitor") is None:
        return redirect(url_for("console.login"))
    config = current_app.config
    return _page("console/signal.html", script="signal", map=True,
                 config={"resolution": config["SIGNAL_H3_RESOLUTION"],
                         "thresholdS": config["SIGNAL_WAIT_THRESHOLD_S"],
                         "minCount": config["SIGNAL_MIN_COUNT"]})


@bp.route("/coverage")
def coverage():
    """Perencanaan Pos: estimated minutes per desa and the best sites for new posts."""
    if _signed_in("monitor") is None:
        return redirect(url_for("console.login"))
    config = current_app.config
    return _page("console/coverage.html", script="coverage", map=True,
                 config={"targetMinutes": config["COVERAGE_TARGET_MINUTES"],
                         "roadFactor": config["COVERAGE_ROAD_FACTOR"]})
