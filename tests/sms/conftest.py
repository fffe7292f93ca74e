"""The real gammu-smsd with Gammu's dummy phone (a directory), files backend, in a temporary
folder (bench/gammu.py, shared with the chaos matrix): SMS are put in the dummy phone's
inbox with `gammu savesms` (as the modem would receive them) and smsd delivers them to its
inbox path; what smsd sends lands in its sent folder."""
from __future__ import annotations

import shutil

import pytest

from backend.sms.gateways.gammu import GammuGateway
from bench.gammu import Smsd


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
