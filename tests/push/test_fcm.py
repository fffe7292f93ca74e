"""The real firebase-admin SDK against the local stand-in: every FCM answer class."""
from __future__ import annotations

import time

import pytest
from firebase_admin import messaging

from push.fcm import FcmSender


@pytest.fixture
def sender(standin):
    sender = FcmSender(project_id="siaga-test", endpoint=standin.url)
    yield sender
    sender.close()


def msg(token: str) -> messaging.Message:
    return messaging.Message(token=token, data={"k": "v"},
                             android=messaging.AndroidConfig(priority="high"))


def test_success_returns_the_message_name_and_the_standin_records_it(sender, standin):
    outcomes = sender.send([msg("tok-a"), msg("tok-b")])
    assert [o.kind for o in outcomes] == ["sent", "sent"]
    assert all(o.name.startswith("projects/siaga-test/messages/") for o in outcomes)
    got = sorted(m["message"]["token"] for m in standin.messages)
    assert got == ["tok-a", "tok-b"]
    assert standin.messages[0]["message"]["android"]["priority"] == "high"
    issued = standin.tokens_issued  # concurrent first sends may each fetch one
    sender.send([msg("tok-c")])
    assert standin.tokens_issued == issued  # then it is reused


def test_error_classes(sender, standin):
    standin.set_faults(unregistered=["gone"], sender_mismatch=["other-app"], invalid=["bad"])
    kinds = [(o.kind, o.error) for o in sender.send(
        [msg("gone"), msg("other-app"), msg("bad"), msg("fine")])]
    assert kinds[0] == ("drop_token", "UnregisteredError")
    assert kinds[1] == ("drop_token", "SenderIdMismatchError")
    assert kinds[2][0] == "failed" and kinds[2][1].startswith("InvalidArgumentError")
    assert kinds[3][0] == "sent"


@pytest.mark.parametrize("status,error", [(429, "QuotaExceededError"),
                                          (503, "UnavailableError"), (500, "InternalError")])
def test_transient_errors_are_retried_by_us_not_by_the_sdk(sender, standin, status, error):
    standin.set_faults(script=[{"status": status, "retry_after": 30}])
    started = time.monotonic()
    outcome, = sender.send([msg("tok")])
    assert time.monotonic() - started < 5, "the SDK must not sleep on Retry-After"
    assert (outcome.kind, outcome.error) == ("retry", error)
    assert outcome.retry_after_s == 30
    assert standin.attempts == 1 and standin.messages == []
