"""The live feed: the regency's changes as server-sent events."""
from __future__ import annotations

from flask import Response, current_app, request, stream_with_context

from api.operator import STAFF_ERRORS, blp
from backend.accounts.permissions import require
from backend.auth import SESSION_SECURITY, current_user
from backend.errors import ApiError
from backend.extensions import db
from backend.feed.service import Cursor
from backend.feed.stream import events
from backend.metrics.instruments import FEED_STREAMS


@blp.route("/feed")
@blp.doc(security=SESSION_SECURITY, responses={"200": {
    "description": "text/event-stream of regency changes; each event's id is the cursor.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
@blp.errors({**STAFF_ERRORS, 422: "invalid_cursor",
             429: "too_many_feeds: this user's or this server's live feeds are all in use; "
                  "poll the inbox meanwhile (Retry-After)"})
def feed():
    """Stream the regency's changes as server-sent events (resume with Last-Event-ID).

    Operators and supervisors only; FEED_MAX_PER_USER streams per user and
    FEED_MAX_PER_WORKER per web process, so feeds never take the threads phones need."""
    user = current_user()
    require(user, "feed")
    cursor = Cursor.decode(request.headers.get("Last-Event-ID") or request.args.get("cursor"))
    regency_id, user_id = user.regency_id, user.id
    db.session.rollback()
    slots = current_app.extensions["siaga.feed_slots"]
    refused = slots.acquire(user_id)
    if refused:
        raise ApiError("All live feeds are in use; the console polls meanwhile.",
                       code="too_many_feeds", status=429, headers={"Retry-After": "30"},
                       details={"limit": refused})
    source = current_app.extensions["siaga.feed_source"]  # FEED_WAKEUP: poll or hub
    source.open(regency_id)
    FEED_STREAMS.inc()

    def release():
        FEED_STREAMS.dec()
        source.close(regency_id)
        slots.release(user_id)

    response = Response(stream_with_context(events(source, regency_id=regency_id,
                                                   cursor=cursor)),
                        mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    response.call_on_close(release)  # however the stream ends
    return response
