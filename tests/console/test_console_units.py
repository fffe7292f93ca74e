"""Units as resources in the console, in a real headless Chromium (1366×768, id-ID): the units
page's state, crew phones and fix age; free and busy units on the incident page and reassigning
with a reason; unit markers where the crew's GPS puts them."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from playwright.sync_api import expect

from backend.extensions import db
from backend.regencies.models import Regency
from backend.units.models import Unit
from tests.console.test_browser import page  # noqa: F401
from tests.console.test_console_live import _shot, _sign_in
from tests.helpers import Console, register, sos, sync

SEKAYU = (-2.9128, 103.8282)  # Kel. Serasan Jaya, Kec. Sekayu (its label point)


def _unit_id(call_sign):
    try:
        return db.session.scalar(sa.select(Unit.id).join(Regency, Regency.id == Unit.regency_id)
                                 .where(Unit.call_sign == call_sign, Regency.code == "1606"))
    finally:
        db.session.rollback()


def _crew_phone(client, username, token=None):
    key = register(client, kind="responder")
    auth = {"Authorization": f"Bearer {key}"}
    assert client.post("/v1/responder/session", json={"username": username,
                                                      "password": "siaga112-demo"},
                       headers=auth).status_code == 200
    if token:
        client.put("/v1/responder/push-token", json={"token": token}, headers=auth)
    return key


def _fix(client, key, lat, lon, minutes_ago=2):
    at = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat()
    op = {"id": str(uuid.uuid4()), "type": "responder.location",
          "at": at.replace("+00:00", "Z"), "data": {"lat": lat, "lon": lon, "accuracy_m": 9}}
    assert sync(client, key, [op]).get_json()["results"][0]["status"] == "applied"


def _incident(client, console, key):
    ref = sos(client, key, category="fire", lat=SEKAYU[0], lon=SEKAYU[1])
    return console.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]


def test_units_page_shows_state_crew_phones_and_fix_age(page, live_server, app, db_backend):
    client = app.test_client()
    phone = _crew_phone(client, "dmk-sky-1", "tok-dmk-1")
    _crew_phone(client, "dmk-sky-1")                       # a second phone without a token
    _fix(client, phone, -2.90, 103.86, minutes_ago=3)
    console = Console(client, "operator1")
    number = _incident(client, console, register(client))
    assert console.post(f"/v1/operator/incidents/{number}/dispatch",
                        json={"units": [_unit_id("DMK-SKY-1")]}).status_code == 201

    _sign_in(page, live_server, "operator2")
    page.click("header >> text=Unit")
    row = page.locator("tr", has_text="DMK-SKY-1")
    expect(row.locator(".state .unit-state")).to_have_text("Ditugaskan")
    expect(row.locator(".state")).to_contain_text("sejak")
    expect(row.locator(".state")).to_contain_text("WIB")
    expect(row.locator(f".state a[href$='{number}']")).to_have_text(number)
    expect(row.locator(".crew")).to_have_text("2 masuk · 1 terjangkau")
    expect(row.locator(".position")).to_have_text("GPS · 3 min lalu")
    other = page.locator("tr", has_text="DMK-SKY-2")
    expect(other.locator(".unit-state")).to_have_text("Tersedia")
    expect(other.locator(".crew")).to_have_text("0 masuk · 0 terjangkau")
    expect(other.locator(".position")).to_contain_text("di pos")
    expect(other.locator(".position")).to_contain_text("belum ada GPS")
    other.locator("button.toggle").click()
    expect(page.locator("tr", has_text="DMK-SKY-2").locator(".unit-state")).to_have_text(
        "Tidak siaga")
    _shot(page, db_backend, "11-units-state")


def test_incident_page_lists_busy_units_apart_and_reassigns_with_a_reason(
        page, live_server, app, db_backend):
    client = app.test_client()
    _crew_phone(client, "dmk-sky-1", "tok-dmk-1")
    console = Console(client, "operator1")
    citizen = register(client)
    first, second = _incident(client, console, citizen), _incident(client, console, citizen)
    assert console.post(f"/v1/operator/incidents/{first}/dispatch",
                        json={"units": [_unit_id("DMK-SKY-1")]}).status_code == 201

    _sign_in(page, live_server, "operator2")
    page.goto(f"{live_server}/console/incidents/{second}")
    expect(page.locator("#recommended li").first).to_contain_text("Damkar Sekayu 2")
    expect(page.locator("#recommended")).not_to_contain_text("Damkar Sekayu 1")
    busy = page.locator("#busy-units li", has_text="Damkar Sekayu 1")
    expect(busy).to_contain_text("Ditugaskan")
    expect(busy.locator(f"a[href$='{first}']")).to_have_text(first)
    _shot(page, db_backend, "12-incident-busy-units")
    busy.locator("button", has_text="Alihkan").click()       # the reason is required first
    expect(page.locator("#dispatches")).not_to_contain_text("Damkar Sekayu 1")
    busy.locator("input[name=reason]").fill("Api lebih besar di sini")
    busy.locator("button", has_text="Alihkan").click()
    expect(page.locator("#dispatches")).to_contain_text("Damkar Sekayu 1", timeout=5000)
    expect(page.locator("#busy-units")).not_to_contain_text("Damkar Sekayu 1")
    expect(page.locator("#incident-status")).to_have_text("unit dikirim")

    page.goto(f"{live_server}/console/incidents/{first}")
    expect(page.locator("#dispatches li", has_text="Damkar Sekayu 1")).to_contain_text(
        "dibatalkan")
    expect(page.locator("#dispatches")).to_contain_text("Api lebih besar di sini")
    expect(page.locator("#attention")).to_be_visible()       # left without a unit
    expect(page.locator(".timeline")).to_contain_text("mengalihkan unit")
    _shot(page, db_backend, "13-incident-reassigned-from")


def test_unit_markers_sit_at_the_crews_fix_with_its_age(page, live_server, app, db_backend):
    client = app.test_client()
    phone = _crew_phone(client, "dmk-sky-2", "tok-dmk-2")
    _fix(client, phone, -2.75, 103.95, minutes_ago=4)
    _sign_in(page, live_server)
    markers = page.locator("#map path.unit-marker")
    expect(markers.first).to_be_attached(timeout=5000)
    gps = page.locator("#map path.unit-marker.at-gps")
    expect(gps).to_have_count(1)
    gps.dispatch_event("mouseover")
    tooltip = page.locator(".leaflet-tooltip", has_text="DMK-SKY-2")
    expect(tooltip).to_contain_text("Tersedia · GPS · 4 min lalu")
    # The marker is at the fix, away from every post.
    box = gps.bounding_box()
    posts = [page.locator("#map path.unit-marker.at-post").nth(i).bounding_box()
             for i in range(page.locator("#map path.unit-marker.at-post").count())]
    assert posts and all(abs(box["x"] - p["x"]) + abs(box["y"] - p["y"]) > 3 for p in posts)
    _shot(page, db_backend, "14-unit-at-gps")
