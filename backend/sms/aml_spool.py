"""AML deliveries kept on disk while the database is away, so that POST /v1/aml/https can
always answer 2xx: the mobile network operator does not retry usefully, and an AML lost
during a database restart is a caller's location lost.

The route tries to store the AML; on a database error it writes the raw form body and the
time it arrived to the spool (AML_SPOOL_DIR, default <instance>/aml_spool; one file per
AML, named by its dedup key, written atomically) and answers 202 `spooled`. A drainer
thread in that process retries every AML_SPOOL_RETRY_S: each file goes through
receive_aml_https (the same path, with its original arrival time, so the match window is
the caller's) in its own transaction, and is deleted only after the commit — a crash in
between stores nothing twice (the key is the content's). The thread ends when the spool is
empty; every process starts one at start-up when files wait (resume()), so a spool left by
a restart is drained. Several processes may drain one folder: a file another one took is
skipped. Only a database that is away stops a pass; a file the database refuses for another
reason is moved aside (`.bad`, logged) so it cannot block the ones behind it. The spool is
per host (the reference compose file keeps it on a volume).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from backend.db import utcnow
from backend.extensions import db

log = logging.getLogger(__name__)
_LOCK = threading.Lock()
_THREADS: dict[str, threading.Thread] = {}


def spool_dir(app: Flask) -> str:
    return app.config["AML_SPOOL_DIR"] or os.path.join(app.instance_path, "aml_spool")


def spool(body: str, received_at: datetime | None = None) -> str:
    """Keep one AML delivery on disk (atomically); start the drainer. Returns the path."""
    app = current_app._get_current_object()
    folder = spool_dir(app)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha256(body.encode()).hexdigest() + ".json"
    path = os.path.join(folder, name)
    temporary = path + f".{os.getpid()}.{threading.get_ident()}.tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump({"body": body, "received_at": (received_at or utcnow()).isoformat()}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    start_drainer(app)
    return path


def spooled(app: Flask) -> list[str]:
    folder = spool_dir(app)
    try:
        return sorted(os.path.join(folder, n) for n in os.listdir(folder)
                      if n.endswith(".json"))
    except FileNotFoundError:
        return []


DATABASE_AWAY = (OperationalError, InterfaceError, PoolTimeout)


def drain(limit: int = 500) -> int:
    """Store what waits in the spool, oldest name first, each in its own transaction; stop
    when the database is (still) away. Returns how many files were taken."""
    from backend.sms.service import receive_aml_https

    app = current_app._get_current_object()
    taken = 0
    for path in spooled(app)[:limit]:
        try:
            with open(path, encoding="utf-8") as f:
                item = json.load(f)
            body, at = item["body"], datetime.fromisoformat(item["received_at"])
        except FileNotFoundError:
            continue  # another process of this host took it
        except (OSError, ValueError, KeyError, TypeError):
            log.error("unreadable AML spool file %s: moved aside", path)
            _aside(path)
            continue
        try:
            receive_aml_https(body, received_at=at)
            db.session.commit()
        except DATABASE_AWAY as exc:
            db.session.rollback()
            log.warning("AML spool: database still unavailable (%s)", exc)
            return taken
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("AML spool file %s refused by the database: moved aside", path)
            _aside(path)
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        taken += 1
    return taken


def _aside(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.replace(path, path + ".bad")


def resume(app: Flask) -> None:
    """At start-up: drain what an earlier process left in the spool."""
    if spooled(app):
        start_drainer(app)


def start_drainer(app: Flask) -> None:
    """One drainer thread per spool per process, while there is something to drain."""
    folder = spool_dir(app)
    with _LOCK:
        running = _THREADS.get(folder)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(target=_drain_loop, args=(app,), daemon=True,
                                  name="aml-spool")
        _THREADS[folder] = thread
        thread.start()


def _drain_loop(app: Flask) -> None:
    while True:
        time.sleep(app.config["AML_SPOOL_RETRY_S"])
        with app.app_context():
            try:
                drain()
            except Exception:  # never let the thread die with AML waiting
                log.exception("AML spool drain")
            finally:
                db.session.remove()
        with _LOCK:  # spool() writes its file before it looks for a drainer: none is missed
            if not spooled(app):
                _THREADS.pop(spool_dir(app), None)
                return
