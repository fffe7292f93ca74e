"""Real servers for tests: gunicorn with the project's settings, nginx with the project's
front-door configuration. Each on free loopback ports, in a temporary folder, stopped after."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NGINX_TEMPLATE = os.path.join(ROOT, "deploy", "nginx", "siaga112.conf.template")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)  # quick shutdown
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:  # workers still finishing open streams: not worth waiting
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def gunicorn(folder, **env_overrides):
    """gunicorn with gunicorn.conf.py on a migrated SQLite file seeded with the demo; yields
    its port. PASSWORD_HASH_METHOD is cheap so the demo seed takes a second."""
    os.makedirs(folder, exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder}/siaga.sqlite3",
           "PUSH_THREAD": "false", "FLASK_APP": "backend", "PORT": str(free_port()),
           "WEB_WORKERS": "2", "ACCESS_LOG": "", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
           **env_overrides}
    for command in (["db", "upgrade"], ["seed", "--demo"]):
        subprocess.run([sys.executable, "-m", "flask", *command], env=env, cwd=ROOT, check=True,
                       capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                "backend:create_app()"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for_port(int(env["PORT"]))
        yield int(env["PORT"])
    finally:
        _stop(process)


@contextlib.contextmanager
def nginx(folder, upstream_port: int):
    """nginx running deploy/nginx/siaga112.conf.template in front of `upstream_port`."""
    port = free_port()
    os.makedirs(folder, exist_ok=True)
    with open(NGINX_TEMPLATE) as f:
        site = f.read().replace("${SIAGA_LISTEN}", f"127.0.0.1:{port}").replace(
            "${SIAGA_UPSTREAM}", f"127.0.0.1:{upstream_port}")
    temp = {name: os.path.join(folder, name) for name in
            ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
{site}
}}
""")
    process = subprocess.Popen(["nginx", "-c", conf, "-p", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
