"""Domain events other packages subscribe to, so that `backend` never imports them.

Receivers run synchronously inside the sender's transaction (the push outbox is written
in the very transaction that creates the dispatch).
"""
from blinker import Namespace

_events = Namespace()

# sender: the Dispatch; kwargs: incident, unit
dispatch_created = _events.signal("dispatch-created")

# sender: the Dispatch an operator cancelled (reassigned its unit); its queued alerts go
dispatch_cancelled = _events.signal("dispatch-cancelled")
