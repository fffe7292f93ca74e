"""The real gammu-smsd on Gammu's dummy phone (a directory), files backend, in a folder of
its own: for the SMS tests (tests/sms/conftest.py) and the chaos matrix's `gammu_stopped`
(bench/chaos.py). An inbound SMS is put in the dummy phone's memory with `gammu savesms`, as
the modem receives it — that works with smsd stopped: the SMS waits in the modem — and smsd
delivers it to its inbox path; what smsd sends lands in its sent folder."""
from __future__ import annotations

import os
import subprocess
import time

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

FOLDERS = ("phone", "inbox", "outbox", "sent", "error")


class Smsd:
    """gammu-smsd on its own config (`rc`) under `root`, started at once; `folders`: more
    folders to make under root before it starts."""

    def __init__(self, root: str, folders: tuple[str, ...] = ()):
        self.root = root
        for folder in FOLDERS + folders:
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
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def down(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def savesms(self, sender: str, text: str) -> subprocess.CompletedProcess:
        """An SMS reaches the modem (the dummy phone's inbox, unread)."""
        return subprocess.run(["gammu", "-c", self.rc, "savesms", "TEXT", "-folder", "1",
                               "-unread", "-sender", sender, "-textutf8", text],
                              capture_output=True)

    def phone_receives(self, sender: str, text: str) -> None:
        """An SMS reaches the modem; an error if gammu could not put it there."""
        self.savesms(sender, text).check_returncode()

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
