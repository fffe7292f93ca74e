"""gunicorn for the live feed only: nginx routes /v1/operator/feed here (deploy/nginx).

    gunicorn -c gunicorn.feed.conf.py 'backend:create_app()'     # beside gunicorn.conf.py

The same app and the same stream as the API server; only the serving changes. On
gunicorn.conf.py every open feed holds one of the request threads phones need, so a process
allows only FEED_MAX_PER_WORKER (4) of them. Here a gevent worker holds each feed as a
greenlet (a few kB) and one poller per process reads the database for all of them
(FEED_WAKEUP=hub, backend/feed/hub.py), so one process holds hundreds of consoles and wall
screens while the API's threads stay free. Everything else (hooks, metrics folder,
timeouts) comes from gunicorn.conf.py.
"""
import os

# Before the app is imported (gunicorn loads it in each worker, after this file ran).
os.environ.setdefault("FEED_WAKEUP", "hub")
os.environ.setdefault("FEED_MAX_PER_WORKER", "1000")

_BASE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gunicorn.conf.py")
with open(_BASE) as _f:
    exec(compile(_f.read(), _BASE, "exec"))

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('FEED_PORT', '8115')}"
# One process holds every feed (per-process limits and one poller); a second one only past
# a few thousand feeds, or for a restart without a gap.
workers = int(os.environ.get("FEED_WORKERS", 1))
worker_class = "gevent"
# Connections one worker takes at once: above FEED_MAX_PER_WORKER, so a feed beyond the
# limit still gets its quick 429 (and the console polls) instead of waiting in the backlog.
worker_connections = int(os.environ.get("FEED_CONNECTIONS", 2000))
