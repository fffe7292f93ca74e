"""The supervisor's live board on both databases, over data whose figures are known by
construction: waiting reports and the oldest wait, open incidents by state, units by state per
agency, escalations, undelivered alerts — and test traffic nowhere."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from backend.dispatches.models import Dispatch
from backend.dispatches.service import escalate_overdue
from backend.extensions import db
from backend.incidents.models import Incident
from backend.reports.models import Report, parse_ref
from push.models import PushOutbox
from tests.api.test_units import responder, unit_id
from tests.helpers import Console, register, sos

SEKAYU = (-2.9128, 103.8282)


def _ago(seconds: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


def _update(stmt) -> None:
    db.session.execute(stmt.execution_options(synchronize_session=False))
    db.session.commit()


def _report_at(ref: str, seconds_ago: float, **values) -> None:
    _update(sa.update(Report).where(Report.id == parse_ref(ref))
            .values(received_at=_ago(seconds_ago), **values))


def _confirm(console, ref) -> str:
    response = console.post(f"/v1/operator/reports/{ref}/confirm", json={})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["number"]


def _dispatch(console, number, call_sign) -> int:
    response = console.post(f"/v1/operator/incidents/{number}/dispatch",
                            json={"units": [unit_id(call_sign)]})
    assert response.status_code == 201, response.get_json()
    try:
        return db.session.scalar(sa.select(Dispatch.id).where(
            Dispatch.unit_id == unit_id(call_sign)))
    finally:
        db.session.rollback()  # never sit on SQLite's write lock while requests run


def _world(client):
    """Real and test traffic through the real API, then a few clocks set back."""
    phone, test_phone = register(client), register(client, test=True)
    operator = Console(client, "operator1")
    responder(client, "dmk-sky-1", token="token-sky-1")
    responder(client, "dmk-sky-2", token="token-sky-2")
    waiting_a = sos(client, phone, category="fire", lat=SEKAYU[0], lon=SEKAYU[1])
    waiting_b = sos(client, phone, category="health", silent=True)
    flooded = sos(client, phone, category="other")
    old_test = sos(client, test_phone, category="fire")
    _report_at(waiting_a, 600)
    _report_at(waiting_b, 120)
    _report_at(flooded, 3000, flooded=True)
    _report_at(old_test, 10_000)                 # older than all: must not be "the oldest"

    open_one = _confirm(operator, sos(client, phone, category="accident"))
    _update(sa.update(Incident).where(Incident.status == "open")
            .values(created_at=_ago(900)))
    sent = _confirm(operator, sos(client, phone, category="fire"))
    sent_dispatch = _dispatch(operator, sent, "DMK-SKY-1")
    late = _confirm(operator, sos(client, phone, category="fire"))
    late_dispatch = _dispatch(operator, late, "DMK-SKY-2")
    _confirm(operator, sos(client, test_phone, category="fire"))        # a test incident
    operator.post(f"/v1/operator/units/{unit_id('POL-SKY')}/duty", json={"on_duty": False})

    # DMK-SKY-1's alert failed for good; DMK-SKY-2's was dropped because its dispatch was
    # called off (not a delivery failure), and DMK-SKY-2 then ran out of time.
    _update(sa.update(PushOutbox).where(PushOutbox.dispatch_id == sent_dispatch)
            .values(status="failed", last_error="INVALID_ARGUMENT", attempts=1))
    _update(sa.update(Dispatch).where(Dispatch.id == sent_dispatch)   # as delivery.settle does
            .values(needs_attention=True))
    _update(sa.update(PushOutbox).where(PushOutbox.dispatch_id == late_dispatch)
            .values(status="dropped", last_error="dispatch cancelled"))
    _update(sa.update(Dispatch).where(Dispatch.id == late_dispatch)
            .values(ack_deadline=_ago(5)))
    assert escalate_overdue() == [late_dispatch]
    db.session.commit()
    return {"open": open_one, "sent": sent, "late": late, "sent_dispatch": sent_dispatch}


def test_board_counts_what_waits_what_is_open_and_what_went_wrong(client, staff):
    world = _world(client)
    response = Console(client, "supervisor").get("/v1/operator/board")
    assert response.status_code == 200, response.get_json()
    board = response.get_json()

    waiting = board["waiting"]
    assert (waiting["count"], waiting["silent"], waiting["flooded"]) == (2, 1, 1)
    assert 590 <= waiting["oldest_age_s"] <= 660

    states = {row["state"]: row for row in board["incidents"]}
    assert list(states) == ["open", "dispatched", "acknowledged", "en_route", "on_scene"]
    assert {s: row["count"] for s, row in states.items()} == {
        "open": 1, "dispatched": 2, "acknowledged": 0, "en_route": 0, "on_scene": 0}
    assert 890 <= states["open"]["oldest_age_s"] <= 960
    assert states["dispatched"]["oldest_age_s"] < 120
    assert states["on_scene"]["oldest_age_s"] is None

    agencies = {a["type"]: a for a in board["agencies"]}
    assert agencies["fire_brigade"]["total"] == 5
    assert agencies["fire_brigade"]["states"] == {
        "available": 4, "assigned": 1, "en_route": 0, "on_scene": 0, "out_of_service": 0}
    assert agencies["police"]["states"]["out_of_service"] == 1
    assert agencies["police"]["states"]["available"] == 4
    assert sum(a["total"] for a in board["agencies"]) == 20

    escalations = board["escalations"]
    assert escalations["timed_out_today"] == 1 and escalations["declined_today"] == 0
    assert escalations["awaiting_ack"] == 1 and escalations["overdue_ack"] == 0
    assert escalations["needs_attention"] == 2
    assert {i["number"] for i in escalations["incidents"]} == {world["late"], world["sent"]}

    alerts = board["alerts"]
    assert (alerts["today"], alerts["open"]) == (1, 1)
    item, = alerts["items"]
    assert item == {"status": "failed", "error": "INVALID_ARGUMENT", "attempts": 1,
                    "dispatch": world["sent_dispatch"], "unit": "[DEMO] Damkar Sekayu 1",
                    "incident": world["sent"]}

    # Six real reports arrived (three of them set back 2, 10 and 50 minutes) and three real
    # incidents opened (one set back 15 minutes): each counts as today unless local midnight
    # fell in between — the board's own day start decides, so the test holds at any hour.
    start = datetime.fromisoformat(board["day_start"])
    ages = (120, 600, 3000, 0, 0, 0)
    assert board["today"]["reports"] == sum(_ago(age) >= start for age in ages)
    assert board["today"]["incidents"] == 3 - (_ago(900) < start)


def test_board_leaves_out_test_traffic_entirely(client, staff):
    test_phone = register(client, test=True)
    operator = Console(client, "operator1")
    responder(client, "dmk-sky-1", token="token-sky-1")
    sos(client, test_phone, category="health")
    number = _confirm(operator, sos(client, test_phone, category="fire"))
    _dispatch(operator, number, "DMK-SKY-1")
    _update(sa.update(PushOutbox).values(status="failed", last_error="INVALID_ARGUMENT"))
    board = Console(client, "admin").get("/v1/operator/board").get_json()
    assert board["waiting"] == {"count": 0, "silent": 0, "flooded": 0, "oldest_at": None,
                                "oldest_age_s": None}
    assert [row["count"] for row in board["incidents"]] == [0, 0, 0, 0, 0]
    assert (board["today"]["reports"], board["today"]["incidents"]) == (0, 0)
    assert [(m["count"], m["open"], m["compliance"]) for m in board["today"]["measures"]] == \
        [(0, 0, None)] * 6
    assert board["alerts"] == {"today": 0, "open": 0, "items": []}
    assert board["escalations"]["awaiting_ack"] == 0
    # The unit is busy all the same: a test dispatch takes a real crew off the road.
    fire = next(a for a in board["agencies"] if a["type"] == "fire_brigade")
    assert fire["states"]["assigned"] == 1


def test_board_is_for_supervisors_and_admins(client, staff):
    assert client.get("/v1/operator/board").status_code == 401
    refused = Console(client, "operator1").get("/v1/operator/board")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"


def test_one_regency_never_sees_anothers_board(client, staff):
    sos(client, register(client), category="fire")
    other = Console(client, "supervisor-1607").get("/v1/operator/board").get_json()
    assert other["waiting"]["count"] == 0
    assert len(other["agencies"]) == 7


def test_board_today_against_target_known_by_construction(client, staff):
    """Today's headline measures come from backend/kpi (kpi_summary over local midnight →
    now). Ten app reports i = 1..10 arrive today: answer 3i s, triage 6i s; reports 1..5
    each open an incident k (report 4 is a fire) at their triage, dispatched 10k s later
    (processing 16k), acknowledged 20k s after that, on scene 100k s after that (total 136k;
    nothing waits on the phone), done a minute later. Incident 1 also has a second dispatch nobody acknowledged
    yet (acknowledgement open). Yesterday's report and today's test report never count."""
    from backend.board.service import day_start
    from backend.regencies.models import Regency
    from tests.kpi.factory import add_dispatch, add_incident, add_report, make_cast

    regency = db.session.scalar(sa.select(Regency).where(Regency.code == "1606"))
    now = datetime.now(timezone.utc)
    start = day_start(regency, now)
    at = start + (now - start) / 2            # today, whatever the hour the test runs
    cast = make_cast(regency.id, tag="board")
    for i in range(1, 11):
        report = add_report(regency.id, at, viewed_s=3 * i, triaged_s=6 * i,
                            triaged_by=cast.operators[0],
                            category="fire" if i == 4 else "health")
        db.session.flush()
        if i <= 5:
            incident = add_incident(report, report.triaged_at, cast.operators[0])
            sent = incident.created_at + timedelta(seconds=10 * i)
            add_dispatch(incident, cast.units[1], sent, cast.operators[0], ack_s=20 * i,
                         on_scene_s=120 * i, completed_s=120 * i + 60)
            if i == 1:
                add_dispatch(incident, cast.units[0], sent + timedelta(seconds=5),
                             cast.operators[0])
    add_report(regency.id, start - timedelta(hours=1), viewed_s=900, triaged_s=900,
               triaged_by=cast.operators[0])                      # yesterday
    add_report(regency.id, at, viewed_s=900, triaged_s=900, test=True,
               triaged_by=cast.operators[0])                      # test traffic
    db.session.commit()

    board = Console(client, "supervisor").get("/v1/operator/board").get_json()
    assert (board["today"]["reports"], board["today"]["incidents"]) == (10, 5)
    got = {m["measure"]: (m["count"], m["open"], m["p50_s"], m["p90_s"], m["target_s"],
                          m["target_share"], m["compliance"], m["met"])
           for m in board["today"]["measures"]}
    assert list(got) == ["answer", "triage", "processing", "acknowledgement", "travel",
                         "total"]
    assert got == {
        # 3i against 15 s: i ≤ 5 → 50 %
        "answer": (10, 0, 15, 27, 15, 0.9, 0.5, False),
        # 6i against 60 s: all ten
        "triage": (10, 0, 30, 54, 60, 0.9, 1.0, True),
        # 16k against 64 s: k ≤ 4
        "processing": (5, 0, 48, 80, 64, 0.9, 0.8, False),
        # 20k: health against 60 s (k = 1, 2, 3), the fire one (80 s) against 80 s
        "acknowledgement": (5, 1, 60, 100, 60, 0.9, 0.8, False),
        "travel": (5, 0, 300, 500, None, None, None, None),
        "total": (5, 0, 408, 680, None, None, None, None),
    }
