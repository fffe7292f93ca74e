"""Administration, audit log and incident history in a real headless Chromium (Playwright):
an admin creates a user, disables another (whose open session ends) and moves a unit's post
by clicking the map; a supervisor pages the audit log to its oldest event and filters it; an
operator finds a closed incident by its desa. Screenshots in test-artifacts/.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.audit.service import audit_row, record_events
from backend.extensions import db
from backend.regencies.models import Regency
from backend.units.models import Unit
from tests.console.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, page  # noqa: F401
from tests.helpers import Console, fetch, register, sos

PASSWORD = "siaga112-demo"


def _no_live_feed(page):
    # These pages do not need the inbox's live feed; leaving it closed keeps the test app's
    # few feed slots (FEED_MAX_PER_WORKER) free for the tests that do.
    page.route("**/v1/operator/feed*", lambda route: route.abort())


def _sign_in(page, base, username, password=PASSWORD):
    _no_live_feed(page)
    page.goto(base + "/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator("header .who")).to_be_visible()


def _shot(page, backend, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{backend}-admin-{name}.png"))


def test_admin_creates_a_user_disables_another_and_moves_a_post_on_the_map(
        page, live_server, db_backend):
    backend = db_backend[0]
    # operator2 is signed in elsewhere, in another browser context
    other = page.context.browser.new_context(viewport={"width": 1366, "height": 768},
                                             locale="id-ID")
    operator = other.new_page()
    _sign_in(operator, live_server, "operator2")
    expect(operator.locator("section.inbox")).to_be_visible()

    _sign_in(page, live_server, "admin")
    page.click("header >> text=Administrasi")
    page.click(".subnav >> text=Pengguna")
    expect(page.locator("#users tbody tr[data-username=operator2]")).to_be_visible()
    form = page.locator("#user-form")
    form.locator("input[name=username]").fill("op-baru")
    form.locator("input[name=name]").fill("Operator Baru")
    form.locator("select[name=role]").select_option("supervisor")
    form.locator("input[name=password]").fill("sandi-baru-panjang")
    form.locator("button[type=submit]").click()
    created = page.locator("#users tbody tr[data-username=op-baru]")
    expect(created).to_contain_text("Operator Baru")
    expect(created.locator(".role")).to_have_text("Supervisor")
    _shot(page, backend, "1-user-created")

    victim = page.locator("#users tbody tr[data-username=operator2]")
    victim.locator("button.disable").click()
    expect(page.locator("#users tbody tr[data-username=operator2] .state")).to_have_text("Nonaktif")
    _shot(page, backend, "2-user-disabled")
    # the disabled operator's open session no longer works: API 401, pages go to sign-in
    status = operator.evaluate("fetch('/v1/operator/inbox').then(r => r.status)")
    assert status == 401
    operator.reload()
    expect(operator).to_have_url(live_server + "/console/login")
    other.close()
    # and the new user can sign in with the password the admin set
    fresh = page.context.browser.new_context(locale="id-ID").new_page()
    _sign_in(fresh, live_server, "op-baru", "sandi-baru-panjang")
    expect(fresh.locator("header .who")).to_contain_text("Operator Baru")
    fresh.context.close()

    page.click(".subnav >> text=Unit")
    row = page.locator("#units tbody tr", has_text="DMK-SKY-1")
    expect(row).to_be_visible()
    row.locator("button.edit").click()
    expect(page.locator("#unit-form-title")).to_contain_text("Damkar Sekayu 1")
    lat_before = float(page.input_value("#unit-form input[name=lat]"))
    page.locator("#map").click(position={"x": 120, "y": 60})
    lat = float(page.input_value("#unit-form input[name=lat]"))
    lon = float(page.input_value("#unit-form input[name=lon]"))
    assert lat != lat_before
    page.fill("#unit-form input[name=post_name]", "Pos Baru Sekayu")
    _shot(page, backend, "3-post-on-map")
    page.click("#unit-form button[type=submit]")
    expect(page.locator("#units tbody tr", has_text="DMK-SKY-1").locator(".post")).to_contain_text(
        "Pos Baru Sekayu")
    unit, = fetch(sa.select(Unit).where(Unit.call_sign == "DMK-SKY-1",
                                        Unit.post_name == "Pos Baru Sekayu"))
    assert abs(unit.lat - lat) < 1e-6 and abs(unit.lon - lon) < 1e-6
    _shot(page, backend, "4-post-moved")


def test_supervisor_pages_the_audit_log_to_the_oldest_event_and_filters_it(
        page, live_server, db_backend):
    regency = fetch(sa.select(Regency).where(Regency.code == "1606"))[0].id
    start = datetime(2026, 11, 20, 16, tzinfo=timezone.utc)    # 21 Nov 2026 00:00 WIB − 1 h
    record_events([audit_row(regency_id=regency, actor=("system", "escalation"),
                             action="dispatch.timed_out" if i % 10 == 0 else "unit.duty",
                             entity=("unit", 1), at=start + timedelta(minutes=i),
                             after={"on_duty": bool(i % 2)}) for i in range(130)])
    db.session.commit()
    _sign_in(page, live_server, "supervisor")
    page.click("header >> text=Log audit")
    rows = page.locator("#audit-log tbody tr")
    expect(rows).to_have_count(50)
    expect(page.locator("#audit-log thead")).to_contain_text("Pelaku")
    expect(rows.first).to_contain_text("Kepala Bidang Demo masuk ke konsol")
    total = len(fetch(sa.select(AuditEvent.id).where(AuditEvent.regency_id == regency)))
    while page.locator("#older").is_visible():
        count = rows.count()
        page.click("#older")
        expect(rows).not_to_have_count(count)
    expect(page.locator("#end")).to_have_text("Awal log tercapai.")
    expect(rows).to_have_count(total)
    oldest = min(e for e in fetch(sa.select(AuditEvent.id).where(
        AuditEvent.regency_id == regency)))
    assert rows.last.get_attribute("data-id") == str(oldest)
    _shot(page, db_backend[0], "5-audit-oldest")

    filters = page.locator("#audit-filters")
    filters.locator("select[name=action]").select_option("dispatch.timed_out")
    filters.locator("button[type=submit]").click()
    expect(rows).to_have_count(13)
    for text in rows.locator("td.desc").all_inner_texts():
        assert "tidak menjawab (batas waktu)" in text
    filters.locator("select[name=action]").select_option("")
    filters.locator("select[name=actor]").select_option("system")
    filters.locator("input[name=since]").fill("2026-11-21")
    filters.locator("input[name=until]").fill("2026-11-21")
    filters.locator("button[type=submit]").click()
    expect(rows).to_have_count(50)
    page.click("#older")
    expect(rows).to_have_count(130 - 60)                      # the first hour was 20 Nov WIB
    expect(page.locator("#end")).to_be_visible()
    times = rows.locator("td:first-child").all_inner_texts()
    assert all(t.startswith("21/11/2026") for t in times), times
    _shot(page, db_backend[0], "6-audit-filtered")


def test_incident_history_finds_a_closed_incident_by_its_desa(page, live_server, app,
                                                                db_backend):
    client = app.test_client()
    operator = Console(client, "operator1")
    ref = sos(client, register(client), category="fire", lat=-2.958106, lon=103.841150)
    number = operator.post(f"/v1/operator/reports/{ref}/confirm", json={}).get_json()["number"]
    for to in ("resolved", "closed"):
        assert operator.post(f"/v1/operator/incidents/{number}/status",
                             json={"status": to}).status_code == 200
    # placed in Kel. Kayu Ara at ingest (the seeded areas of Musi Banyuasin)

    _sign_in(page, live_server, "operator2")
    page.click("header >> text=Riwayat kejadian")
    search = page.locator("#history-search")
    search.locator("input[name=q]").fill("kayu ara")
    search.locator("select[name=status]").select_option("closed")
    search.locator("button[type=submit]").click()
    row = page.locator(f"#history tbody tr[data-number='{number}']")
    expect(page.locator("#history tbody tr")).to_have_count(1)
    expect(row).to_contain_text("ditutup")
    expect(row).to_contain_text("Kebakaran")
    expect(row).to_contain_text("Kayu Ara")
    _shot(page, db_backend[0], "7-history-found")
    search.locator("input[name=q]").fill("desa-yang-tidak-ada")
    search.locator("button[type=submit]").click()
    expect(page.locator("#none")).to_be_visible()
    search.locator("input[name=q]").fill(number)
    search.locator("button[type=submit]").click()
    row.locator("a").click()
    page.wait_for_url(f"**/console/incidents/{number}")
    expect(page.locator("#incident-status")).to_have_text("ditutup")
