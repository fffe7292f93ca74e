"""The real stack as processes, for tests, benchmarks and the chaos matrix: gunicorn with the
project's settings, nginx with the project's front door, a private PostgreSQL cluster and a
private redis-server (so faults never touch the machine's shared ones), the FCM stand-in and
the push worker. Everything on free loopback ports, in temporary folders, stopped after."""
from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NGINX_TEMPLATE = os.path.join(ROOT, "deploy", "nginx", "siaga112.conf.template")
CHEAP_PASSWORDS = {"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}  # a demo seed in a second


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def stop_process(process: subprocess.Popen, quick: signal.Signals = signal.SIGINT) -> None:
    if process.poll() is not None:
        return
    process.send_signal(quick)
    try:
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:  # still finishing open streams: not worth waiting
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def app_env(database_url: str, **overrides) -> dict:
    return {**os.environ, "DATABASE_URL": database_url, "PUSH_THREAD": "false",
            "FLASK_APP": "backend", "ACCESS_LOG": "", "LOG_LEVEL": "WARNING",
            "DEMO_HISTORY_DAYS": "0",  # units free and an empty inbox: the tests count on it
            **CHEAP_PASSWORDS, **{k: str(v) for k, v in overrides.items()}}


def prepare_database(env: dict) -> None:
    """Migrate and seed the demo (users, agencies, units, areas) through the real CLI."""
    for command in (["db", "upgrade"], ["seed", "--demo"]):
        subprocess.run([sys.executable, "-m", "flask", *command], env=env, cwd=ROOT, check=True,
                       capture_output=True)


class Gunicorn:
    """gunicorn -c gunicorn.conf.py (or `config`, e.g. gunicorn.feed.conf.py, the live-feed
    server); `workers()` lists its worker pids (to kill one)."""

    def __init__(self, env: dict, config: str = "gunicorn.conf.py"):
        self.port = free_port()
        self.env = {**env, "PORT": str(self.port), "FEED_PORT": str(self.port),
                    "WEB_WORKERS": env.get("WEB_WORKERS", "2")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", config, "backend:create_app()"],
            env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        wait_for_port(self.port)
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until a worker answers: the master listens before its workers have loaded the app,
        and a request waiting in the listen backlog meanwhile counts as queued (behind nginx,
        a phone's request could be shed as overload: backend/overload.py)."""
        ends = time.monotonic() + timeout
        while True:
            try:  # any answer will do; a path no test counts (an unmatched 404)
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stack/ready",
                                       timeout=timeout).close()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if time.monotonic() > ends:
                    raise
            time.sleep(0.1)

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True,
                             text=True).stdout
        return [int(pid) for pid in out.split()]

    def stop(self) -> None:
        stop_process(self.process)


@contextlib.contextmanager
def gunicorn(folder, **env_overrides):
    """gunicorn on a migrated SQLite file seeded with the demo; yields its port."""
    os.makedirs(folder, exist_ok=True)
    env = app_env(f"sqlite:///{folder}/siaga.sqlite3", **env_overrides)
    prepare_database(env)
    server = Gunicorn(env)
    try:
        yield server.port
    finally:
        server.stop()


@contextlib.contextmanager
def nginx(folder, upstream_port: int, feed_port: int | None = None):
    """nginx running deploy/nginx/siaga112.conf.template in front of `upstream_port` (and of
    the live-feed server on `feed_port`; without one, feeds go to `upstream_port` too)."""
    port = free_port()
    os.makedirs(folder, exist_ok=True)
    with open(NGINX_TEMPLATE) as f:
        site = f.read().replace("${SIAGA_LISTEN}", f"127.0.0.1:{port}").replace(
            "${SIAGA_UPSTREAM}", f"127.0.0.1:{upstream_port}").replace(
            "${SIAGA_FEED_UPSTREAM}", f"127.0.0.1:{feed_port or upstream_port}")
    temp = "\n".join(f"    {name}_temp_path {folder}/{name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
                f"error_log {folder}/error.log warn;\nevents {{ worker_connections 4096; }}\n"
                f"http {{\n    access_log off;\n{temp}\n{site}\n}}\n")
    process = subprocess.Popen(["nginx", "-c", conf, "-p", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _pg_bin(name: str) -> str:
    versions = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: int(v))
    return f"/usr/lib/postgresql/{versions[-1]}/bin/{name}"


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb in a temporary folder) that a fault may stop or
    restart; never the machine's shared server. As root, it runs as the postgres user."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="siaga-pg-")
        os.chmod(self.folder, 0o755)
        self.data, self.port = os.path.join(self.folder, "data"), free_port()
        self._as = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run(_pg_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        self.start()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args):
        subprocess.run([*self._as, *args], check=True, capture_output=True)

    def _ctl(self, action: str, *extra: str) -> None:
        self._run(_pg_bin("pg_ctl"), "-D", self.data, "-w", "-l",
                  os.path.join(self.folder, "log"), action, *extra)

    def start(self) -> None:
        self._ctl("start", "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                                 f"-c fsync=off -c max_connections=200")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                  f"-c fsync=off -c max_connections=200")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("stop", "-m", "immediate")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    """A throwaway redis-server a fault may stop and start again."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(self.port)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


class ControlEndpoints:
    """A stand-in process at `url`, driven over its JSON control endpoints (/_standin/...)."""

    url: str
    call_timeout_s = 10

    def call(self, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data,
                                         method="POST" if data else "GET",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.call_timeout_s) as response:
            return json.loads(response.read())


class StandIn(ControlEndpoints):
    """The FCM stand-in in its own process, driven over its control endpoints."""

    def __init__(self, latency_ms: int = 0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, "-m", "push.standin", "--port",
                                         str(self.port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_for_port(self.port)
        self.call("/_standin/faults", {"latency_ms": latency_ms})

    @property
    def messages(self) -> list[dict]:
        return self.call("/_standin/messages")["messages"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class PushWorker:
    """`flask worker`: RQ jobs and the outbox relay; its output goes to `log_path` if given
    (kept for the post-mortem of a fault)."""

    def __init__(self, env: dict, log_path: str | None = None):
        self.env, self.log_path = env, log_path
        self.process = None
        self.start()

    def start(self) -> None:
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "flask", "worker"], cwd=ROOT,
                                            env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        finally:
            if self.log_path:
                out.close()  # the child has its own copy

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM)


def slow_clients(port: int, count: int, stop: threading.Event) -> None:
    """The slow-client attack: `count` connections to `port` trickling a request header one
    byte every 2 s, from a background thread, until `stop` is set (then they close)."""
    header = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.setblocking(False)
        sockets.append(sock)

    def trickle():
        position = 0
        while not stop.is_set() and position < len(header):
            for sock in sockets:
                with contextlib.suppress(OSError):  # the server may have dropped it: fine
                    sock.send(header[position:position + 1])
            position += 1
            stop.wait(2)
        for sock in sockets:
            sock.close()

    threading.Thread(target=trickle, daemon=True).start()
