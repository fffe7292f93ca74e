"""Incident history: closed and resolved incidents are findable by number, report, desa,
category, status and date, with keyset paging — on both databases. Desa names come from the
seeded areas (backend/places/data): a report is placed in its desa at ingest."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from backend.incidents.models import Incident
from tests.helpers import Console, fetch, register, sos


KAYU_ARA = (-2.958106, 103.841150)      # the label point of Kel. Kayu Ara (seeded areas)
SUNGAI_LILIN = (-2.6380, 104.1530)


def _incident(operator, client, key, category, at=SUNGAI_LILIN, **kwargs) -> tuple[str, str]:
    ref = sos(client, key, category=category, lat=at[0], lon=at[1])
    number = operator.post(f"/v1/operator/reports/{ref}/confirm", json=kwargs).get_json()["number"]
    return ref, number


def _world(app):
    client = app.test_client()
    operator = Console(client, "operator1")
    key = register(client)
    fire_ref, fire = _incident(operator, client, key, "fire", at=KAYU_ARA)
    health_ref, health = _incident(operator, client, key, "health")
    _, accident = _incident(operator, client, key, "accident", priority=3)
    for to in ("resolved", "closed"):
        assert operator.post(f"/v1/operator/incidents/{fire}/status",
                             json={"status": to}).status_code == 200
    desa = fetch(sa.select(Incident.desa_code).order_by(Incident.id))
    assert desa[0] == "16.06.01.1009" and "16.06.01.1009" not in desa[1:]  # placed at ingest
    return operator, {"fire": fire, "health": health, "accident": accident,
                      "fire_ref": fire_ref, "health_ref": health_ref}


def _numbers(console, query: str) -> list[str]:
    response = console.get("/v1/operator/incidents?order=newest&" + query)
    assert response.status_code == 200, response.get_json()
    return [i["number"] for i in response.get_json()["incidents"]]


def test_search_finds_closed_incidents_by_number_report_desa_category_status(app, staff):
    operator, n = _world(app)
    assert _numbers(operator, f"q={n['fire']}") == [n["fire"]]
    assert _numbers(operator, "q=" + str(int(n["health"].rsplit("-", 1)[1]))) == [n["health"]]
    assert _numbers(operator, f"q={n['health_ref']}") == [n["health"]]
    assert _numbers(operator, f"q={n['fire_ref'].lower()}") == [n["fire"]]
    for query in ("kayu", "KAYU ARA", "ayu a"):
        assert _numbers(operator, f"q={query}") == [n["fire"]], query
    assert _numbers(operator, "q=Sekayu") == []           # kecamatan names are not desa names
    assert _numbers(operator, "q=%25") == []              # LIKE wildcards are plain text
    assert _numbers(operator, "status=closed") == [n["fire"]]
    assert _numbers(operator, "status=resolved&status=closed") == [n["fire"]]
    assert _numbers(operator, "category=health&category=accident") == [n["accident"],
                                                                         n["health"]]
    assert _numbers(operator, "category=fire&status=open") == []
    now = datetime.now(timezone.utc)
    since = (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    until = (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert len(_numbers(operator, f"since={since}&until={until}")) == 3
    assert _numbers(operator, f"until={since}") == []
    other = Console(app.test_client(), "operator1-1607")
    assert _numbers(other, f"q={n['fire']}") == []


def test_keyset_paging_in_both_orders_visits_every_incident_once(app, staff):
    operator, n = _world(app)
    for order, expected in (("newest", [n["accident"], n["health"], n["fire"]]),
                            ("urgent", [n["health"], n["fire"], n["accident"]])):
        seen, cursor = [], None
        while True:
            url = f"/v1/operator/incidents?order={order}&limit=1" + (
                f"&cursor={cursor}" if cursor else "")
            page = operator.get(url).get_json()
            seen += [i["number"] for i in page["incidents"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected, order
    default = operator.get("/v1/operator/incidents").get_json()
    assert [i["number"] for i in default["incidents"]] == [n["health"], n["fire"],
                                                           n["accident"]]
    assert default["next_cursor"] is None
    for bad in ("cursor=abc", "order=urgent&cursor=12", "order=newest&cursor=0.2",
                "category=meteor", "since=kemarin", "q=", "limit=501"):
        response = operator.get(f"/v1/operator/incidents?{bad}")
        assert response.status_code == 422, bad
        assert response.get_json()["error"]["code"] in ("validation_error", "invalid_cursor")
