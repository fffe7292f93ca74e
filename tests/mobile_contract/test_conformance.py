"""The conformance kit passes against this server (and fails loudly against a broken one)."""
from mobile_contract.conformance import Scenarios, run


def test_every_scenario_passes(live_server):
    outcomes = run(live_server)
    assert [(n, e) for n, e in outcomes if e is not None] == []
    assert len(outcomes) == len(Scenarios(live_server).all()) >= 10


def test_the_kit_notices_a_server_that_is_not_siaga(live_server):
    from tests.mobile_contract.test_client import Stub

    fake = Stub(200, b'{"ok": true}', {"Content-Type": "application/json"})
    try:
        outcomes = dict(run(fake.url))
        assert outcomes["real_reply_is_marked"] is not None
    finally:
        fake.close()
