"""Compact signed SOS (S1): encode/decode/verify, refusals by code, the worked examples of
PROTOCOL.md §13 recomputed, and the reference client's encoding read by the server."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from backend.devices.service import hash_key
from backend.sms.compact import (
    CATEGORY_LETTERS, COMPACT_CODES, MAX_LENGTH, CompactError, decode, encode, is_compact,
    sms_key_from_device_key, sms_key_from_key_hash, verify)
from mobile_contract.client import SiagaClient
from mobile_contract.sms import encode_sos

KEY = "sk1_yuGOLny1j1rrsbG87TP_1YBZzLlBiSjDCzuHnPR29IE"   # the key of examples/
SMS_KEY = sms_key_from_device_key(KEY)
GSM7_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLM"
                 "NOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
PROTOCOL = Path(__file__).resolve().parents[2] / "mobile_contract" / "PROTOCOL.md"

FIRE = {"id": "3f2b8c1e-9d4a-4c7b-8e21-5a6f0d9c1b2e", "type": "report.create",
        "at": "2026-11-29T07:15:42+00:00",
        "data": {"category": "fire", "note": "rumah terbakar", "silent": False,
                 "location": {"lat": -2.8851, "lon": 103.8467, "accuracy_m": 12,
                              "source": "gps", "fix_time": "2026-11-29T07:15:40Z"}}}
SILENT = {"id": "a1c4e2f0-7b3d-4e59-9f10-2c8d6b4a0e77", "type": "report.create",
          "at": "2026-11-29T23:02:05Z",
          "data": {"category": "violence_women_children", "note": "", "silent": True,
                   "location": None}}


def test_the_server_derives_the_phones_sms_key_from_the_stored_hash():
    assert sms_key_from_key_hash(hash_key(KEY)) == SMS_KEY


def test_round_trip():
    text = encode(FIRE, 1234, SMS_KEY)
    sos = verify(decode(text), SMS_KEY)
    assert (sos.device_id, str(sos.op_id), sos.category, sos.silent) == (
        1234, FIRE["id"], "fire", False)
    assert (sos.lat, sos.lon, sos.accuracy_m) == (-2.8851, 103.8467, 12.0)
    assert sos.captured_at.isoformat() == "2026-11-29T07:15:42+00:00"
    op = sos.to_op()
    assert op["id"] == FIRE["id"] and op["type"] == "report.create"
    assert op["data"]["location"]["lat"] == -2.8851 and op["data"]["silent"] is False


def test_no_fix_and_silent():
    sos = verify(decode(encode(SILENT, 7, SMS_KEY)), SMS_KEY)
    assert (sos.lat, sos.lon, sos.accuracy_m, sos.silent, sos.category) == (
        None, None, None, True, "violence_women_children")
    assert sos.to_op()["data"]["location"] is None


@pytest.mark.parametrize("category", sorted(CATEGORY_LETTERS))
def test_every_category_and_the_longest_fit_one_gsm7_sms(category):
    worst = {**FIRE, "id": str(uuid.UUID(int=2**128 - 1)), "at": "2099-12-31T23:59:59Z",
             "data": {"category": category, "silent": True, "location": {
                 "lat": -89.99999, "lon": -179.99999, "accuracy_m": 5_000_000}}}
    text = encode(worst, 36 ** 8 - 1, SMS_KEY)
    assert len(text) == MAX_LENGTH == 85 <= 160
    assert set(text) <= GSM7_BASIC
    assert decode(text).category == category


def test_a_forged_or_altered_message_fails_verification():
    text = encode(FIRE, 1234, SMS_KEY)
    with pytest.raises(CompactError) as err:  # another device's key
        verify(decode(text), sms_key_from_device_key("sk1_someone_else"))
    assert err.value.code == "bad_mac"
    moved = text.replace(" F0 ", " H0 ")          # category changed in transit
    with pytest.raises(CompactError) as err:
        verify(decode(moved), SMS_KEY)
    assert err.value.code == "bad_mac"
    other_device = text.replace("S1 ya ", "S1 yb ", 1)
    with pytest.raises(CompactError) as err:
        verify(decode(other_device), SMS_KEY)
    assert err.value.code == "bad_mac"


def _refusal(text):
    with pytest.raises(CompactError) as err:
        decode(text)
    assert err.value.code in COMPACT_CODES
    return err.value.code, err.value.field


def test_refusals_have_distinct_codes():
    text = encode(FIRE, 1234, SMS_KEY)
    parts = text.split(" ")
    assert _refusal("KEBAKARAN di Kayu Ara") == ("not_compact", None)
    assert _refusal(text.replace("S1", "S2", 1)) == ("unsupported_version", "version")
    assert _refusal(" ".join(parts[:5])) == ("truncated", "lon")
    assert _refusal(" ".join(parts[:8])) == ("truncated", "mac")
    assert _refusal(text[:-3]) == ("garbled", "mac")                  # cut inside the MAC
    assert _refusal(text + " X") == ("garbled", None)
    assert _refusal(text.replace(" F0 ", " F0 ;")) == ("garbled", None)
    assert _refusal(text.replace(" F0 ", " Z0 ")) == ("garbled", "category")
    assert _refusal(text.replace(" F0 ", " F7 ")) == ("garbled", "category")
    assert _refusal(text.replace(parts[2], parts[2][:-1] + "1")) == ("garbled", "op")
    assert _refusal(text.replace(parts[2], parts[2][:-2])) == ("garbled", "op")
    assert _refusal(text.replace(f" {parts[4]} ", " 2ij0ks ")) == ("out_of_range", "lat")
    assert _refusal(text.replace(f" {parts[5]} ", " -4ksyk0 ")) == ("out_of_range", "lon")
    assert _refusal(text.replace(f" {parts[5]} ", " _ ")) == ("garbled", "lat")
    assert _refusal(text.replace(f" {parts[7]} ", " 100 ")) == ("out_of_range", "at")
    assert _refusal(text.replace("S1 ya ", "S1 0 ", 1)) == ("out_of_range", "device")
    assert _refusal(text.replace(f" {parts[7]} ", " tp95i6! ")) == ("garbled", None)


def test_is_compact():
    assert is_compact(encode(FIRE, 1, SMS_KEY)) and not is_compact("Sekayu banjir")


def test_only_report_create_travels_by_sms():
    with pytest.raises(ValueError):
        encode({**FIRE, "type": "report.cancel"}, 1, SMS_KEY)


# ---------------------------------------------------------------------------- the contract

def test_the_worked_examples_in_protocol_md_are_what_the_code_computes():
    doc = PROTOCOL.read_text(encoding="utf-8")
    section = doc[doc.index("## 13."):]
    shown = re.findall(r"^    (S1 [^\n]+)$", section, re.M)
    assert shown == [encode(FIRE, 1234, SMS_KEY), encode(SILENT, 7, SMS_KEY)]
    assert f"device key `{KEY}`" in section
    assert f"SMS key `{SMS_KEY.hex()}`" in section


def test_the_reference_client_encodes_what_the_server_decodes():
    for op, device in ((FIRE, 1234), (SILENT, 7)):
        text = encode_sos(op, device, KEY)
        assert text == encode(op, device, SMS_KEY)
        sos = verify(decode(text), sms_key_from_key_hash(hash_key(KEY)))
        assert str(sos.op_id) == op["id"] and sos.device_id == device


def test_the_reference_client_encodes_a_post_report_as_the_server_decodes_it():
    for via, silent, digit in (("phone", False, "2"), ("walk_in", True, "5")):
        op = dict(FIRE, type="post.report",
                  data=dict(FIRE["data"], via=via, silent=silent, desa_name="kayuara"))
        text = encode_sos(op, 99, KEY)
        assert text == encode(op, 99, SMS_KEY) and text.split(" ")[3] == "F" + digit
        sos = verify(decode(text), sms_key_from_key_hash(hash_key(KEY)))
        assert (sos.op_type, sos.post_via, sos.silent) == ("post.report", via, silent)


def test_the_reference_client_makes_the_sms_of_a_queued_sos(tmp_path):
    client = SiagaClient("http://127.0.0.1:9", str(tmp_path / "phone.db"))
    client._meta("device_key", KEY)
    client._meta("device_id", "42")
    op_id = client.sos("health", -2.9581, 103.8411, "pingsan", accuracy_m=8.4, silent=True)
    sos = verify(decode(client.sos_sms(op_id)), sms_key_from_key_hash(hash_key(KEY)))
    queued = client.queued()[0]
    assert (str(sos.op_id), sos.device_id, sos.category, sos.silent) == (
        op_id, 42, "health", True)
    assert (sos.lat, sos.lon, sos.accuracy_m) == (-2.9581, 103.8411, 8.0)
    assert sos.captured_at.timestamp() == int(
        __import__("datetime").datetime.fromisoformat(queued["at"]).timestamp())
    assert client.sos_sms(str(uuid.uuid4())) is None   # not queued (sent, or never made)
