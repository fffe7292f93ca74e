"""gunicorn settings for both profiles; override with GUNICORN_CMD_ARGS or env below."""
import multiprocessing
import os
import shutil
import tempfile
import threading
import time

from gunicorn.workers.gthread import ThreadWorker

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8112')}"
# cores + 1 processes of 2 threads measured best on 2 cores (bench/ingest.py); GIL-bound work
# prefers processes, threads cover the waits on PostgreSQL.
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count() + 1))
# Each console keeps one thread busy with its live feed (server-sent events), so a shift of
# 12 operators needs headroom beyond the 2 threads that suit pure API ingestion best.
threads = int(os.environ.get("WEB_THREADS", 8))


class QueueTimedWorker(ThreadWorker):
    """gunicorn's gthread worker, plus how long each request waited for a free thread: the
    queue wait by which backend/overload.py sheds phone requests when the server is
    saturated. Stamped when the connection is handed to the thread pool (new, kept-alive or
    deferred alike), read when a thread takes it — before the thread waits for a slow
    client's bytes, which is the client's time, not the queue's."""

    def enqueue_req(self, conn):
        conn.siaga_queued_at = time.monotonic()
        super().enqueue_req(conn)

    def handle(self, conn):
        queued_at = getattr(conn, "siaga_queued_at", None)
        _thread.queue_wait = None if queued_at is None else time.monotonic() - queued_at
        return super().handle(conn)


_thread = threading.local()
worker_class = QueueTimedWorker
timeout = 30
graceful_timeout = 20
keepalive = 75  # phones on EDGE pay dearly for new TCP/TLS handshakes
accesslog = os.environ.get("ACCESS_LOG", "-") or None


def pre_request(worker, req):
    # Lets the app close a connection whose body it did not read (backend/http.py), and
    # tells it how long this request queued for a thread (backend/overload.py).
    from backend.http import remember_server_request

    remember_server_request(req, getattr(_thread, "queue_wait", None))


# Operations metrics (/metrics, backend/metrics): every worker writes its counters to one
# folder and a scrape of any worker sums them (prometheus_client multi-process mode). Set
# before any worker imports prometheus_client; a folder of our own per master unless
# PROMETHEUS_MULTIPROC_DIR names one (e.g. a tmpfs), emptied at start: counters restart with
# the server, which Prometheus' rate() and increase() handle.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(
    tempfile.gettempdir(), f"siaga112-metrics-{os.getpid()}"))


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
