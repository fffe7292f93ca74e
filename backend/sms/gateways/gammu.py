"""Gammu SMSD (files backend) driver: a GSM modem with a local SIM, the production gateway.

gammu-smsd (its own process, deploy/gammu/smsdrc.example) talks to the modem and keeps four
folders. We share them:

- inbox (InboxFormat = detail): one file per received message, all parts of a long SMS in
  one file, named IN<date>_<time>_<serial>_<sender>_<seq>.txt. We SCAN it from the relay
  (every few seconds, also right after start) rather than use RunOnReceive: a scan needs
  nothing from smsd, survives our restarts and outages (a file simply waits in the inbox
  until its row is committed, however long the database is away), and never blocks smsd
  while we work (smsd waits for a RunOnReceive script). After the commit the file is moved
  to the processed folder; a crash between the two finds the same file again, and its id
  (file name + content hash) makes the second insert a no-op.
- outbox: replies are written by gammu-smsd-inject (Gammu's own tool: naming, encoding and
  splitting are its business); it prints the file's path, which is our gateway id. Gammu
  names the file OUTC<date>_<time to the second>_00_<number>_sms<n> with n the first name
  free IN THE OUTBOX: a second reply to the same number within the same second, after smsd
  has already moved the first to sent/, gets the first one's name again (and two injects
  at once can race for one name). So injects are serialised under a lock file in the
  outbox and one number gets at most one inject per wall-clock second (inject_slot): every
  name, and so every gateway id, is new.
- sent / error: smsd moves an outbox file to one of them once the modem has sent it or
  given up; reconcile() reads that.
"""
from __future__ import annotations

import configparser
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import time
from datetime import datetime, timezone

from backend.sms.gateways import Gateway, Inbound, SendResult

log = logging.getLogger(__name__)
SETTLE_S = 0.5       # a file younger than this may still be being written by smsd
MAX_PARTS = 6        # a reply is cut at 6 SMS (918 GSM-7 characters)
INJECT_TIMEOUT_S = 20
INJECT_LOCK = ".siaga-inject.lock"  # smsd only reads files named OUT*


def read_smsdrc(path: str) -> dict[str, str]:
    """The [smsd] folders of a gammu-smsd config (keys lower-cased, as Gammu reads them)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    with open(path, encoding="utf-8") as f:
        parser.read_file(f)
    smsd = {k.lower(): v.strip() for k, v in parser["smsd"].items()}
    if smsd.get("service", "").lower() != "files":
        raise RuntimeError(f"{path}: [smsd] service must be 'files' for this driver")
    if smsd.get("inboxformat", "").lower() != "detail":
        # standard/unicode write one file per part and lose the sender's time zone.
        raise RuntimeError(f"{path}: [smsd] inboxformat must be 'detail'")
    return {key: smsd.get(key + "path", "") for key in ("inbox", "outbox", "sentsms",
                                                        "errorsms")}


def _content_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return _content_digest(f.read())
    except FileNotFoundError:
        return None


def parse_backup(content: str) -> tuple[str, str, datetime | None]:
    """(number, text, received_at) of a Gammu SMS backup file (detail format): every part's
    TextNN is hex UTF-16BE; parts are joined as bytes (a character may straddle two)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str
    parser.read_string(content)
    sections = sorted(s for s in parser.sections() if s.startswith("SMSBackup"))
    if not sections:
        raise ValueError("no SMSBackup section")
    first = parser[sections[0]]
    raw_number = first.get("NumberUnicode", "").strip()
    number = bytes.fromhex(raw_number).decode("utf-16-be") if raw_number else \
        first.get("Number", "").strip().strip('"')
    data = b""
    for name in sections:
        part = parser[name]
        for key in sorted((k for k in part if k.startswith("Text") and k[4:].isdigit()),
                          key=lambda k: int(k[4:])):
            data += bytes.fromhex(part[key].strip())
    text = data.decode("utf-16-be", errors="replace")
    return number, text, _backup_time(first.get("DateTime", "").strip())


def _backup_time(value: str) -> datetime | None:
    """20261129T145704Z (UTC) or 20261129T145704 (gammu's local time = ours)."""
    if not value:
        return None
    try:
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        return datetime.strptime(value, "%Y%m%dT%H%M%S").astimezone(timezone.utc)
    except ValueError:
        return None


class GammuGateway(Gateway):
    name = "gammu"

    def __init__(self, config_path: str, done_path: str = "", inject: str = "gammu-smsd-inject"):
        self.config_path, self.inject = config_path, inject
        paths = read_smsdrc(config_path)
        self.inbox, self.outbox = paths["inbox"], paths["outbox"]
        self.sent, self.error = paths["sentsms"], paths["errorsms"]
        self.done = done_path or os.path.join(os.path.dirname(self.inbox.rstrip("/")),
                                              "processed")
        os.makedirs(self.done, exist_ok=True)

    # ---- inbound ----

    def fetch(self, limit: int = 100) -> list[Inbound]:
        try:
            names = sorted(n for n in os.listdir(self.inbox) if n.startswith("IN"))
        except FileNotFoundError:
            log.error("gammu inbox %s does not exist", self.inbox)
            return []
        found, now = [], time.time()
        for name in names:
            path = os.path.join(self.inbox, name)
            try:
                if now - os.stat(path).st_mtime < SETTLE_S:
                    continue
                with open(path, "rb") as f:
                    raw = f.read()
            except FileNotFoundError:  # another scanner moved it
                continue
            digest = _content_digest(raw)
            try:
                number, text, received_at = parse_backup(raw.decode("utf-8", errors="replace"))
            except (configparser.Error, ValueError) as exc:
                # Kept, never dropped: stored with the raw bytes so an operator sees it.
                log.warning("gammu inbox file %s unreadable (%s); stored raw", name, exc)
                found.append(Inbound(f"{name}:{digest}", _sender_from_name(name),
                                     raw.hex()[:2000], None, error="unreadable", handle=path))
            else:
                found.append(Inbound(f"{name}:{digest}", number, text, received_at,
                                     handle=path))
            if len(found) >= limit:
                break
        return found

    def ack(self, message: Inbound) -> None:
        # gammu can give two messages of one second the same name: an archived copy of the
        # same name is kept under the new one's digest (a redelivered copy then just replaces
        # its own archived twin).
        target = os.path.join(self.done, os.path.basename(message.handle))
        if os.path.exists(target) and _digest(target) != message.gateway_id.rsplit(":", 1)[-1]:
            target += "." + message.gateway_id.rsplit(":", 1)[-1]
        try:
            shutil.move(message.handle, target)
        except FileNotFoundError:  # already moved by another scanner: same message, stored once
            pass

    # ---- outbound ----

    def send(self, number: str, text: str, ref: str) -> SendResult:
        try:
            with self.inject_slot(number):
                done = subprocess.run(
                    [self.inject, "-c", self.config_path, "TEXT", number, "-autolen",
                     str(153 * MAX_PARTS), "-textutf8", text],
                    capture_output=True, text=True, timeout=INJECT_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return SendResult("retry", error=f"gammu-smsd-inject: {exc}"[:300])
        for line in done.stdout.splitlines():
            if line.startswith("Written message with ID "):
                return SendResult("submitted", gateway_id=os.path.basename(
                    line.removeprefix("Written message with ID ").strip()))
        return SendResult("retry", error=f"gammu-smsd-inject exit {done.returncode}: "
                                         f"{(done.stderr or done.stdout).strip()[-250:]}")

    @contextlib.contextmanager
    def inject_slot(self, number: str):
        """Hold the outbox's inject lock (all processes) and start in a wall-clock second
        after the last inject to `number` ended: Gammu's file name (to the second) is new.
        The lock file holds {number: last second} of the last two seconds only."""
        with open(os.path.join(self.outbox, INJECT_LOCK), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            lock.seek(0)
            try:
                recent = json.loads(lock.read() or "{}")
            except ValueError:
                recent = {}
            last = recent.get(number)
            if isinstance(last, int) and time.time() < last + 1:
                time.sleep(last + 1 - time.time())
            try:
                yield
            finally:
                now = int(time.time())
                recent = {n: s for n, s in recent.items()
                          if isinstance(s, int) and s >= now - 1}
                recent[number] = now
                lock.seek(0)
                lock.truncate()
                lock.write(json.dumps(recent))
                lock.flush()

    def reconcile(self, gateway_ids: list[str]) -> dict[str, SendResult]:
        results = {}
        for gid in gateway_ids:
            if os.path.exists(os.path.join(self.sent, gid)):
                results[gid] = SendResult("sent", gateway_id=gid)
            elif os.path.exists(os.path.join(self.error, gid)):
                results[gid] = SendResult("failed", gateway_id=gid,
                                          error="the modem could not send it (gammu error folder)")
        return results


def _sender_from_name(name: str) -> str:
    parts = name.split("_")
    return parts[3] if len(parts) >= 5 else "unknown"
