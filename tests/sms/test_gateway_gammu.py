"""The production gateway with the real gammu-smsd (dummy phone): inbound exactly once and
classified, replies reach the modem's sent folder, and nothing is lost when the gateway or
the database is away for a while."""
from __future__ import annotations

import os
import shutil
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from backend.extensions import db
from backend.sms.gateways.gammu import GammuGateway, parse_backup
from backend.reports.models import Report
from backend.sms.models import SmsMessage
from backend.sms.service import gateway_round, queue_sms
from tests.sms.helpers import aml_text, compact_text, inbound

FIRE = "KEBAKARAN rumah di desa Kayu Ara tolong cepat"


def _regency_id():
    from backend.regencies.service import get_regency_by_code
    return get_regency_by_code("1606").id


def test_inbound_sms_are_stored_once_and_classified(gammu_app, smsd):
    compact, device_id = compact_text()
    smsd.phone_receives("081234567890", FIRE)
    smsd.phone_receives("+6281298765432", aml_text())
    smsd.phone_receives("+6281311112222", compact)
    smsd.wait_for("inbox", 3)

    assert gateway_round()["received"] == 3
    assert gateway_round()["received"] == 0          # a second scan finds nothing new
    rows = inbound()
    by_kind = {r.kind: r for r in rows}
    assert sorted(by_kind) == ["aml", "compact", "text"] and len(rows) == 3
    text = by_kind["text"]
    assert text.number == "+6281234567890" and text.text == FIRE   # normalised, verbatim
    assert text.status == "processed" and text.gateway == "gammu"
    assert text.parse["category"] == "fire" and text.parse["desa"]["name"] == "Kayu Ara"
    assert by_kind["aml"].parse["method"] == "gnss" and by_kind["aml"].error_code is None
    assert by_kind["compact"].parse["verified"] is True
    assert by_kind["compact"].parse["device_id"] == device_id
    assert by_kind["compact"].parse["op"]["data"]["category"] == "fire"
    assert smsd.files("inbox") == [] and len(smsd.files("processed")) == 3

    # A crash after the commits but before the files were moved: the scan finds them all
    # again (twice) and stores nothing twice.
    for name in smsd.files("processed"):
        shutil.copy(os.path.join(smsd.path("processed"), name), smsd.path("inbox"))
    time.sleep(0.6)
    assert gateway_round()["received"] == 0
    assert gateway_round()["received"] == 0
    assert len(inbound()) == 3 and smsd.files("inbox") == []


def test_a_queued_reply_is_injected_and_reaches_the_sent_folder(gammu_app, smsd):
    row = queue_sms(regency_id=_regency_id(), number="0812 3456 7890",
                    text="Laporan Anda diterima: R-42. Petugas 112 segera menghubungi.")
    db.session.commit()
    assert row.number == "+6281234567890" and row.status == "queued"

    stats = gateway_round()
    assert stats["submitted"] == 1
    row = db.session.get(SmsMessage, row.id)
    assert row.status == "submitted" and row.gateway_id.startswith("OUT")
    sent = smsd.wait_for("sent", 1)
    assert sent == [row.gateway_id]
    number, text, _ = parse_backup(open(os.path.join(smsd.path("sent"), sent[0])).read())
    assert number == "+6281234567890" and text == row.text

    assert gateway_round()["reconciled"] == 1
    row = db.session.get(SmsMessage, row.id)
    assert row.status == "sent" and row.sent_at is not None


def test_replies_to_one_number_in_one_second_get_distinct_files(gammu_app, smsd):
    """Gammu names an outbox file by the second and the first name free in the outbox: a
    second reply to the same number within that second, once smsd has moved the first to
    sent/, would get the same name (and gateway id). Injects to one number are a second
    apart, so every reply has its own file, its own gateway id, and is sent."""
    rows = [queue_sms(regency_id=_regency_id(), number="+6281234567890", text=f"Balasan {n}")
            for n in range(3)]
    db.session.commit()
    assert gateway_round()["submitted"] == 3
    ids = [db.session.get(SmsMessage, row.id).gateway_id for row in rows]
    assert len(set(ids)) == 3
    assert sorted(smsd.wait_for("sent", 3)) == sorted(ids)
    texts = sorted(parse_backup(open(os.path.join(smsd.path("sent"), i)).read())[1]
                   for i in ids)
    assert texts == ["Balasan 0", "Balasan 1", "Balasan 2"]
    gateway_round()  # the first two may already have been reconciled by the first round
    assert {db.session.get(SmsMessage, row.id).status for row in rows} == {"sent"}
    assert smsd.files("error") == []  # smsd leaves the inject lock file alone


def test_a_long_reply_with_non_gsm_characters_is_sent_whole(gammu_app, smsd):
    text = "Bantuan menuju lokasi — ambulans dari Puskesmas Sekayu. " * 6 + "Tetap tenang 🙏"
    row = queue_sms(regency_id=_regency_id(), number="+6281234567890", text=text)
    db.session.commit()
    gateway_round()
    sent = smsd.wait_for("sent", 1)
    assert parse_backup(open(os.path.join(smsd.path("sent"), sent[0])).read())[1] == text
    assert db.session.get(SmsMessage, row.id).status == "submitted"


def test_gateway_down_then_back_loses_nothing(gammu_app, smsd):
    smsd.stop()
    smsd.phone_receives("+6281234567890", "banjir di desa Sungai Lilin")  # the modem keeps it
    reply = queue_sms(regency_id=_regency_id(), number="+6281234567890", text="Diterima.")
    db.session.commit()
    stats = gateway_round()            # smsd away: the reply waits in its outbox folder
    assert stats["received"] == 0 and stats["submitted"] == 1
    time.sleep(1.5)
    assert smsd.files("sent") == [] and len(smsd.files("outbox")) == 1
    assert gateway_round()["reconciled"] == 0

    smsd.start()
    smsd.wait_for("inbox", 1)
    smsd.wait_for("sent", 1)
    stats = gateway_round()
    assert stats["received"] == 1 and stats["reconciled"] == 1
    assert [r.text for r in inbound()] == ["banjir di desa Sungai Lilin"]
    assert db.session.get(SmsMessage, reply.id).status == "sent"


def test_database_failing_at_commit_leaves_the_sms_in_the_inbox(gammu_app, smsd, monkeypatch):
    smsd.phone_receives("+6281234567890", FIRE)
    smsd.wait_for("inbox", 1)
    real_commit = db.session.commit

    def database_down():
        raise OperationalError("COMMIT", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "commit", database_down)
    gammu_app.extensions["siaga.push"].run_sms_round()   # what the relay runs: never raises
    monkeypatch.setattr(db.session, "commit", real_commit)
    assert inbound() == [] and len(smsd.files("inbox")) == 1      # still at the gateway

    assert gateway_round()["received"] == 1
    assert gateway_round()["received"] == 0
    assert [r.text for r in inbound()] == [FIRE] and smsd.files("inbox") == []


def test_an_unreadable_inbox_file_is_kept_raw_not_dropped(gammu_app, smsd):
    path = os.path.join(smsd.path("inbox"), "IN20261129_120000_00_+6281234567890_00.txt")
    with open(path, "wb") as f:
        f.write(b"\xff\xfe not a backup file")
    time.sleep(0.6)
    assert gateway_round()["received"] == 1
    (row,) = inbound()
    assert row.status == "failed" and row.error_code == "unreadable"
    assert row.number == "+6281234567890" and bytes.fromhex(row.text).startswith(b"\xff\xfe")


@pytest.fixture
def private_postgres():
    from bench.stack import PrivatePostgres

    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.destroy()


def test_postgres_stopped_then_started_the_sms_is_stored_once(private_postgres, smsd):
    """The database really goes away (a private PostgreSQL cluster, stopped), then returns."""
    from flask_migrate import upgrade

    from backend import create_app
    from backend.regencies.service import ensure_regency

    app = create_app({"DATABASE_URL": private_postgres.url, "TESTING": True,
                      "PUSH_THREAD": False, "SMS_GATEWAY": "gammu",
                      "SMS_GAMMU_CONFIG": smsd.rc})
    with app.app_context():
        upgrade()
        ensure_regency(code="1606", name="Musi Banyuasin")
        db.session.commit()
        smsd.phone_receives("+6281234567890", FIRE)
        smsd.wait_for("inbox", 1)

        private_postgres.stop()
        app.extensions["siaga.push"].run_sms_round()   # what the relay runs: never raises
        assert len(smsd.files("inbox")) == 1

        private_postgres.start()
        db.engine.dispose()
        assert gateway_round()["received"] == 1
        assert gateway_round()["received"] == 0
        count = db.session.scalar(sa.select(sa.func.count()).select_from(SmsMessage)
                                  .where(SmsMessage.direction == "in"))
        assert count == 1 and smsd.files("inbox") == []
        reports = db.session.scalar(sa.select(sa.func.count()).select_from(Report))
        assert reports == 1   # its report, once, with the message
        db.session.remove()
        db.engine.dispose()


def test_gammu_config_must_use_the_files_backend_with_detail_format(tmp_path):
    rc = tmp_path / "rc"
    rc.write_text("[smsd]\nservice = sql\n")
    with pytest.raises(RuntimeError, match="files"):
        GammuGateway(str(rc))
    rc.write_text("[smsd]\nservice = files\ninboxformat = unicode\n")
    with pytest.raises(RuntimeError, match="detail"):
        GammuGateway(str(rc))


def test_the_documented_production_config_is_accepted():
    from backend.sms.gateways.gammu import read_smsdrc

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    paths = read_smsdrc(os.path.join(root, "deploy", "gammu", "smsdrc.example"))
    assert paths == {"inbox": "/var/spool/gammu/inbox/", "outbox": "/var/spool/gammu/outbox/",
                     "sentsms": "/var/spool/gammu/sent/", "errorsms": "/var/spool/gammu/error/"}


def test_two_messages_under_one_file_name_are_both_kept(gammu_app, smsd):
    """gammu names inbox files by second and sender: two SMS of one second can share a name.
    Both are stored, and both copies stay in the archive (processed/)."""
    smsd.phone_receives("+6281234567890", "KEBAKARAN di desa Kayu Ara")
    (name,) = smsd.wait_for("inbox", 1)
    time.sleep(1.1)  # past the settle time
    assert gateway_round()["received"] == 1
    # The next SMS arrives under the very same name, with other content.
    smsd.phone_receives("+6281234567890", "KEBAKARAN di desa Lais")
    (second,) = smsd.wait_for("inbox", 1)
    os.replace(os.path.join(smsd.path("inbox"), second), os.path.join(smsd.path("inbox"), name))
    os.utime(os.path.join(smsd.path("inbox"), name), (time.time() - 5, time.time() - 5))
    assert gateway_round()["received"] == 1
    assert sorted(m.text for m in inbound()) == ["KEBAKARAN di desa Kayu Ara",
                                                   "KEBAKARAN di desa Lais"]
    assert smsd.files("inbox") == [] and len(smsd.files("processed")) == 2
