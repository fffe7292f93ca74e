"""Milestones for the service measures, on both databases: each is stamped by the one service
that makes the thing happen, the first time only, and never moved afterwards (invariant 10)."""
from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.dispatches.models import Dispatch
from backend.incidents.models import Incident
from backend.reports.models import Report, parse_ref
from tests.api.test_units import SEKAYU, op, responder, unit_id
from tests.helpers import Console, create_op, fetch, register, sos, sync


def row(model, **where):
    (found,) = fetch(sa.select(model).filter_by(**where))
    return found


def report_row(ref: str) -> Report:
    return row(Report, id=parse_ref(ref))


def test_answer_and_triage_milestones(client, staff):
    key = register(client)
    ref = sos(client, key, lat=SEKAYU[0], lon=SEKAYU[1])
    assert report_row(ref).first_viewed_at is None
    # An admin (who cannot triage) looking does not answer the report.
    admin = Console(client, "admin")
    assert admin.get(f"/v1/operator/reports/{ref}").status_code == 200
    assert report_row(ref).first_viewed_at is None
    operator = Console(client, "operator1")
    assert operator.get(f"/v1/operator/reports/{ref}").status_code == 200
    viewed = report_row(ref).first_viewed_at
    assert viewed is not None and viewed >= report_row(ref).received_at
    operator.get(f"/v1/operator/reports/{ref}")
    assert report_row(ref).first_viewed_at == viewed           # the first opening only
    assert operator.post(f"/v1/operator/reports/{ref}/confirm", json={}).status_code == 200
    confirmed = report_row(ref)
    assert confirmed.triaged_at >= viewed and confirmed.triaged_by == row(User, username="operator1").id


def test_triage_without_opening_marks_the_answer_too(client, staff):
    key, operator = register(client), Console(client, "operator1")
    ref = sos(client, key)
    assert operator.post(f"/v1/operator/reports/{ref}/reject",
                         json={"reason": "prank"}).status_code == 200
    rejected = report_row(ref)
    assert rejected.triaged_at is not None and rejected.first_viewed_at == rejected.triaged_at


def test_a_citizen_cancelling_is_not_triage(client, staff):
    key = register(client)
    create = create_op()
    ref = sync(client, key, [create]).get_json()["results"][0]["ref"]["report"]
    result = sync(client, key, [op("report.cancel", report=create["id"])]).get_json()
    assert result["results"][0]["status"] == "applied", result
    cancelled = report_row(ref)
    assert cancelled.status == "cancelled" and cancelled.triaged_at is None


def test_dispatch_milestones_are_set_once(client, staff):
    key, operator = register(client), Console(client, "operator1")
    phone = responder(client, "dmk-sky-1")
    ref = sos(client, key, lat=SEKAYU[0], lon=SEKAYU[1])
    number = operator.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]
    incident_id = row(Incident, id=int(number.rsplit("-", 1)[1])).id
    assert row(Incident, id=incident_id).first_dispatched_at is None
    sent = operator.post(f"/v1/operator/incidents/{number}/dispatch",
                         json={"units": [unit_id("DMK-SKY-1")]}).get_json()[0]["dispatch"]
    first = row(Incident, id=incident_id).first_dispatched_at
    assert first == row(Dispatch, id=sent).created_at
    for type_, data, field in [("dispatch.ack", {}, "acknowledged_at"),
                               ("dispatch.status", {"status": "en_route"}, "en_route_at"),
                               ("dispatch.status", {"status": "on_scene"}, "on_scene_at"),
                               ("dispatch.status", {"status": "completed"}, "completed_at")]:
        before = row(Dispatch, id=sent)
        assert getattr(before, field) is None
        result = sync(client, phone, [op(type_, dispatch=sent, **data)]).get_json()
        assert result["results"][0]["status"] == "applied", result
        assert getattr(row(Dispatch, id=sent), field) is not None
    done = row(Dispatch, id=sent)
    assert done.created_at <= done.acknowledged_at <= done.en_route_at <= done.on_scene_at \
        <= done.completed_at
    incident = row(Incident, id=incident_id)
    assert incident.first_acknowledged_at == done.acknowledged_at
    assert incident.first_on_scene_at == done.on_scene_at
    # A second unit sent later moves none of the incident's firsts.
    second = operator.post(f"/v1/operator/incidents/{number}/dispatch",
                           json={"units": [unit_id("DMK-SKY-2")]})
    assert second.status_code == 201, second.get_json()
    again = row(Incident, id=incident_id)
    assert (again.first_dispatched_at, again.first_acknowledged_at, again.first_on_scene_at) \
        == (first, done.acknowledged_at, done.on_scene_at)
    for to, field in [("resolved", "resolved_at"), ("closed", "closed_at")]:
        moved = operator.post(f"/v1/operator/incidents/{number}/status", json={"status": to})
        assert moved.status_code == 200, moved.get_json()
        assert getattr(row(Incident, id=incident_id), field) is not None
