from datetime import datetime, timedelta, timezone

from sync.clock import captured_time, make_clock

T0 = datetime(2026, 11, 29, 4, 0, tzinfo=timezone.utc)


def clock(phone_behind_s: float):
    return make_clock(received_at=T0, device_time=T0 - timedelta(seconds=phone_behind_s),
                      flag_after_s=300)


def test_correct_clock_keeps_device_time():
    when = captured_time(clock(0), T0 - timedelta(minutes=40), None)
    assert (when.at, when.source, when.flagged) == (T0 - timedelta(minutes=40),
                                                     "device_corrected", False)


def test_phone_hours_behind_is_corrected_and_flagged():
    c = clock(3 * 3600)
    when = captured_time(c, T0 - timedelta(hours=3, minutes=40), None)
    assert when.at == T0 - timedelta(minutes=40)
    assert when.flagged and c.flagged and c.offset_ms == 3 * 3600 * 1000


def test_gnss_fix_wins_when_phone_clock_jumped_between_capture_and_upload():
    # Captured with a clock 2 h wrong, uploaded after the phone re-synced its clock.
    fix = T0 - timedelta(minutes=30)
    when = captured_time(clock(0), fix - timedelta(hours=2), fix)
    assert (when.at, when.source, when.flagged) == (fix, "gnss", True)


def test_gnss_fix_agreeing_with_device_time_keeps_device_time():
    at = T0 - timedelta(minutes=30)
    when = captured_time(clock(0), at, at - timedelta(seconds=20))
    assert (when.at, when.source) == (at, "device_corrected")


def test_future_time_is_clamped_to_received():
    when = captured_time(clock(0), T0 + timedelta(hours=1), None)
    assert (when.at, when.source, when.flagged) == (T0, "server", True)


def test_future_gnss_fix_is_ignored():
    at = T0 - timedelta(minutes=5)
    when = captured_time(clock(0), at, T0 + timedelta(days=1))
    assert (when.at, when.source) == (at, "device_corrected")


def test_an_old_fix_never_backdates_a_report():
    # The phone's clock is right; the fix it carries is an hour old (last known location).
    at = T0 - timedelta(minutes=2)
    when = captured_time(clock(0), at, at - timedelta(hours=1))
    assert (when.at, when.source, when.flagged) == (at, "device_corrected", False)
