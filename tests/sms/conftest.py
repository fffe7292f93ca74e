"""The real gammu-smsd with Gammu's dummy phone (a directory), files backend, in a temporary
folder: SMS are put in the dummy phone's inbox with `gammu savesms` (as the modem would
receive them) and smsd delivers them to its inbox path; what smsd sends lands in its sent
folder."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from backend.sms.gateways.gammu import GammuGateway

SMSDRC = """[gammu]
device = {root}/phone/
connection = none
model = dummy

[smsd]
service = files
inboxpath = {root}/inbox/
outboxpath = {root}/outbox/
sentsmspath = {root}/sent/
errorsmspath = {root}/error/
inboxformat = detail
outboxformat = detail
logfile = {root}/smsd.log
debuglevel = 0
commtimeout = 1
receivefrequency = 1
statusfrequency = 0
loopsleep = 1
checksecurity = 0
checkbattery = 0
checksignal = 0
multiparttimeout = 2
"""


class Smsd:
    def __init__(self, root: str):
        self.root = root
        for folder in ("phone", "inbox", "outbox", "sent", "error"):
            os.makedirs(os.path.join(root, folder), exist_ok=True)
        self.rc = os.path.join(root, "smsdrc")
        with open(self.rc, "w") as f:
            f.write(SMSDRC.format(root=root))
        self.process = None
        self.start()

    def path(self, folder: str) -> str:
        return os.path.join(self.root, folder)

    def files(self, folder: str) -> list[str]:
        """The messages in a folder (our inject lock file is not one)."""
        path = self.path(folder)
        return sorted(n for n in os.listdir(path) if not n.startswith(".")) \
            if os.path.isdir(path) else []

    def start(self) -> None:
        self.process = subprocess.Popen(["gammu-smsd", "-c", self.rc],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def phone_receives(self, sender: str, text: str) -> None:
        """An SMS reaches the modem (the dummy phone's inbox, unread)."""
        subprocess.run(["gammu", "-c", self.rc, "savesms", "TEXT", "-folder", "1", "-unread",
                        "-sender", sender, "-textutf8", text], check=True, capture_output=True)

    def wait_for(self, folder: str, count: int, timeout: float = 15.0) -> list[str]:
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            files = self.files(folder)
            if len(files) >= count:
                time.sleep(0.6)  # older than the driver's settle time
                return files
            time.sleep(0.1)
        raise AssertionError(f"{folder}: {self.files(folder)} after {timeout} s "
                             f"(wanted {count}); log: {self.log()[-800:]}")

    def log(self) -> str:
        try:
            with open(self.path("smsd.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""


@pytest.fixture
def smsd(tmp_path):
    if not shutil.which("gammu-smsd"):
        pytest.fail("gammu-smsd is not installed (./dev test installs it)")
    daemon = Smsd(str(tmp_path / "gammu"))
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def gammu_app(app, smsd, monkeypatch):
    """The test app with SMS_GATEWAY=gammu on the running smsd."""
    monkeypatch.setitem(app.config, "SMS_GATEWAY", "gammu")
    monkeypatch.setitem(app.config, "SMS_GAMMU_CONFIG", smsd.rc)
    monkeypatch.setitem(app.extensions, "siaga.sms", GammuGateway(smsd.rc))
    return app
