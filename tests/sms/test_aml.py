"""AML parser: valid and malformed messages, SMS and HTTPS."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from backend.sms.aml import AML_CODES, AmlError, is_aml_sms, parse_aml_https, parse_aml_sms


def sms(body: str) -> str:
    """An AML SMS with the right ml (the length of the whole message, ml included)."""
    text = 'A"ML=1;' + body + ";ml="
    n = len(text) + 1
    while len(text) + len(str(n)) != n:
        n += 1
    return text + str(n)


GOOD = ("lt=-2.88512;lg=+103.84671;rd=14;top=20261129071748;lc=68;pm=G;"
        "si=510100000000000;ei=353456789012345;mcc=510;mnc=10")


def test_the_published_no_location_example_parses():
    # Android ELS SMS spec, "No location" (its ml=127 is its length).
    text = ('A"ML=1;lt=+00.00000;lg=+000.00000;rd=N;top=20220131173734;lc=0;pm=N;'
            'si=234159000000000;ei=123456789012345;mcc=234;mnc=15;ml=127')
    loc = parse_aml_sms(text)
    assert (loc.lat, loc.lon, loc.radius_m, loc.method, loc.confidence) == (
        None, None, None, "none", 0)
    assert loc.positioned_at == datetime(2022, 1, 31, 17, 37, 34, tzinfo=timezone.utc)
    assert not loc.has_location and loc.transport == "sms"


def test_a_gnss_fix_in_musi_banyuasin():
    loc = parse_aml_sms(sms(GOOD))
    assert (loc.lat, loc.lon, loc.radius_m, loc.confidence, loc.method) == (
        -2.88512, 103.84671, 14.0, 68, "gnss")
    assert (loc.imsi, loc.imei, loc.mcc, loc.mnc) == (
        "510100000000000", "353456789012345", "510", "10")
    assert loc.positioned_at == datetime(2026, 11, 29, 7, 17, 48, tzinfo=timezone.utc)


@pytest.mark.parametrize("pm, method", [("G", "gnss"), ("W", "wifi"), ("C", "cell")])
def test_positioning_methods(pm, method):
    assert parse_aml_sms(sms(GOOD.replace("pm=G", f"pm={pm}"))).method == method


def test_a_decimal_radius_and_optional_identities_absent():
    loc = parse_aml_sms(sms("lt=-2.9;lg=103.8;rd=20.0;top=20261129071748;lc=68;pm=W"))
    assert (loc.radius_m, loc.imsi, loc.imei, loc.mcc) == (20.0, None, None, None)


def test_surrounding_whitespace_from_the_gateway_is_not_counted():
    assert parse_aml_sms("\n" + sms(GOOD) + "\r\n").lat == -2.88512


def test_is_aml_sms():
    assert is_aml_sms(sms(GOOD)) and not is_aml_sms("KEBAKARAN di Kayu Ara")


@pytest.mark.parametrize("text, code, field", [
    ("KEBAKARAN di desa Kayu Ara", "not_aml", None),
    (sms(GOOD).replace('A"ML=1', 'A"ML=2'), "unsupported_version", 'A"ML'),
    (sms(GOOD)[:-20], "truncated", "ml"),                               # cut
    (sms(GOOD)[:-1], "length_mismatch", "ml"),                          # cut in ml
    (sms(GOOD).replace("lt=", "lt=-2.1;x;lt2="), "malformed", "x"),
    (sms(GOOD.replace("lt=-2.88512;", "")), "missing_field", "lt"),
    (sms(GOOD.replace("top=20261129071748", "top=")), "missing_field", "top"),
    (sms(GOOD + ";lt=1.0"), "duplicate_field", "lt"),
    (sms(GOOD.replace("lt=-2.88512", "lt=-2,88512")), "invalid_format", "lt"),
    (sms(GOOD.replace("lt=-2.88512", "lt=-92.5")), "out_of_range", "lt"),
    (sms(GOOD.replace("lg=+103.84671", "lg=+183.1")), "out_of_range", "lg"),
    (sms(GOOD.replace("rd=14", "rd=-5")), "invalid_format", "rd"),
    (sms(GOOD.replace("rd=14", "rd=0")), "out_of_range", "rd"),
    (sms(GOOD.replace("rd=14", "rd=N")), "invalid_format", "rd"),      # N only with pm=N
    (sms(GOOD.replace("top=20261129071748", "top=20261332071748")), "out_of_range", "top"),
    (sms(GOOD.replace("top=20261129071748", "top=2026112907174")), "invalid_format", "top"),
    (sms(GOOD.replace("lc=68", "lc=101")), "out_of_range", "lc"),
    (sms(GOOD.replace("pm=G", "pm=X")), "invalid_format", "pm"),
    (sms(GOOD.replace("pm=G", "pm=N")), "invalid_format", "rd"),      # N with a position
    (sms(GOOD.replace("si=510100000000000", "si=51010A")), "invalid_format", "si"),
    (sms(GOOD.replace("ei=353456789012345", "ei=3534")), "invalid_format", "ei"),
    (sms(GOOD.replace("mcc=510", "mcc=51")), "invalid_format", "mcc"),
    (sms(GOOD).replace("ml=", "ml=x"), "invalid_format", "ml"),
    (sms(GOOD).rsplit(";ml=", 1)[0], "truncated", "ml"),
    (sms(GOOD).replace(";ml=", ";ml=;x="), "truncated", "ml"),
])
def test_malformed_sms_is_refused_with_code_and_field(text, code, field):
    with pytest.raises(AmlError) as err:
        parse_aml_sms(text)
    assert (err.value.code, err.value.field) == (code, field)
    assert err.value.code in AML_CODES
    assert err.value.as_dict()["details"] == {"field": field}


def test_the_published_computed_example_is_refused_for_its_length():
    # Its ml says 126 but it has 127 characters: the check is literal, as ETSI defines ml.
    text = ('A"ML=1;lt=+51.53321;lg=-0.12601;rd=14;top=20220131171748;lc=68;pm=W;'
            'si=234159000000000;ei=123456789012345;mcc=234;mnc=15;ml=126')
    with pytest.raises(AmlError) as err:
        parse_aml_sms(text)
    assert err.value.code == "length_mismatch"
    assert parse_aml_sms(text.replace("ml=126", "ml=127")).lat == 51.53321


# ---------------------------------------------------------------------------- HTTPS

FORM = {"v": "3", "emergency_number": "112", "location_latitude": "-2.8851234",
        "location_longitude": "103.8467123", "location_accuracy": "12.5",
        "location_time": "1795849068000", "location_source": "gps",
        "location_confidence": "68", "device_number": "+6281234567890",
        "device_imei": "353456789012345", "device_imsi": "510100000000000",
        "cell_network_mcc": "510", "cell_network_mnc": "10", "thunderbird_version": "2800"}


def test_an_https_post_of_android_els():
    loc = parse_aml_https(FORM)
    assert (loc.lat, loc.lon, loc.radius_m, loc.confidence, loc.method, loc.transport) == (
        -2.8851234, 103.8467123, 12.5, 68, "gnss", "https")
    assert loc.positioned_at == datetime.fromtimestamp(1795849068, tz=timezone.utc)
    assert (loc.number, loc.imei, loc.mcc, loc.version) == (
        "+6281234567890", "353456789012345", "510", "3")


def test_an_https_post_with_the_sms_keys():
    form = dict(item.split("=") for item in GOOD.split(";"))
    loc = parse_aml_https({"v": "1", **form})
    assert (loc.lat, loc.lon, loc.method, loc.transport) == (-2.88512, 103.84671, "gnss",
                                                             "https")


def test_an_https_post_without_a_fix():
    loc = parse_aml_https({"v": "3", "location_source": "unknown",
                           "location_time": "1795849068000"})
    assert loc.lat is None and loc.method == "none"


def test_a_single_valued_list_is_read_like_a_value():
    assert parse_aml_https({**FORM, "location_source": ["wifi"]}).method == "wifi"


@pytest.mark.parametrize("change, code, field", [
    ({"v": None}, "missing_field", "v"),
    ({"v": "9"}, "unsupported_version", "v"),
    ({"location_latitude": None}, "missing_field", "location_latitude"),
    ({"location_accuracy": None}, "missing_field", "location_accuracy"),
    ({"location_time": None}, "missing_field", "location_time"),
    ({"location_source": None}, "missing_field", "location_source"),
    ({"location_source": "bluetooth"}, "invalid_format", "location_source"),
    ({"location_latitude": "abc"}, "invalid_format", "location_latitude"),
    ({"location_longitude": "-181"}, "out_of_range", "location_longitude"),
    ({"location_accuracy": "0"}, "out_of_range", "location_accuracy"),
    ({"location_time": "12:00"}, "invalid_format", "location_time"),
    ({"location_confidence": "150"}, "out_of_range", "location_confidence"),
    ({"device_number": "call me"}, "invalid_format", "device_number"),
    ({"device_imei": "12"}, "invalid_format", "device_imei"),
    ({"location_source": ["gps", "wifi"]}, "duplicate_field", "location_source"),
    ({"location_latitude": 2.5}, "invalid_format", "location_latitude"),
    ({"lt": "-2.9"}, "duplicate_field", "lt"),
])
def test_malformed_https_is_refused_with_code_and_field(change, code, field):
    form = {k: v for k, v in {**FORM, **change}.items() if v is not None}
    with pytest.raises(AmlError) as err:
        parse_aml_https(form)
    assert (err.value.code, err.value.field) == (code, field)
