"""Push tokens only from signed-in responder phones: an anonymous phone cannot take one over."""
from __future__ import annotations

import sqlalchemy as sa

from backend.devices.models import Device
from tests.helpers import fetch, register
from tests.push.conftest import responder_phone


def test_a_never_signed_in_phone_cannot_take_a_crew_phones_token(client, staff):
    crew = responder_phone(client, "dmk-sky-1", "tok-crew-phone-0001")
    stranger = register(client, kind="responder")
    taken = client.put("/v1/responder/push-token", json={"token": "tok-crew-phone-0001"},
                       headers={"Authorization": f"Bearer {stranger}"})
    assert taken.status_code == 401
    assert taken.get_json()["error"]["code"] == "responder_not_signed_in"
    tokens = [d.fcm_token for d in fetch(sa.select(Device).where(Device.kind == "responder")
                                          .order_by(Device.id))]
    assert tokens == ["tok-crew-phone-0001", None] and crew
