"""gunicorn settings for both profiles; override with GUNICORN_CMD_ARGS or env below."""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8112')}"
# cores + 1 processes of 2 threads measured best on 2 cores (bench/ingest.py); GIL-bound work
# prefers processes, threads cover the waits on PostgreSQL.
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count() + 1))
# Each console keeps one thread busy with its live feed (server-sent events), so a shift of
# 12 operators needs headroom beyond the 2 threads that suit pure API ingestion best.
threads = int(os.environ.get("WEB_THREADS", 8))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 75  # phones on EDGE pay dearly for new TCP/TLS handshakes
accesslog = os.environ.get("ACCESS_LOG", "-") or None


def pre_request(worker, req):
    # Lets the app close a connection whose body it did not read (backend/http.py).
    from backend.http import remember_server_request

    remember_server_request(req)
