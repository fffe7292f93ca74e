"""Write mobile_contract/examples/*.json from a real run of the server (`./dev examples`).

Every example is a request the server really received and the reply it really gave; the
test suite validates them all against openapi.json so they cannot rot.
"""
from __future__ import annotations

import json
import pathlib
import tempfile
import uuid
from datetime import datetime, timedelta, timezone

OUT = pathlib.Path(__file__).parent / "examples"


def main():
    from flask_migrate import upgrade

    from backend import create_app
    from backend.extensions import db
    from backend.regencies.service import ensure_regency
    from backend.seed import seed_demo

    tmp = tempfile.mkdtemp()
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/examples.sqlite3", "PUSH_THREAD": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "SMS_NUMBER": "0811-0000-0112",
                      "PUBLIC_BASE_URL": "https://112.example.go.id"})
    with app.app_context():
        upgrade()
        seed_demo(ensure_regency(code="1606", name="Musi Banyuasin"))
        db.session.commit()
    client = app.test_client()
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    now = datetime.now(timezone.utc).replace(microsecond=0)

    def save(name, title, method, path, body, response, headers=None, query=None):
        request = {"method": method, "path": path, "headers": headers or {}, "body": body}
        if query:
            request["query"] = query
        shown = {h: response.headers[h] for h in ("Siaga-Sync", "ETag", "Cache-Control")
                 if h in response.headers}
        (OUT / f"{name}.json").write_text(json.dumps({
            "title": title, "request": request,
            "response": {"status": response.status_code, "headers": shown,
                         "body": response.get_json(silent=True)}}, indent=2,
                                    ensure_ascii=False) + "\n")

    def call(name, title, path, body, key=None, method="POST"):
        headers = {"Authorization": "Bearer <device key>"} if key else {}
        response = client.open(path, method=method, json=body,
                               headers={"Authorization": f"Bearer {key}"} if key else {})
        save(name, title, method, path, body, response, headers)
        return response.get_json(silent=True)

    def op(type_, data, minutes_ago=20):
        return {"id": str(uuid.uuid4()), "type": type_,
                "at": (now - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z"),
                "data": data}

    def sync(name, title, key, ops, cursor=None, device_time=now):
        return call(name, title, "/v1/sync", {
            "protocol": 1, "device_time": device_time.isoformat().replace("+00:00", "Z"),
            "cursor": cursor, "ops": ops}, key)

    # The public guide (PROTOCOL.md §14): no key; cached by the app, revalidated by ETag.
    for lang, name in (("id", "Bahasa Indonesia"), ("en", "English")):
        guide = client.get(f"/v1/public/guide?lang={lang}")
        save(f"guide-{lang}", f"The public guide in {name}, to cache for reading offline",
             "GET", "/v1/public/guide", None, guide, query={"lang": lang})
    etag = guide.headers["ETag"]
    save("guide-not-modified", "Revalidating the cached guide: 304, no body", "GET",
         "/v1/public/guide", None,
         client.get("/v1/public/guide?lang=en", headers={"If-None-Match": etag}),
         headers={"If-None-Match": etag}, query={"lang": "en"})

    key = call("device-register", "Register a citizen phone", "/v1/devices",
               {"platform": "android", "app_version": "1.4.0", "locale": "id",
                "phone": "+6281234567890"})["device_key"]
    create = op("report.create", {"category": "fire", "note": "rumah terbakar dekat masjid",
                                  "silent": False,
                                  "location": {"lat": -2.8851, "lon": 103.8467, "accuracy_m": 12,
                                               "source": "gps",
                                               "fix_time": "2026-11-29T03:39:58Z"}})
    reply = sync("sync-report-create-applied", "An SOS queued offline, applied", key, [create])
    sync("sync-report-create-duplicate",
         "The same batch again after the reply was lost: duplicate, same ref", key, [create])
    conflict = dict(create, data=dict(create["data"], category="riot"))
    sync("sync-report-create-conflict", "Same op id, different body: conflict", key, [conflict])
    bad = op("report.create", {"category": "fire", "location": {"lat": 123, "lon": 103.8}})
    unknown = op("report.teleport", {})
    sync("sync-rejected-ops-do-not-block",
         "Permanently invalid ops are rejected with a code; the others still apply", key,
         [bad, op("report.create", {"category": "health", "location": None}), unknown])
    note = op("report.update_note", {"report": create["id"], "note": "dua rumah terbakar"}, 10)
    cancel = op("report.cancel", {"report": create["id"], "reason": "sudah padam"}, 5)
    sync("sync-report-update-note-and-cancel", "Update a note, then cancel the report", key,
         [note, cancel], cursor=reply["cursor"])
    sync("sync-pull-changes", "Pull only: the report's status changes since the cursor", key,
         [], cursor=reply["cursor"])
    sync("sync-clock-skew", "A phone clock five hours behind: corrected and flagged", key,
         [op("report.create", {"category": "accident", "location": None}, 300)],
         device_time=now - timedelta(hours=5))
    call("sync-error-too-many-ops", "More than 100 ops: 413 too_many_ops, nothing written",
         "/v1/sync", {"protocol": 1, "device_time": now.isoformat(), "cursor": None,
                      "ops": [op("report.create", {"category": "fire"})] * 101}, key)
    call("sync-error-unsupported-protocol", "A protocol this server does not serve",
         "/v1/sync", {"protocol": 2, "device_time": now.isoformat(), "ops": []}, key)
    call("sync-error-bad-key", "An unknown device key: 401, keep the queue", "/v1/sync",
         {"protocol": 1, "device_time": now.isoformat(), "ops": []}, "sk1_not-a-key")

    responder = call("device-register-responder", "Register a responder phone", "/v1/devices",
                     {"platform": "android", "app_version": "1.4.0", "kind": "responder"}
                     )["device_key"]
    call("responder-sign-in", "A crew member signs in on the phone", "/v1/responder/session",
         {"username": "dmk-sky-1", "password": "siaga112-demo"}, responder)
    call("responder-push-token", "Register the FCM token", "/v1/responder/push-token",
         {"token": "fcm-registration-token-from-the-phone"}, responder, method="PUT")
    with app.app_context():  # an operator dispatches the unit (console API, not in examples)
        import sqlalchemy as sa

        from backend.accounts.models import User
        from backend.dispatches.service import dispatch_units
        from backend.triage.service import confirm_report, create_call_report
        from backend.units.models import Unit
        operator = db.session.scalar(sa.select(User).where(User.username == "operator1"))
        report = create_call_report(actor=operator, category="fire", note="gudang terbakar",
                                    lat=-2.88, lon=103.85, caller_phone=None)
        number = confirm_report(actor=operator, ref=report.ref).number
        unit = db.session.scalar(sa.select(Unit).where(Unit.call_sign == "DMK-SKY-1"))
        dispatch = dispatch_units(actor=operator, number=number, unit_ids=[unit.id])[0].id
        db.session.commit()
    pulled = sync("responder-sync-pull-assignment", "The responder phone pulls its new job",
                  responder, [])
    sync("responder-sync-ack-and-status",
         "Acknowledge, then en route, on scene, with a location fix — queued offline", responder,
         [op("dispatch.ack", {"dispatch": dispatch}, 4),
          op("dispatch.status", {"dispatch": dispatch, "status": "en_route"}, 3),
          op("responder.location", {"lat": -2.8830, "lon": 103.8490, "accuracy_m": 8}, 2),
          op("dispatch.status", {"dispatch": dispatch, "status": "on_scene"}, 1)],
         cursor=pulled["cursor"])
    post = op("post.report", {"category": "health", "via": "walk_in",
                              "desa_name": "kayuara", "caller_phone": "+6281377001122",
                              "note": "ibu hamil pendarahan, keluarga datang ke pos",
                              "location": None}, 6)
    sync("responder-sync-post-report",
         "An emergency that reached the post (someone walked in), logged on the crew's phone "
         "offline: the desa is found from the name as typed", responder, [post],
         cursor=pulled["cursor"])
    sync("responder-sync-post-report-duplicate",
         "The same post report again (the reply was lost): duplicate, same ref", responder,
         [post], cursor=pulled["cursor"])
    sync("responder-sync-decline-rejected",
         "Declining a dispatch already acknowledged is refused (invalid_transition)", responder,
         [op("dispatch.decline", {"dispatch": dispatch, "reason": "mobil rusak"}, 0)])
    print(f"wrote {len(list(OUT.glob('*.json')))} examples to {OUT}")


if __name__ == "__main__":
    main()
