"""The weak-link scenario's SMS leg: phones with queued SOS and no data send them by SMS
(the reference client's S1, through the real gammu-smsd); some never get data back, some get
it back after their SMS went through, some had data first and their SMS arrives late. Every
SOS is stored exactly once, every SMS is answered with the report number, and the phones
whose data returned end with empty queues and the same report refs."""
from __future__ import annotations

import os
import random
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from backend.reports.models import Report
from backend.sms.gateways.gammu import parse_backup
from backend.sms.models import SmsMessage
from backend.sms.service import gateway_round
from mobile_contract.client import SiagaClient
from mobile_contract.weaklink import WeakLink
from tests.helpers import fetch
from tests.mobile_contract.test_client import port_of

PHONES_PER_GROUP = 6


def _phones(base: str, group: str, rng: random.Random) -> list[tuple[str, SiagaClient]]:
    phones = []
    for i in range(PHONES_PER_GROUP):
        phone = SiagaClient(base, rng=random.Random(f"{group}{i}"),
                            backoff_base=0.05, backoff_cap=0.5)
        phone.register()
        for _ in range(rng.randint(1, 2)):
            phone.sos(rng.choice(["fire", "health", "accident"]), -2.9 + rng.random() / 2,
                      103.6 + rng.random() / 2, "dari desa tanpa sinyal data")
        phones.append((f"+62812{['a', 'b', 'c'].index(group)}{i:06d}", phone))
    return phones


def _send_sms(smsd, phones) -> int:
    sent = 0
    for number, phone in phones:
        for op in phone.queued():
            smsd.phone_receives(number, phone.sos_sms(op["id"]))
            sent += 1
    return sent


def _ingest(smsd, expected: int) -> None:
    smsd.wait_for("inbox", expected, timeout=30)
    stored = 0
    for _ in range(10):
        stored += gateway_round()["received"]
        if stored >= expected:
            return
        smsd.wait_for("inbox", 1, timeout=10)
    raise AssertionError(f"{stored} of {expected} SMS stored")


def test_phones_without_data_reach_the_centre_by_sms_and_nothing_is_stored_twice(
        gammu_app, smsd, live_server):
    rng = random.Random(112)
    sms_only = _phones(live_server, "a", rng)       # no data for the whole run
    sms_then_data = _phones(live_server, "b", rng)  # SMS first, data returns later
    data_then_sms = _phones(live_server, "c", rng)  # data went through; the SMS was late
    every = sms_only + sms_then_data + data_then_sms
    queued = {op["id"] for _, p in every for op in p.queued()}

    sms_count = _send_sms(smsd, sms_only + sms_then_data)
    late = {number: [phone.sos_sms(op["id"]) for op in phone.queued()]
            for number, phone in data_then_sms}
    _ingest(smsd, sms_count)

    link = WeakLink(port_of(live_server), latency_ms=40, drop_probability=0.2, seed=11).start()
    try:
        for _, phone in sms_then_data + data_then_sms:
            phone.port = link.port
        with ThreadPoolExecutor(max_workers=8) as pool:
            done = list(pool.map(lambda p: p[1].flush(deadline_s=90),
                                 sms_then_data + data_then_sms))
    finally:
        link.stop()
    assert all(done)

    for number, texts in late.items():               # the SMS the network held back
        for text in texts:
            smsd.phone_receives(number, text)
    _ingest(smsd, sum(len(t) for t in late.values()))
    gateway_round()                                   # send the last replies

    reports = fetch(sa.select(Report))
    stored = [r.client_op_id for r in reports]
    assert len(stored) == len(set(stored)) == len(queued) and set(stored) == queued
    by_op = {r.client_op_id: r for r in reports}
    for _, phone in sms_only:                         # still queued on the phone, but stored
        assert all(by_op[op["id"]].source == "sms" for op in phone.queued())
    for _, phone in sms_then_data:
        receipts = phone.receipts()
        assert phone.queued() == []
        assert {r["status"] for r in receipts.values()} == {"duplicate"}
        assert all(r["ref"]["report"] == by_op[op_id].ref for op_id, r in receipts.items())
    for _, phone in data_then_sms:
        assert phone.queued() == [] and all(by_op[i].source == "app" for i in phone.receipts())

    inbound = fetch(sa.select(SmsMessage).where(SmsMessage.direction == "in"))
    assert len(inbound) == len(queued) and all(m.report_id is not None for m in inbound)
    assert all(m.error_code is None for m in inbound)
    sent = smsd.wait_for("sent", len(queued), timeout=30)
    replies = [parse_backup(open(os.path.join(smsd.path("sent"), n)).read())[:2] for n in sent]
    refs = {r.ref for r in reports}
    assert len(replies) == len(queued)                # one answer per SOS, none twice
    assert all(any(ref in text for ref in refs) for _, text in replies)
