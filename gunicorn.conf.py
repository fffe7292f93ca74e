"""gunicorn settings for both profiles; override with GUNICORN_CMD_ARGS or env below."""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8112')}"
workers = int(os.environ.get("WEB_WORKERS", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("WEB_THREADS", 2))
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 75  # phones on EDGE pay dearly for new TCP/TLS handshakes
accesslog = "-"
