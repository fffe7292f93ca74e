"""The audit log: sentences with names, filters, keyset paging to the oldest event — on
both databases; and the incident timeline through the same describer."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from backend.audit.describe import describe_events
from backend.audit.models import AuditEvent
from backend.audit.service import audit_row, record_events
from backend.dispatches.service import escalate_overdue
from backend.extensions import db
from backend.regencies.models import Regency
from tests.helpers import Console, fetch, register, sos


def _incident_with_a_timed_out_dispatch(app):
    operator = Console(app.test_client(), "operator1")
    key = register(app.test_client())
    ref = sos(app.test_client(), key, category="fire")
    number = operator.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]
    unit = next(r["unit"] for r in operator.get(f"/v1/operator/incidents/{number}")
                .get_json()["recommendations"] if r["unit"]["call_sign"] == "DMK-SKY-1")
    assert operator.post(f"/v1/operator/incidents/{number}/dispatch",
                         json={"units": [unit["id"]]}).status_code == 201
    operator.post(f"/v1/operator/incidents/{number}/notes", json={"text": "Api <b>besar</b>"})
    escalate_overdue(now=datetime.now(timezone.utc) + timedelta(hours=1))
    db.session.commit()
    return operator, ref, number, unit


def test_events_read_as_bahasa_indonesia_sentences_with_names(app, staff):
    operator, ref, number, unit = _incident_with_a_timed_out_dispatch(app)
    supervisor = Console(app.test_client(), "supervisor")
    events = supervisor.get("/v1/operator/audit").get_json()["events"]
    said = {e["action"]: e for e in reversed(events)}  # the newest of each action
    assert said["dispatch.create"]["description"] == \
        f"Operator Satu mengirim unit [DEMO] Damkar Sekayu 1 ke {number}"
    assert said["dispatch.create"]["description_en"] == \
        f"Operator Satu dispatched unit [DEMO] Damkar Sekayu 1 to {number}"
    assert said["dispatch.timed_out"]["description"] == \
        "Unit [DEMO] Damkar Sekayu 1 tidak menjawab (batas waktu)"
    assert said["dispatch.timed_out"]["actor_name"] == "Sistem (eskalasi)"
    assert said["report.confirmed"]["description"] == f"Operator Satu mengonfirmasi laporan {ref}"
    assert said["incident.create"]["description"] == \
        f"Operator Satu membuka kejadian {number} (Kebakaran)"
    assert said["incident.note"]["description"] == \
        f"Operator Satu menambah catatan pada {number}: “Api <b>besar</b>”"
    assert said["report.create"]["actor_name"].startswith("Pelapor (ponsel ")
    assert said["user.login"]["description"] == "Kepala Bidang Demo masuk ke konsol"

    detail = operator.get(f"/v1/operator/incidents/{number}").get_json()
    timeline = [e["description"] for e in detail["timeline"]]
    assert f"Operator Satu mengirim unit [DEMO] Damkar Sekayu 1 ke {number}" in timeline
    assert "Unit [DEMO] Damkar Sekayu 1 tidak menjawab (batas waktu)" in timeline
    page = operator.get(f"/console/incidents/{number}").get_data(as_text=True)
    assert "tidak menjawab (batas waktu)" in page
    assert "Api &lt;b&gt;besar&lt;/b&gt;" in page and "<b>besar</b>" not in page


def test_names_are_resolved_in_one_query_per_page(app, staff):
    _incident_with_a_timed_out_dispatch(app)
    admin = Console(app.test_client(), "admin")
    unit = admin.get("/v1/admin/units").get_json()["units"][1]
    admin.patch(f"/v1/admin/units/{unit['id']}", json={"active": False})
    admin.post("/v1/admin/users", json={"username": "op-x", "name": "Op X", "role": "operator",
                                        "password": "panjang-sekali-1"})
    events = fetch(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    kinds = {e.actor_type for e in events} | {e.entity_type for e in events}
    assert {"user", "device", "system", "unit", "dispatch", "agency", "incident",
            "report"} <= kinds
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        described = describe_events(events)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
        db.session.rollback()
    assert len(statements) == 1, statements
    assert all("#" not in d["actor_name"] for d in described)
    assert any(d["description"] == f"Admin Demo menonaktifkan unit {unit['name']}"
               for d in described)


def _many_events(regency_id: int, n: int, start: datetime) -> None:
    record_events([audit_row(regency_id=regency_id, actor=("system", "test"),
                             action="unit.duty" if i % 3 else "dispatch.timed_out",
                             entity=("unit", i % 4 + 1), at=start + timedelta(minutes=i),
                             after={"on_duty": bool(i % 2)}) for i in range(n)])
    db.session.commit()


def test_paging_reaches_the_oldest_event_and_filters_narrow_it(app, staff):
    supervisor = Console(app.test_client(), "supervisor")
    regency = fetch(sa.select(Regency).where(Regency.code == "1606"))[0].id
    start = datetime(2026, 11, 1, 16, tzinfo=timezone.utc)  # 2 Nov 2026 00:00 WIB - 1 h
    _many_events(regency, 250, start)
    everything = fetch(sa.select(AuditEvent.id).where(AuditEvent.regency_id == regency)
                       .order_by(AuditEvent.id.desc()))
    seen, before, pages = [], None, 0
    while True:
        url = "/v1/operator/audit?limit=70" + (f"&before_id={before}" if before else "")
        response = supervisor.get(url)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        seen += [e["id"] for e in page["events"]]
        pages += 1
        before = page["next_before_id"]
        if before is None:
            break
        assert before == seen[-1]
    assert seen == everything and pages == -(-len(everything) // 70)

    timed_out = supervisor.get("/v1/operator/audit?action=dispatch.&actor=system&limit=500")
    assert {e["action"] for e in timed_out.get_json()["events"]} == {"dispatch.timed_out"}
    assert len(timed_out.get_json()["events"]) == 84
    unit_two = supervisor.get("/v1/operator/audit?entity_type=unit&entity_id=2&limit=500")
    assert {(e["entity_type"], e["entity_id"]) for e in unit_two.get_json()["events"]} == \
        {("unit", "2")}
    # a WIB day: 2 Nov 2026 00:00-24:00 WIB is 1 Nov 17:00 - 2 Nov 17:00 UTC
    day = supervisor.get("/v1/operator/audit?since=2026-11-02T00:00:00%2B07:00"
                         "&until=2026-11-03T00:00:00%2B07:00&limit=500&actor=system")
    times = [datetime.fromisoformat(e["at"]) for e in day.get_json()["events"]]
    assert times and min(times) >= datetime(2026, 11, 1, 17, tzinfo=timezone.utc)
    assert max(times) < datetime(2026, 11, 2, 17, tzinfo=timezone.utc)
    assert len(times) == 250 - 60
    operator = Console(app.test_client(), "operator1")
    me = operator.get("/v1/operator/session").get_json()["user"]["id"]
    by_user = supervisor.get(f"/v1/operator/audit?actor={me}").get_json()["events"]
    assert by_user and {(e["actor_type"], e["actor_id"]) for e in by_user} == {("user", str(me))}


def test_bad_audit_filters_are_422_for_supervisors_and_403_for_operators(app, staff):
    supervisor = Console(app.test_client(), "supervisor")
    operator = Console(app.test_client(), "operator1")
    for query in ("limit=0", "before_id=abc", "actor=root", "since=yesterday",
                  "action=DROP%20TABLE", "bogus=1"):
        assert supervisor.get(f"/v1/operator/audit?{query}").status_code == 422, query
        assert operator.get(f"/v1/operator/audit?{query}").status_code == 403, query
