"""Clock correction: phones in the field have wrong clocks; the server's is the reference.

offset = received_at - device_time (both sampled at send time). An op's corrected time is
at + offset. A GNSS fix time is true UTC and a report is captured at or after the fix it
carries, so the fix is a lower bound: when the corrected time lies before the fix by more than
the flag threshold (the phone clock moved between capture and upload), the fix wins. A fix
older than the corrected time is just an old fix and never backdates the report. A time in
the future is clamped to received_at. Large offsets are flagged, never refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

FUTURE_TOLERANCE = timedelta(seconds=5)


@dataclass(frozen=True)
class Clock:
    received_at: datetime
    offset: timedelta
    flag_after: timedelta

    @property
    def flagged(self) -> bool:
        return abs(self.offset) > self.flag_after

    @property
    def offset_ms(self) -> int:
        return int(self.offset / timedelta(milliseconds=1))


@dataclass(frozen=True)
class CapturedTime:
    at: datetime
    source: str  # gnss | device_corrected | server
    flagged: bool


def make_clock(*, received_at: datetime, device_time: datetime, flag_after_s: int) -> Clock:
    return Clock(received_at, received_at - device_time, timedelta(seconds=flag_after_s))


def captured_time(clock: Clock, device_at: datetime, gnss_fix_at: datetime | None) -> CapturedTime:
    """Best estimate of when something happened on the phone."""
    at, source, flagged = device_at + clock.offset, "device_corrected", clock.flagged
    if gnss_fix_at is not None and gnss_fix_at <= clock.received_at + FUTURE_TOLERANCE \
            and gnss_fix_at - at > clock.flag_after:
        at, source, flagged = gnss_fix_at, "gnss", True
    if at > clock.received_at + FUTURE_TOLERANCE:
        at, source, flagged = clock.received_at, "server", True
    return CapturedTime(at, source, flagged)
