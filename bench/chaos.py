"""The chaos matrix: the whole stack under faults, with reference offline clients as phones.

nginx → gunicorn (2 workers) → a private PostgreSQL and a private Redis → `flask worker` →
the FCM stand-in, all real processes (bench/stack.py). For each fault, a crowd of phones
(mobile_contract/client.py: persistent queue, backoff, Retry-After) comes back online with
1–3 queued SOS each while an operator confirms reports and dispatches units (alerts through
the outbox), and the fault strikes mid-run. Then it checks, from the database and the
stand-in: every queued report stored exactly once, every committed alert delivered or
visibly failed.

    ./dev chaos                              # 200 phones per fault, every fault
    ./dev chaos --phones 30 --faults worker_kill,postgres_restart

`sms_gateway_down`: a third of the phones have no data at first and also send their SOS as
S1 SMS (PROTOCOL.md §13) through the SMS gateway stand-in (SMS_GATEWAY=standin, its own
process); the gateway is stopped mid-run — inbound SMS wait at the gateway (retried until
it is back, as the SMSC retries) and the replies the worker sends fail and are retried with
backoff — and started again. Then: every SOS stored once (the SMS and /v1/sync copies are
the same op), and exactly one reply SMS per SOS that came by SMS, none lost, none twice.
Replies the operator sends from the console while the gateway is down are retried and sent
once. `gammu_stopped` is the same with the production gateway, on a stack of its own: the
real gammu-smsd (Gammu's dummy phone) is stopped — SMS reaching the modem wait in it,
replies wait in its outbox — and started again.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import random
import signal
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
import sqlalchemy as sa

from bench.gammu import Smsd
from bench.stack import (
    ControlEndpoints,
    Gunicorn,
    PrivatePostgres,
    PrivateRedis,
    PushWorker,
    StandIn,
    app_env,
    free_port,
    nginx,
    prepare_database,
    slow_clients,
)
from mobile_contract.client import SiagaClient

CATEGORIES = ("fire", "health", "accident", "natural_disaster")
# Musi Banyuasin, roughly: phones report from across the regency.
LAT, LON = (-3.1, -1.9), (103.3, 104.5)


@dataclass
class Result:
    fault: str
    sent: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    alerts_committed: int = 0
    alerts_delivered: int = 0
    alerts_failed_visibly: int = 0
    alerts_unsettled: int = 0
    sms_in: int = 0            # SOS that (also) came by SMS (sms_gateway_down)
    sms_replied: int = 0       # replies that reached the gateway: one per SOS by SMS
    sms_replies_lost: int = 0
    sms_replies_duplicated: int = 0
    sms_waited: int = 0        # inbound SMS that had to wait for the gateway to return
    sms_retried: int = 0       # outgoing SMS that needed more than one attempt
    p99_ms: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.alerts_unsettled == 0 and \
            self.sms_replies_lost == 0 and self.sms_replies_duplicated == 0


SMS_SECRET = "chaos-sms-secret"


class SmsGateway(ControlEndpoints):
    """The SMS gateway stand-in (backend/sms/gateways/standin.py) in its own process, on a
    fixed port so it can be stopped and started again. What it sent is kept across
    restarts (its own list is in memory). Inbound SMS go through it to the app's signed
    webhook: with the gateway down they cannot, and wait (the SMSC retries)."""

    name = "standin"
    call_timeout_s = 15

    def env(self) -> dict:
        return {"SMS_GATEWAY": "standin", "SMS_STANDIN_URL": self.url,
                "SMS_WEBHOOK_SECRET": SMS_SECRET}

    def deliver(self, base: str, number: str, text: str) -> bool:
        try:
            return self.call("/_standin/inject", {
                "webhook": base + "/v1/sms/webhook", "secret": SMS_SECRET, "text": text,
                "from": number}).get("status") == 200
        except OSError:
            return False

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sent_before: list[dict] = []
        self.process = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.sms.gateways.standin", "--port", str(self.port)],
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                self.call("/_standin/sent")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("SMS stand-in did not start")

    def stop(self) -> None:
        try:
            self.sent_before += self.call("/_standin/sent")["sent"]
        except OSError:
            pass
        self.process.terminate()
        self.process.wait(10)

    def sent(self) -> list[tuple[str, str]]:
        """(number, text) of every SMS the gateway was asked to send, in order."""
        return [(m["phoneNumbers"][0], m["text"])
                for m in self.sent_before + self.call("/_standin/sent")["sent"]]

    def reset(self) -> None:
        self.sent_before = []
        self.call("/_standin/reset", {})


class GammuModem(Smsd):
    """The production gateway: the real gammu-smsd on Gammu's dummy phone (bench/gammu.py).
    An inbound SMS is put in the phone's memory, as the modem receives it — that works with
    smsd stopped: the SMS waits in the modem. Replies are written to the outbox by
    gammu-smsd-inject (also with smsd stopped) and sent when it runs; what was sent is read
    from its sent folder."""

    name = "gammu"

    def __init__(self, root: str):
        super().__init__(root, folders=("processed",))

    def env(self) -> dict:
        return {"SMS_GATEWAY": "gammu", "SMS_GAMMU_CONFIG": self.rc,
                "SMS_GAMMU_DONE_PATH": os.path.join(self.root, "processed")}

    def deliver(self, base: str, number: str, text: str) -> bool:
        return self.savesms(number, text).returncode == 0

    def sent(self) -> list[tuple[str, str]]:
        from backend.sms.gateways.gammu import parse_backup

        folder = os.path.join(self.root, "sent")
        out = []
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                number, text, _ = parse_backup(f.read())
            out.append((number, text))
        return out

    def reset(self) -> None:
        pass


class Stack:
    """Every process of the reference deployment, private to this run."""

    def __init__(self, sms_gateway: str = "standin"):
        self.sms_gateway = sms_gateway

    def __enter__(self):
        self.folder = tempfile.mkdtemp(prefix="siaga-chaos-")
        self.pg, self.redis, self.standin = PrivatePostgres(), PrivateRedis(), StandIn()
        self.sms = GammuModem(os.path.join(self.folder, "gammu")) \
            if self.sms_gateway == "gammu" else SmsGateway()
        self.env = app_env(self.pg.url, REDIS_URL=self.redis.url, FCM_ENDPOINT=self.standin.url,
                           **self.sms.env(), SMS_BACKOFF_CAP_S=4,
                           SMS_LIMIT_PER_NUMBER="100000/minute",
                           TRUSTED_PROXIES=1, ESCALATION_SECONDS="default=3600",
                           REGISTRATION_LIMIT_PER_ADDRESS="100000/minute",
                           REGISTRATION_LIMIT_GLOBAL="100000/minute")
        prepare_database(self.env)
        self.web = Gunicorn(self.env)
        self.worker = PushWorker(self.env, log_path=os.path.join(self.folder, "worker.log"))
        self._nginx = nginx(os.path.join(self.folder, "nginx"), self.web.port)
        self.port = self._nginx.__enter__()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = sa.create_engine(self.pg.url, pool_pre_ping=True)
        return self

    def __exit__(self, *exc):
        self._nginx.__exit__(*exc)
        for part in (self.worker, self.web, self.standin, self.sms, self.redis):
            part.stop()
        self.db.dispose()
        self.pg.destroy()

    def query(self, sql: str, **params):
        for attempt in range(20):  # the fault may still be restarting PostgreSQL
            try:
                with self.db.connect() as conn:
                    return conn.execute(sa.text(sql), params).all()
            except sa.exc.OperationalError:
                time.sleep(0.5)
        raise RuntimeError("database unreachable")


class Operator:
    """A console user over HTTP (session cookie + CSRF), as the console does it."""

    def __init__(self, base: str, username: str = "operator1"):
        self.base, self.http = base, requests.Session()
        token = self.http.get(base + "/v1/operator/session", timeout=30).json()["csrf_token"]
        signed = self.http.post(base + "/v1/operator/session", timeout=10,
                                json={"username": username, "password": "siaga112-demo"},
                                headers={"X-CSRF-Token": token})
        signed.raise_for_status()
        self.csrf = signed.json()["csrf_token"]

    def get(self, path):
        return self.http.get(self.base + path, timeout=30)

    def post(self, path, body=None):
        return self.http.post(self.base + path, json=body or {}, timeout=10,
                              headers={"X-CSRF-Token": self.csrf})


def token(unit_id: int, suffix: str = "") -> str:
    return f"chaos-token-{unit_id:04d}{suffix}"


class Crews:
    """One signed-in responder phone per unit, each with its own push token."""

    def __init__(self, base: str, units: list[dict]):
        self.base, self.keys = base, {}
        for unit in units:
            key = requests.post(base + "/v1/devices", timeout=10, json={
                "platform": "android", "app_version": "chaos", "kind": "responder"}).json()[
                "device_key"]
            auth = {"Authorization": f"Bearer {key}"}
            requests.post(base + "/v1/responder/session", headers=auth, timeout=10, json={
                "username": unit["call_sign"].lower(), "password": "siaga112-demo"}
            ).raise_for_status()
            requests.put(base + "/v1/responder/push-token", headers=auth, timeout=10,
                         json={"token": token(unit["id"])}).raise_for_status()
            self.keys[unit["id"]] = key

    def complete(self, unit_id: int, dispatch_id: int) -> None:
        for _ in range(20):
            try:
                answer = requests.post(f"{self.base}/v1/responder/dispatches/{dispatch_id}/status",
                                       json={"status": "completed"}, timeout=10,
                                       headers={"Authorization": f"Bearer {self.keys[unit_id]}"})
                if answer.status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)


def _timed(phone: SiagaClient, latencies: list[float]) -> None:
    request = phone._request

    def timed(method, path, body=None, **kwargs):
        started = time.monotonic()
        try:
            return request(method, path, body, **kwargs)
        finally:
            if path == "/v1/sync":
                latencies.append(time.monotonic() - started)
    phone._request = timed


class Faults:
    """Each fault: start() mid-run, stop() a few seconds later."""

    def __init__(self, stack: Stack, rng: random.Random):
        self.stack, self.rng = stack, rng
        self._stop = threading.Event()
        self.extra_ops: list[str] = []

    def start(self, name: str) -> None:
        s = self.stack
        if name == "worker_kill":          # kill -9 a web worker in the middle of batches
            os.kill(self.rng.choice(s.web.workers()), signal.SIGKILL)
        elif name == "postgres_restart":
            s.pg.restart()
        elif name == "redis_down":
            s.redis.stop()
        elif name == "fcm_storm":          # 429 with Retry-After, 500s, an unregistered token
            s.standin.call("/_standin/faults", {
                "script": [{"status": 429, "retry_after": 1}] * 6 + [{"status": 500}] * 4 +
                          [{"status": 503}] * 2,
                "unregistered": [token(1)]})
        elif name in SMS_FAULTS:            # the gateway phone / gammu-smsd stopped
            s.sms.stop()
        elif name == "slow_clients":
            self._stop.clear()
            slow_clients(s.port, 100, self._stop)
        elif name == "sos_flood":          # one phone sends 1,000 SOS in 50 batches
            flooder = SiagaClient(s.base, rng=random.Random(7), backoff_base=0.05,
                                  backoff_cap=1.0)
            flooder.register()
            for _ in range(1000):
                self.extra_ops.append(flooder.sos("fire", -2.88, 103.85, "flood", silent=True))
            flooder.batch = 20
            threading.Thread(target=flooder.flush, kwargs={"deadline_s": 120},
                             daemon=True).start()
            self.flooder = flooder

    def stop(self, name: str) -> None:
        if name == "redis_down":
            self.stack.redis.start()
        elif name in SMS_FAULTS:
            self.stack.sms.start()
        elif name == "slow_clients":
            self._stop.set()
        elif name == "sos_flood":
            deadline = time.monotonic() + 120
            while self.flooder.queued() and time.monotonic() < deadline:
                time.sleep(0.5)


FAULTS = ("none", "worker_kill", "postgres_restart", "redis_down", "fcm_storm", "slow_clients",
          "sos_flood", "sms_gateway_down", "gammu_stopped")
# SMS gateway faults, and the gateway each needs (gammu_stopped runs on its own stack).
SMS_FAULTS = {"sms_gateway_down": "standin", "gammu_stopped": "gammu"}


def deliver_sms(stack: Stack, messages: list[tuple[str, str]], deadline_s: float = 120
                ) -> tuple[int, int]:
    """The inbound side: each (number, S1 text) reaches the centre through the gateway
    (its signed webhook). While the gateway is down the SMS waits and is retried, as the
    SMSC retries delivery. Returns (delivered, how many had to wait)."""
    pending, waited = list(messages), set()
    deadline = time.monotonic() + deadline_s
    while pending and time.monotonic() < deadline:
        left = []
        for message in pending:
            # The stand-in refuses while down (the SMS waits and is retried); the modem
            # takes it into its memory, where it waits for smsd.
            if stack.sms.name == "gammu" and stack.sms.down():
                waited.add(message)
            if not stack.sms.deliver(stack.base, *message):
                waited.add(message)
                left.append(message)
        pending = left
        if pending:
            time.sleep(0.2)
    return len(messages) - len(pending), len(waited)


def operator_replies(operator: "Operator", refs: list[str], deadline_s: float = 30) -> int:
    """While the gateway is down the operator answers SMS reports from the console: each
    reply is queued (committed) and its sending fails until the gateway is back."""
    queued, deadline = 0, time.monotonic() + deadline_s
    for ref in refs:
        while time.monotonic() < deadline:
            try:
                if operator.post(f"/v1/operator/reports/{ref}/sms",
                                 {"text": f"Chaos balasan {ref}"}).status_code == 201:
                    queued += 1
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
    return queued


def run_fault(stack: Stack, crews: Crews, fault: str, phones_n: int, dispatches_n: int,
              seed: int) -> Result:
    rng = random.Random(seed)
    result = Result(fault)
    stack.standin.call("/_standin/reset", {})
    latencies: list[float] = []
    phones = []
    for i in range(phones_n):
        phone = SiagaClient(stack.base, rng=random.Random(seed * 1000 + i), backoff_base=0.05,
                            backoff_cap=1.0, timeout=30)
        phone.register()
        for _ in range(rng.randint(1, 3)):
            phone.sos(rng.choice(CATEGORIES), rng.uniform(*LAT), rng.uniform(*LON), "chaos")
        _timed(phone, latencies)
        phones.append(phone)
    queued = [op["id"] for p in phones for op in p.queued()]
    by_sms: list[tuple[str, str]] = []
    faults = Faults(stack, rng)
    operator = Operator(stack.base)
    early_refs: list[str] = []
    if fault in SMS_FAULTS:
        stack.sms.reset()
        for i, phone in enumerate(phones[: max(2, phones_n // 3)]):
            by_sms += [(f"+628129900{i:04d}", phone.sos_sms(op["id"]))
                       for op in phone.queued()]
        # The first half arrives before the fault (their reports get the operator's reply
        # while the gateway is down); the rest waits at the gateway during it.
        early = by_sms[: len(by_sms) // 2]
        result.sms_in, _ = deliver_sms(stack, early)
        stored_by = time.monotonic() + 60    # a modem's inbox is scanned by the worker
        while time.monotonic() < stored_by and stack.query(
                "SELECT count(*) FROM sms_messages WHERE direction = 'in' AND kind = "
                "'compact'")[0][0] < len(early):
            time.sleep(0.5)
        early_refs = [f"R-{r:06d}" for r, in stack.query(
            "SELECT DISTINCT report_id FROM sms_messages WHERE direction = 'in' AND kind = "
            "'compact' AND report_id IS NOT NULL")]
    dispatched: list[tuple[int, int]] = []  # (unit id, dispatch id)

    def operate():
        """Confirm reports as they arrive and send a free unit to each."""
        used = set()
        deadline = time.monotonic() + 90
        while len(dispatched) < dispatches_n and time.monotonic() < deadline:
            try:
                inbox = operator.get("/v1/operator/inbox?limit=20").json()["reports"]
                mine = [r for r in inbox if r["note"] == "chaos"]
                if not mine:
                    time.sleep(0.3)
                    continue
                number = operator.post(f"/v1/operator/reports/{mine[0]['ref']}/confirm").json()[
                    "number"]
                detail = operator.get(f"/v1/operator/incidents/{number}").json()
                free = [r["unit"]["id"] for r in detail["recommendations"]
                        if r["unit"]["id"] not in used]
                if not free:
                    continue
                answer = operator.post(f"/v1/operator/incidents/{number}/dispatch",
                                       {"units": [free[0]]})
                if answer.status_code == 201:
                    body = answer.json()[0]
                    used.add(free[0])
                    dispatched.append((free[0], body.get("dispatch", body.get("id"))))
            except (requests.RequestException, ValueError, KeyError):
                time.sleep(0.3)  # the fault may be on; an operator tries again

    with ThreadPoolExecutor(max_workers=24) as pool:
        flushes = [pool.submit(p.flush, deadline_s=150) for p in phones]
        operating = pool.submit(operate)
        time.sleep(0.5)
        faults.start(fault)
        inbound = pool.submit(deliver_sms, stack, by_sms[len(by_sms) // 2:]) \
            if by_sms else None
        replying = pool.submit(operator_replies, operator, early_refs) if early_refs else None
        time.sleep(3)
        faults.stop(fault)
        done = [f.result() for f in flushes]
        operating.result()
        operator_replied = 0
        if inbound:
            late, result.sms_waited = inbound.result()
            result.sms_in += late
            operator_replied = replying.result() if replying else 0
    if not all(done):
        result.notes.append(f"{done.count(False)} phones still had queued ops at the deadline")
    queued += faults.extra_ops
    counts = dict(stack.query("SELECT client_op_id, count(*) FROM reports WHERE client_op_id = "
                              "ANY(:ids) GROUP BY client_op_id", ids=queued))
    result.sent, result.stored = len(queued), sum(counts.values())
    result.lost = len(set(queued) - set(counts))
    result.duplicated = sum(n - 1 for n in counts.values())
    if latencies:
        ordered = sorted(latencies)
        result.p99_ms = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000

    if by_sms:
        sms_replies(stack, result, len(by_sms), early_refs, operator_replied)
    ids = [d for _, d in dispatched]
    settled_by = time.monotonic() + 120  # backoff after a storm: 2, 4, 8, 16 s...
    while True:
        rows = dict(stack.query("SELECT status, count(*) FROM push_outbox WHERE dispatch_id = "
                                "ANY(:ids) GROUP BY status", ids=ids)) if ids else {}
        if not (rows.get("queued") or rows.get("sending")) or time.monotonic() > settled_by:
            break
        time.sleep(1)
    result.alerts_committed = sum(rows.values())
    result.alerts_delivered = rows.get("sent", 0)
    visible = stack.query("SELECT count(*) FROM push_outbox o JOIN dispatches d ON "
                          "d.id = o.dispatch_id WHERE o.dispatch_id = ANY(:ids) AND o.status IN "
                          "('failed', 'dropped') AND d.needs_attention", ids=ids)[0][0] \
        if ids else 0
    result.alerts_failed_visibly = visible
    result.alerts_unsettled = result.alerts_committed - result.alerts_delivered - visible
    if result.alerts_unsettled:
        result.notes.append(f"worker log: {stack.worker.log_path}")
        result.notes.append(f"outbox: {rows}; attempts: " + ", ".join(
            f"{status}/{attempts}/{error}" for status, attempts, error in stack.query(
                "SELECT status, attempts, last_error FROM push_outbox WHERE dispatch_id = "
                "ANY(:ids)", ids=ids)))
    at_fcm = {m["message"]["data"]["dispatch"] for m in stack.standin.messages}
    missing = {str(i) for i, in stack.query(
        "SELECT dispatch_id FROM push_outbox WHERE dispatch_id = ANY(:ids) AND status = 'sent'",
        ids=ids)} - at_fcm if ids else set()
    if missing:
        result.notes.append(f"{len(missing)} alerts marked sent never reached FCM")
        result.alerts_unsettled += len(missing)
    if fault == "fcm_storm":  # give the crew phone a working token again
        requests.put(stack.base + "/v1/responder/push-token", json={"token": token(1, "again")},
                     headers={"Authorization": f"Bearer {crews.keys[1]}"}, timeout=30)
    for unit_id, dispatch_id in dispatched:  # free the units for the next fault
        crews.complete(unit_id, dispatch_id)
    return result


def sms_replies(stack: Stack, result: Result, expected: int, replied_refs: list[str],
                operator_replied: int) -> None:
    """Once the outgoing SMS have settled: one automatic reply per SOS that came by SMS and
    each operator's reply, at the gateway exactly once (by report number)."""
    # A modem sends about one SMS a second: wait while the SMS keep moving, not a fixed time.
    def settle(sql: str, target: int) -> int:
        value, moved_at, ends = None, time.monotonic(), time.monotonic() + 900
        while time.monotonic() < ends:
            now = stack.query(sql)[0][0]
            if now == target:
                return now
            if now != value:
                value, moved_at = now, time.monotonic()
            elif time.monotonic() - moved_at > 30:
                return now
            time.sleep(1)
        return value

    settle("SELECT count(*) FROM sms_messages WHERE direction = 'in' AND kind = 'compact'",
           expected)                                      # SMS still in a modem's inbox
    pending = settle("SELECT count(*) FROM sms_messages WHERE direction = 'out' AND status "
                     "IN ('queued', 'sending', 'submitted')", 0)
    if pending:
        result.notes.append(f"{pending} outgoing SMS still pending at the gateway")
    if result.sms_in != expected:
        result.notes.append(f"{expected - result.sms_in} SMS never delivered inbound")
    refs, answers = {}, {}
    for _, text in stack.sms.sent():
        found = re.search(r"R-\d+", text)
        if found:
            counts = answers if text.startswith("Chaos balasan") else refs
            counts[found.group()] = counts.get(found.group(), 0) + 1
    if operator_replied != len(replied_refs):
        result.notes.append(f"{len(replied_refs) - operator_replied} operator replies refused")
    result.sms_replies_lost += len(set(replied_refs) - set(answers))
    result.sms_replies_duplicated += sum(n - 1 for n in answers.values())
    result.sms_retried = stack.query("SELECT count(*) FROM sms_messages WHERE direction = "
                                     "'out' AND attempts > 1")[0][0]
    replied_reports = {r for r, in stack.query(
        "SELECT DISTINCT report_id FROM sms_messages WHERE direction = 'in' AND kind = "
        "'compact' AND report_id IS NOT NULL")}
    result.sms_replied = sum(refs.values())
    result.sms_replies_lost += expected - len(refs)
    result.sms_replies_duplicated += sum(n - 1 for n in refs.values())
    if len(replied_reports) != expected:
        result.notes.append(f"{len(replied_reports)} reports from {expected} SOS SMS")
        result.sms_replies_lost += max(0, expected - len(replied_reports))
    failed = stack.query("SELECT count(*) FROM sms_messages WHERE direction = 'out' AND "
                         "status = 'failed'")[0][0]
    if failed:
        result.notes.append(f"{failed} outgoing SMS failed")


def run(faults=FAULTS, phones: int = 200, dispatches: int = 5, seed: int = 2026) -> list[Result]:
    results = []
    for gateway in ("standin", "gammu"):   # gammu_stopped needs the modem: its own stack
        mine = [(i, f) for i, f in enumerate(faults) if SMS_FAULTS.get(f, "standin") == gateway]
        if not mine:
            continue
        with Stack(gateway) as stack:
            units = Operator(stack.base).get("/v1/operator/units").json()["units"]
            crews = Crews(stack.base, units)
            results += [(i, run_fault(stack, crews, fault, phones, dispatches, seed + i))
                        for i, fault in mine]
    return [r for _, r in sorted(results, key=lambda pair: pair[0])]


def table(results: list[Result]) -> str:
    lines = [f"{'fault':<17} {'sent':>6} {'stored':>6} {'lost':>5} {'dup':>4} "
             f"{'alerts':>6} {'deliv.':>6} {'failed':>6} {'open':>5} {'sms in':>6} "
             f"{'waited':>6} {'replies':>7} {'retried':>7} {'p99 ms':>7}"]
    for r in results:
        lines.append(f"{r.fault:<17} {r.sent:>6} {r.stored:>6} {r.lost:>5} {r.duplicated:>4} "
                     f"{r.alerts_committed:>6} {r.alerts_delivered:>6} "
                     f"{r.alerts_failed_visibly:>6} {r.alerts_unsettled:>5} {r.sms_in:>6} "
                     f"{r.sms_waited:>6} {r.sms_replied:>7} {r.sms_retried:>7} "
                     f"{r.p99_ms:>7.0f}"
                     + (f"  ({'; '.join(r.notes)})" if r.notes else ""))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--dispatches", type=int, default=5)
    parser.add_argument("--faults", default=",".join(FAULTS))
    args = parser.parse_args()
    started = time.monotonic()
    results = run(args.faults.split(","), args.phones, args.dispatches)
    print(f"\nChaos matrix: {args.phones} phones per fault, {os.cpu_count()} CPUs, "
          f"{time.monotonic() - started:.0f} s")
    print(table(results))
    raise SystemExit(0 if all(r.ok for r in results) else 1)


if __name__ == "__main__":
    main()
