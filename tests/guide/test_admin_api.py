"""GET/PUT /v1/admin/guide: admins only (checked before input), structured 422s that write
nothing, the audit event with its sentence, version conflicts, concurrent publishers, and
reading an older version back."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from backend.accounts.models import User
from backend.audit.describe import describe_events
from backend.audit.models import AuditEvent
from backend.extensions import db
from backend.guide.models import GuideVersion
from tests.guide.helpers import edit
from tests.helpers import Console, count, fetch, row_counts


def _put(console, body):
    return console.client.put("/v1/admin/guide", json=body,
                              headers={"X-CSRF-Token": console.csrf})


@pytest.mark.parametrize("username", ["operator1", "supervisor"])
def test_only_admins_read_or_publish(app, staff, username):
    console = Console(app.test_client(), username)
    assert console.get("/v1/admin/guide").status_code == 403
    refused = _put(console, {"bogus": 1})         # 403 before the body is looked at
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert _put(console, edit(0)).status_code == 403
    stranger = app.test_client()
    assert stranger.get("/v1/admin/guide").status_code == 401
    assert count("guide_versions") == 0


def test_admin_reads_the_built_in_text_first(app, staff):
    admin = Console(app.test_client(), "admin")
    body = admin.get("/v1/admin/guide").get_json()
    assert body["version"] == 0 and body["current_version"] == 0 and body["versions"] == []
    assert body["author"] is None and body["published_at"] is None
    assert body["sections"] == edit(0)["sections"]
    assert body["section_keys"] == list(edit(0)["sections"])
    assert body["placeholders"] == ["{sms_number}", "{emergency_number}", "{regency}"]
    assert body["limits"] == {"title": 100, "text": 2000, "sms_example_desa": 60}


BAD = [
    ("bahasa title blank", lambda b: b["sections"]["when"]["title"].update(id="   "),
     ["sections", "when", "title", "id"]),
    ("bahasa text missing", lambda b: b["sections"]["sms"]["text"].pop("id"),
     ["sections", "sms", "text", "id"]),
    ("text too long", lambda b: b["sections"]["what_to_say"]["text"].update(en="x" * 2001),
     ["sections", "what_to_say", "text", "en"]),
    ("title on two lines", lambda b: b["sections"]["categories"]["title"].update(id="A\nB"),
     ["sections", "categories", "title", "id"]),
    ("unknown placeholder", lambda b: b["sections"]["after"]["text"].update(id="Hub {nomor}"),
     ["sections", "after", "text", "id"]),
    ("control character", lambda b: b["sections"]["misuse"]["text"].update(id="a\x00b"),
     ["sections", "misuse", "text", "id"]),
    ("section missing", lambda b: b["sections"].pop("direct"), ["sections", "direct"]),
    ("unknown section", lambda b: b["sections"].update(jokes=b["sections"]["when"]),
     ["sections", "jokes"]),
    ("section without text", lambda b: b["sections"]["when"].pop("text"),
     ["sections", "when", "text"]),
    ("desa blank", lambda b: b.update(sms_example_desa=" "), ["sms_example_desa"]),
    ("base version a string", lambda b: b.update(base_version="0"), ["base_version"]),
    ("unknown field", lambda b: b.update(colour="red"), ["colour"]),
]


@pytest.mark.parametrize("name,spoil,path", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_structured_422_and_writes_nothing(app, staff, name, spoil, path):
    admin = Console(app.test_client(), "admin")
    before = row_counts()
    body = edit(0)
    spoil(body)
    response = _put(admin, body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    node = error["details"]["json"] if "json" in error["details"] else error["details"]
    for step in path:
        assert step in node, (path, error["details"])
        node = node[step]
    assert row_counts() == before


def test_publish_is_audited_with_a_sentence(app, staff):
    me = fetch(sa.select(User).where(User.username == "admin"))[0]
    admin = Console(app.test_client(), "admin")
    body = edit(0, misuse={"title": {"id": "Jangan iseng", "en": "No pranks"},
                           "text": {"id": "- Jangan iseng.", "en": "- No pranks."}})
    published = _put(admin, body).get_json()
    assert published["version"] == 1 and published["author"] == me.name
    assert published["versions"][0]["author"] == me.name
    events = fetch(sa.select(AuditEvent).where(AuditEvent.action == "guide.publish"))
    assert len(events) == 1
    event = events[0]
    assert (event.actor_type, event.actor_id) == ("user", str(me.id))
    assert (event.entity_type, event.entity_id) == ("guide", "1")
    assert event.before == {"version": 0} and event.after == {"version": 1,
                                                              "changed": ["misuse"]}
    described = describe_events(events)[0]
    db.session.rollback()
    assert described["description"] == f"{me.name} menerbitkan Panduan Publik versi 1"
    assert described["description_en"] == \
        f"{me.name} published version 1 of the Public Guide"
    log = admin.get("/v1/operator/audit?action=guide.").get_json()["events"]
    assert [e["action"] for e in log] == ["guide.publish"]


def test_a_stale_base_version_is_a_409_and_writes_nothing(app, staff):
    admin = Console(app.test_client(), "admin")
    assert _put(admin, edit(0)).status_code == 200
    before = row_counts()
    stale = _put(admin, edit(0, sms_example_desa="Lais"))
    assert stale.status_code == 409
    assert stale.get_json()["error"] == {
        "code": "version_conflict", "details": {"current_version": 1},
        "message": stale.get_json()["error"]["message"]}
    assert row_counts() == before
    assert _put(admin, edit(1, sms_example_desa="Lais")).get_json()["version"] == 2


def test_an_older_version_can_be_read_back_and_published_again(app, staff):
    admin = Console(app.test_client(), "admin")
    _put(admin, edit(0, sms_example_desa="Lais"))
    _put(admin, edit(1, sms_example_desa="Babat"))
    old = admin.get("/v1/admin/guide?version=1").get_json()
    assert old["version"] == 1 and old["current_version"] == 2
    assert old["sms_example_desa"] == "Lais" and [v["version"] for v in old["versions"]] == [2, 1]
    assert admin.get("/v1/admin/guide?version=0").get_json()["sms_example_desa"] == "Kayu Ara"
    missing = admin.get("/v1/admin/guide?version=7")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "guide_version_not_found"
    again = _put(admin, {"base_version": old["current_version"], "sections": old["sections"],
                         "sms_example_desa": old["sms_example_desa"]}).get_json()
    assert again["version"] == 3 and again["sms_example_desa"] == "Lais"


def test_an_admin_edits_only_their_own_regencys_guide(app, staff):
    _put(Console(app.test_client(), "admin-1607"), edit(0, sms_example_desa="Pangkalan Balai"))
    mine = Console(app.test_client(), "admin").get("/v1/admin/guide").get_json()
    assert mine["current_version"] == 0 and mine["versions"] == []


def test_two_admins_publishing_at_once_get_two_versions(app, staff):
    """Both start from version 0: one is published as 1, the other is refused with 409 —
    never two rows with one number, never a 500."""
    admins = [Console(app.test_client(), "admin") for _ in range(2)]
    barrier, results = threading.Barrier(2), []

    def publish(console, desa):
        with app.app_context():
            barrier.wait()
            results.append(_put(console, edit(0, sms_example_desa=desa)).status_code)

    threads = [threading.Thread(target=publish, args=(c, d))
               for c, d in zip(admins, ("Lais", "Babat"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [200, 409]
    assert [v.version for v in fetch(sa.select(GuideVersion))] == [1]
