"""Reference offline client for the Siaga112 sync protocol v1 (what a phone app should do).

Read this beside PROTOCOL.md. It keeps a persistent queue (SQLite, like a phone's), creates
ops while offline, and flushes them with exponential backoff and full jitter, honouring
Retry-After; a 200 without the protocol header and envelope (a captive portal) is a
failure; results drop ops from the queue; changes are pulled by the server's cursor.

    python -m mobile_contract.client --url http://127.0.0.1:8112 --store phone.db register
    python -m mobile_contract.client --url ... --store phone.db sos fire -2.8851 103.8467 "api"
    python -m mobile_contract.client --url ... --store phone.db sync
    python -m mobile_contract.client --url ... --store phone.db status
    python -m mobile_contract.client --url ... --store phone.db guide --lang en

It also keeps the public guide (PROTOCOL.md §14) for reading offline, revalidated by ETag.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import random
import sqlite3
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from mobile_contract.sms import encode_sos

HEADER = "Siaga-Sync"
PROTOCOL = 1
FINAL = {"applied", "duplicate", "rejected", "conflict"}  # these leave the queue
DEVICE_KEY_ERRORS = {"missing_device_key", "invalid_device_key", "revoked_device_key"}


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class Retry(Exception):
    """Transient: keep the ops, wait, try again (network, 5xx, 429, portal, cut body)."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


class Fatal(Exception):
    """The app must act (re-register, fix a bug); the ops stay queued."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


@dataclass
class SyncOutcome:
    sent: int
    results: list
    changes: list
    has_more: bool


class SiagaClient:
    def __init__(self, base_url: str, store: str = ":memory:", *, timeout: float = 20,
                 batch: int = 100, rng: random.Random | None = None, sleep=time.sleep,
                 backoff_base: float = 2.0, backoff_cap: float = 300.0):
        url = urllib.parse.urlsplit(base_url)
        self.host, self.port = url.hostname, url.port or 80
        self.timeout, self.batch = timeout, batch
        self.rng, self.sleep = rng or random.Random(), sleep
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.retries = 0
        self.waits: list[float] = []  # intended pauses between attempts, for diagnostics
        self.guide_fetches: list[int] = []  # 200 or 304 per guide request that got an answer
        self.db = sqlite3.connect(store, check_same_thread=False, isolation_level=None)
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS ops (seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT UNIQUE NOT NULL, body TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS receipts (id TEXT PRIMARY KEY, status TEXT, ref TEXT,
                code TEXT);
            CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY, type TEXT, data TEXT);
            CREATE TABLE IF NOT EXISTS guide (lang TEXT PRIMARY KEY, etag TEXT, body TEXT,
                checked_at TEXT);
        """)

    # ---- local state ----

    def _meta(self, key: str, value: str | None = None) -> str | None:
        if value is not None:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))
            return value
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def key(self) -> str | None:
        return self._meta("device_key")

    def queued(self) -> list[dict]:
        return [json.loads(b) for b, in self.db.execute("SELECT body FROM ops ORDER BY seq")]

    def receipts(self) -> dict[str, dict]:
        return {i: {"status": s, "ref": json.loads(r) if r else None, "code": c}
                for i, s, r, c in self.db.execute("SELECT id, status, ref, code FROM receipts")}

    # ---- acting while offline ----

    def queue(self, type_: str, data: dict) -> str:
        """Append an op to the persistent queue *before* any network; return its id."""
        op = {"id": str(uuid.uuid4()), "type": type_, "at": now_iso(), "data": data}
        self.db.execute("INSERT INTO ops (id, body) VALUES (?, ?)",
                        (op["id"], json.dumps(op, separators=(",", ":"))))
        return op["id"]

    def sos(self, category: str, lat: float | None = None, lon: float | None = None,
            note: str = "", accuracy_m: float | None = None, silent: bool = False) -> str:
        location = None if lat is None else {"lat": lat, "lon": lon, "accuracy_m": accuracy_m,
                                             "source": "gps"}
        return self.queue("report.create", {"category": category, "location": location,
                                            "note": note, "silent": silent})

    def post_report(self, category: str, via: str, *, lat: float | None = None,
                    lon: float | None = None, accuracy_m: float | None = None,
                    source: str = "manual", desa_code: str | None = None,
                    desa_name: str | None = None, note: str = "",
                    caller_phone: str | None = None, silent: bool = False) -> str:
        """Responder phones: queue a report of an emergency that reached the post directly —
        `via` "phone" (someone called the post) or "walk_in" (PROTOCOL.md §10). The place is
        where the emergency is, not the post: a point (GPS only if the crew is there, else
        picked on the map, `source` "manual"), a desa code, or the desa's name as heard."""
        location = None if lat is None else {"lat": lat, "lon": lon, "accuracy_m": accuracy_m,
                                             "source": source}
        return self.queue("post.report", {
            "category": category, "via": via, "location": location, "desa_code": desa_code,
            "desa_name": desa_name, "note": note, "caller_phone": caller_phone,
            "silent": silent})

    def sos_sms(self, op_id: str) -> str | None:
        """The S1 SMS for a queued report.create or post.report (PROTOCOL.md §13), to send
        when there has been no data for a while; None if the op is not queued any more (it
        went through) or the phone is not registered. The op stays queued: the server stores it once
        whichever copy arrives first, and answers the other `duplicate`."""
        row = self.db.execute("SELECT body FROM ops WHERE id = ?", (op_id,)).fetchone()
        device_id = self._meta("device_id")
        if row is None or not self.key or not device_id:
            return None
        op = json.loads(row[0])
        return encode_sos(op, int(device_id), self.key) \
            if op["type"] in ("report.create", "post.report") else None

    # ---- network ----

    def _request(self, method: str, path: str, body: dict | None = None, *,
                 gzipped: bool = False, extra: dict | None = None) -> tuple[int, dict, bytes]:
        headers = {"Accept": "application/json", **(extra or {})}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
            if gzipped:
                data, headers["Content-Encoding"] = gzip.compress(data), "gzip"
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()  # IncompleteRead if the link dies mid-body
            return response.status, dict(response.getheaders()), payload
        except (OSError, http.client.HTTPException) as exc:
            raise Retry(f"transport: {type(exc).__name__}") from None
        finally:
            conn.close()

    def _reply(self, status: int, headers: dict, payload: bytes) -> dict:
        """Our server's JSON, or Retry/Fatal. Anything without the header is not our server."""
        ours = {k.lower(): v for k, v in headers.items()}.get(HEADER.lower()) == str(PROTOCOL)
        try:
            body = json.loads(payload) if ours else None
        except ValueError:
            body = None
        if body is None:
            raise Retry(f"not a Siaga reply (HTTP {status}): captive portal or proxy")
        if status == 429 or status >= 500:
            after = {k.lower(): v for k, v in headers.items()}.get("retry-after")
            raise Retry(f"HTTP {status}", float(after) if after and after.isdigit() else None)
        if status >= 400:
            error = body.get("error", {})
            raise Fatal(status, error.get("code", "?"), error.get("message", ""))
        return body

    # ---- the public guide (PROTOCOL.md §14) ----

    def cached_guide(self, lang: str = "id") -> dict | None:
        """The guide as last fetched, for reading offline (None before the first fetch)."""
        row = self.db.execute("SELECT body FROM guide WHERE lang = ?", (lang,)).fetchone()
        return json.loads(row[0]) if row else None

    def guide(self, lang: str = "id") -> dict | None:
        """The public guide in `lang`: revalidated when online (If-None-Match; a 304 costs no
        body), else the copy kept from the last time. Never raises for a network failure —
        a guide read offline is the point."""
        row = self.db.execute("SELECT etag FROM guide WHERE lang = ?", (lang,)).fetchone()
        extra = {"If-None-Match": row[0]} if row and row[0] else {}
        try:
            status, headers, payload = self._request(
                "GET", f"/v1/public/guide?lang={urllib.parse.quote(lang)}", extra=extra)
            lower = {k.lower(): v for k, v in headers.items()}
            if status == 304 and row and lower.get(HEADER.lower()) == str(PROTOCOL):
                self.db.execute("UPDATE guide SET checked_at = ? WHERE lang = ?",
                                (now_iso(), lang))
                self.guide_fetches.append(304)
                return self.cached_guide(lang)
            body = self._reply(status, headers, payload)
        except (Retry, Fatal):
            return self.cached_guide(lang)  # offline, portal, server trouble: keep the copy
        self.db.execute("INSERT OR REPLACE INTO guide VALUES (?, ?, ?, ?)",
                        (lang, lower.get("etag"), json.dumps(body), now_iso()))
        self.guide_fetches.append(status)
        return body

    def sms_number(self) -> str | None:
        """Where to send the SOS SMS (§13): the centre's number from the cached guide."""
        guide = self.cached_guide("id") or self.cached_guide("en")
        return guide["sms"]["number"] if guide else None

    def register(self, platform: str = "android", app_version: str = "ref-1.0",
                 kind: str = "citizen", phone: str | None = None, test: bool = False) -> str:
        """Register this install; the registration is kept to register again after a 401."""
        registration = {"platform": platform, "app_version": app_version, "kind": kind,
                        "phone": phone, "test": test}
        status, headers, payload = self._request("POST", "/v1/devices", registration)
        reply = self._reply(status, headers, payload)
        key = reply["device_key"]
        self._meta("device_id", str(reply["device_id"]))  # names the device in an SOS SMS
        self._meta("registration", json.dumps(registration))
        self._meta("cursor", "")  # a new device starts pulling from the beginning
        return self._meta("device_key", key)

    def sync_once(self) -> SyncOutcome:
        """One round trip: push the oldest queued ops, pull changes, apply both."""
        ops = self.queued()[:self.batch]
        body = {"protocol": PROTOCOL, "device_time": now_iso(),
                "cursor": self._meta("cursor") or None,
                "ops": ops}
        status, headers, payload = self._request("POST", "/v1/sync", body, gzipped=True)
        try:
            reply = self._reply(status, headers, payload)
        except Fatal as exc:
            if exc.code == "too_many_ops" and self.batch > 1:
                self.batch = max(1, self.batch // 2)
                raise Retry("batch too large; halved") from None
            if exc.code == "invalid_cursor":  # PROTOCOL.md: start again from null
                self._meta("cursor", "")
                raise Retry("invalid_cursor: pulling from the start", retry_after=0) from None
            if exc.code in DEVICE_KEY_ERRORS and self._register_again():
                raise Retry(f"{exc.code}: registered again", retry_after=0) from None
            raise
        if not isinstance(reply.get("results"), list) or len(reply["results"]) != len(ops):
            raise Retry("malformed envelope")
        for op, result in zip(ops, reply["results"]):
            if result.get("status") in FINAL:
                self.db.execute("INSERT OR REPLACE INTO receipts VALUES (?, ?, ?, ?)",
                                (op["id"], result["status"], json.dumps(result.get("ref")),
                                 result.get("code")))
                self.db.execute("DELETE FROM ops WHERE id = ?", (op["id"],))
        for change in reply["changes"]:  # idempotent: keyed by the change id
            self.db.execute("INSERT OR REPLACE INTO changes VALUES (?, ?, ?)",
                            (change["id"], change["type"], json.dumps(change["data"])))
        self._meta("cursor", reply["cursor"])
        return SyncOutcome(len(ops), reply["results"], reply["changes"], reply["has_more"])

    def _register_again(self) -> bool:
        """After a 401 for the device key: a citizen phone registers again and keeps its queue
        (the ops were not applied, so sending them under the new key stores each once). A
        responder phone needs its crew member to sign in again, so it does not."""
        saved = self._meta("registration")
        registration = json.loads(saved) if saved else {}
        if registration.get("kind", "citizen") != "citizen":
            return False
        self.register(**registration)
        return True

    def flush(self, deadline_s: float = 60.0) -> bool:
        """Sync until the queue is empty and nothing more to pull; back off on failure.

        Exponential backoff with full jitter (base 2 s, ×2, cap 5 min), or Retry-After when
        the server gives one. Returns True when everything went through before the deadline.
        """
        attempt, ends = 0, time.monotonic() + deadline_s
        while time.monotonic() < ends:
            try:
                outcome = self.sync_once()
            except Retry as exc:
                self.retries += 1
                attempt += 1
                wait = exc.retry_after if exc.retry_after is not None else self.rng.uniform(
                    0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))
                self.waits.append(wait)
                self.sleep(min(wait, max(0.0, ends - time.monotonic())))
                continue
            attempt = 0
            if not self.queued() and not outcome.has_more:
                return True
        return False


def main():
    parser = argparse.ArgumentParser(description="Siaga112 reference offline client")
    parser.add_argument("--url", required=True)
    parser.add_argument("--store", default="siaga-phone.db")
    sub = parser.add_subparsers(dest="command", required=True)
    reg = sub.add_parser("register")
    reg.add_argument("--kind", default="citizen", choices=["citizen", "responder"])
    reg.add_argument("--phone", default=None)
    reg.add_argument("--test", action="store_true", help="mark this device as test traffic")
    sos = sub.add_parser("sos")
    sos.add_argument("category")
    sos.add_argument("lat", type=float)
    sos.add_argument("lon", type=float)
    sos.add_argument("note", nargs="?", default="")
    sub.add_parser("sync")
    sub.add_parser("status")
    guide = sub.add_parser("guide", help="fetch (or read offline) the public guide")
    guide.add_argument("--lang", default="id", choices=["id", "en"])
    args = parser.parse_args()
    client = SiagaClient(args.url, args.store)
    try:
        if args.command == "register":
            print(client.register(kind=args.kind, phone=args.phone, test=args.test))
        elif args.command == "sos":
            print(client.sos(args.category, args.lat, args.lon, args.note))
        elif args.command == "sync":
            print("done" if client.flush(deadline_s=120) else "still queued (offline?)")
        elif args.command == "guide":
            shown = client.guide(args.lang)
            if shown is None:
                raise SystemExit("no guide: offline and never fetched")
            print(f"version {shown['version']}: " + " · ".join(s["title"]
                                                               for s in shown["sections"]))
            return
    except Fatal as exc:  # the ops stay queued; say what the app must do, no traceback
        raise SystemExit(f"server refused: {exc} (queued ops kept)") from None
    print(json.dumps({"queued": len(client.queued()), "receipts": client.receipts(),
                      "cursor": client._meta("cursor")}, indent=1))


if __name__ == "__main__":
    main()
