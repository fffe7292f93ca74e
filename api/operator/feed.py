"""The live feed: the regency's changes as server-sent events."""
from __future__ import annotations

import json
import time

from flask import Response, request, stream_with_context

from api.operator import STAFF_ERRORS, blp
from backend.auth import SESSION_SECURITY, current_user
from backend.extensions import db
from backend.feed.service import Cursor, read_changes

FEED_SECONDS = 55     # a stream ends before proxies time out; EventSource reconnects itself
FEED_POLL_S = 0.5


@blp.route("/feed")
@blp.doc(security=SESSION_SECURITY, responses={"200": {
    "description": "text/event-stream of regency changes; each event's id is the cursor.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}}}})
@blp.errors({**STAFF_ERRORS, 422: "invalid_cursor"})
def feed():
    """Stream the regency's changes as server-sent events (resume with Last-Event-ID)."""
    user = current_user()
    cursor = Cursor.decode(request.headers.get("Last-Event-ID") or request.args.get("cursor"))
    regency_id = user.regency_id
    db.session.rollback()

    def events():
        nonlocal cursor
        deadline, last_sent = time.monotonic() + FEED_SECONDS, time.monotonic()
        yield "retry: 1000\n\n"
        while time.monotonic() < deadline:
            changes, cursor, _ = read_changes(regency_id=regency_id, cursor=cursor, limit=200)
            db.session.rollback()  # end the read: release SQLite's lock, PostgreSQL's snapshot
            for c in changes:
                data = json.dumps({"id": c.seq, "type": c.type, "data": c.data})
                yield f"id: {cursor.encode()}\nevent: change\ndata: {data}\n\n"
                last_sent = time.monotonic()
            if time.monotonic() - last_sent > 15:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            time.sleep(FEED_POLL_S)

    return Response(stream_with_context(events()), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
