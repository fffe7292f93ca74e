"""Push fan-out: dispatch commit → alert at the FCM endpoint, through RQ and firebase-admin.

A real `flask worker` (RQ, forking) delivers to the local FCM stand-in, whose answers take
--fcm-latency-ms like Google's do. Measured in one run:
- latency from the dispatch's commit to the request reaching the stand-in (p50/p95);
- messages/s through one worker for a burst of dispatches to a unit with many phones;
- the same messages sent by a bare firebase-admin send_each loop (the ceiling), as a ratio.

    ./dev bench push                         # 30 single dispatches, 20 × 50-phone burst
    ./dev bench push --fcm-latency-ms 120
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import sqlalchemy as sa
from redis import Redis

from bench.common import fresh_postgres

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = "siaga112_bench_push"
REDIS_URL = "redis://127.0.0.1:6379/14"


class StandInProcess:
    """The stand-in in its own process, so it never competes with the measured code for
    the GIL; read over its control endpoints."""

    def __init__(self, latency_ms: int, port: int = 8193):
        import json
        import urllib.request

        self.url = f"http://127.0.0.1:{port}"
        self._json, self._urllib = json, urllib.request
        self.proc = subprocess.Popen([sys.executable, "-m", "push.standin", "--port", str(port)],
                                     cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                self._call("/_standin/reset", {})
                break
            except OSError:
                time.sleep(0.05)
        self._call("/_standin/faults", {"latency_ms": latency_ms})

    def _call(self, path, body=None):
        data = None if body is None else self._json.dumps(body).encode()
        with self._urllib.urlopen(self._urllib.Request(self.url + path, data=data,
                                                       method="POST" if data else "GET")) as r:
            return self._json.loads(r.read())

    @property
    def messages(self):
        return self._call("/_standin/messages")["messages"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


def pct(values, q):
    values = sorted(values)
    return values[max(0, int(len(values) * q) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fcm-latency-ms", type=int, default=60)
    parser.add_argument("--singles", type=int, default=30)
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--fork", action="store_true", help="measure `flask worker --fork`")
    args = parser.parse_args()

    url = fresh_postgres(DB)
    Redis.from_url(REDIS_URL).flushdb()

    from flask_migrate import upgrade

    from backend import create_app
    from backend.accounts.models import User
    from backend.devices.models import Device
    from backend.dispatches.service import dispatch_units
    from backend.extensions import db
    from backend.regencies.service import ensure_regency
    from backend.seed import seed_demo
    from backend.triage.service import confirm_report, create_call_report
    from backend.units.models import Unit
    from push.delivery import alert_message
    from push.fcm import FcmSender

    standin = StandInProcess(args.fcm_latency_ms)
    config = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "FCM_ENDPOINT": standin.url,
              "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "ESCALATION_SECONDS": "default=3600"}
    app = create_app(config)
    env = dict(os.environ, FLASK_APP="backend", **{k: str(v) for k, v in config.items()},
               LOG_LEVEL="WARNING")
    worker = None
    try:
        with app.app_context():
            upgrade()
            regency = ensure_regency(code="1606", name="Musi Banyuasin")
            seed_demo(regency)
            operator = db.session.scalar(sa.select(User).where(User.username == "operator1"))
            unit = db.session.scalar(sa.select(Unit).where(Unit.call_sign == "DMK-SKY-1"))
            single = db.session.scalar(sa.select(Unit).where(Unit.call_sign == "DMK-SKY-2"))
            crew = db.session.scalar(sa.select(User).where(User.username == "dmk-sky-1"))
            crew2 = db.session.scalar(sa.select(User).where(User.username == "dmk-sky-2"))
            db.session.add_all(
                [Device(regency_id=regency.id, kind="responder", platform="android",
                        app_version="bench", locale="id", key_hash=f"bench-{i}",
                        user_id=crew.id, fcm_token=f"bench-token-{i}")
                 for i in range(args.phones)] +
                [Device(regency_id=regency.id, kind="responder", platform="android",
                        app_version="bench", locale="id", key_hash="bench-single",
                        user_id=crew2.id, fcm_token="bench-single-token")])
            db.session.commit()
            incidents = []
            for i in range(args.singles + args.burst):
                report = create_call_report(actor=operator, category="fire", note=f"bench {i}",
                                            lat=-2.88, lon=103.85, caller_phone=None)
                incidents.append(confirm_report(actor=operator, ref=report.ref).number)
            db.session.commit()

            worker = subprocess.Popen([os.path.join(sys.prefix, "bin", "flask"), "worker",
                                       "--fork" if args.fork else "--no-fork"],
                                      cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            time.sleep(2)  # worker up

            def arrived(count, timeout=60):
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    messages = standin.messages
                    if len(messages) >= count:
                        return messages
                    time.sleep(0.01)
                raise AssertionError("alerts never arrived")

            latencies = []
            for i, number in enumerate(incidents[:args.singles]):
                dispatch_units(actor=operator, number=number, unit_ids=[single.id])
                db.session.commit()
                committed = time.time()
                latencies.append((arrived(i + 1)[i]["received_at"] - committed) * 1000)

            started = time.time()
            for number in incidents[args.singles:]:
                dispatch_units(actor=operator, number=number, unit_ids=[unit.id])
                db.session.commit()
            total = args.burst * args.phones
            messages = arrived(args.singles + total, timeout=300)
            # Throughput counts until the last answer, like the bare loop below.
            worker_rate = total / (messages[-1]["received_at"] + args.fcm_latency_ms / 1000
                                   - started)

            # Baseline: the bare SDK, same messages, same stand-in, batches of one dispatch.
            from backend.dispatches.models import Dispatch
            from backend.incidents.models import Incident
            sample = db.session.execute(sa.select(Dispatch, Incident).join(
                Incident, Incident.id == Dispatch.incident_id).limit(1)).one()
            sender = FcmSender(project_id="bench", endpoint=standin.url)
            batches = [[alert_message(token=f"bench-token-{i}", dispatch=sample.Dispatch,
                                      incident=sample.Incident, unit=unit, ttl_s=600)
                        for i in range(args.phones)] for _ in range(args.burst)]
            sender.send(batches[0][:1])  # warm the token
            t0 = time.perf_counter()
            for batch in batches:
                sender.send(batch)
            bare_rate = total / (time.perf_counter() - t0)
            sender.close()
    finally:
        if worker:
            worker.terminate()
            worker.wait(10)
        standin.stop()

    print(f"\nPush fan-out, FCM latency {args.fcm_latency_ms} ms, one RQ worker "
          f"({'forking' if args.fork else 'in-process'}), {os.cpu_count()} CPUs")
    print(f"dispatch commit → alert at FCM ({args.singles} dispatches): "
          f"p50 {statistics.median(latencies):.0f} ms, p95 {pct(latencies, .95):.0f} ms")
    print(f"burst {args.burst} dispatches × {args.phones} phones: {worker_rate:.0f} msg/s; "
          f"bare firebase-admin loop: {bare_rate:.0f} msg/s; ratio {worker_rate / bare_rate:.2f}")


if __name__ == "__main__":
    main()
