"""KPI figures on both databases, on a month whose figures are known by construction
(tests/kpi/factory.py::known_month: durations k·1..N seconds per measure)."""
from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from backend.extensions import db
from backend.kpi import service
from backend.kpi.models import KpiTarget
from backend.regencies.models import Regency
from tests.kpi.factory import (
    DESA,
    add_dispatch,
    add_incident,
    add_report,
    app_rank,
    known_category,
    known_month,
    known_received,
    known_source,
    make_cast,
    make_history,
)

WIB = ZoneInfo("Asia/Jakarta")
START, END = datetime(2026, 11, 1, tzinfo=WIB), datetime(2026, 12, 1, tzinfo=WIB)


def regency_id(code="1606") -> int:
    return db.session.scalar(sa.select(Regency.id).where(Regency.code == code))


@pytest.fixture
def month(app):
    rid = regency_id()
    cast = make_cast(rid)
    built = known_month(rid, START, cast)
    db.session.commit()
    return rid, cast, built


def by_measure(rows) -> dict:
    return {r["measure"]: r for r in rows}


def by_group(rows, measure) -> dict:
    return {r["group"]: r for r in rows if r["measure"] == measure}


def nearest_rank(values, p):
    """The test's own reading of the definition (not the code under test)."""
    ordered = sorted(values)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1]


# (count, p50, p90, compliance) by construction; None: no target.
EXPECTED = {
    "offline_delay": (80, 40, 72, None),        # j = 1..80
    "answer": (80, 40, 72, 15 / 80),            # j = 1..80 against 15 s
    "triage": (100, 100, 180, 30 / 100),        # 2i, i = 1..100, against 60 s
    "dispatch": (50, 25, 45, None),             # k = 1..50
    "processing": (50, 75, 135, 21 / 50),       # 2k + k against 64 s: k ≤ 21
    # 2k against 60 s (health) and 80 s (fire, k % 4 == 0): 23 health k ≤ 30 + 10 fire k ≤ 40
    "acknowledgement": (50, 50, 90, 33 / 50),
    "travel": (50, 250, 450, None),             # 10k
    "on_scene": (50, 1500, 2700, None),         # 60k
    # offline + 2k + k + 2k + 10k = off(k) + 15k (off = 0 for the calls, k % 5 == 0): the
    # 25th and 45th values are k = 24 (20 + 360) and k = 44 (36 + 660)
    "total": (50, 380, 696, None),
}


def test_month_known_by_construction(month):
    rid, _, _ = month
    rows = by_measure(service.kpi_summary(rid, START, END))
    assert list(rows) == [m for m in EXPECTED]  # every measure, in definition order
    for name, (count, p50, p90, compliance) in EXPECTED.items():
        row = rows[name]
        assert (row["count"], row["p50_s"], row["p90_s"], row["open"]) == (count, p50, p90, 0), \
            name
        assert row["compliance"] == pytest.approx(compliance) if compliance is not None \
            else row["compliance"] is None, name
        assert row["group"] is None
    assert (rows["answer"]["target_s"], rows["answer"]["target_share"],
            rows["answer"]["target_source"], rows["answer"]["met"]) == \
        (15, 0.9, "NENA call answering", False)
    assert rows["processing"]["target_source"] == "NFPA 1221 alarm processing"
    assert rows["offline_delay"]["target_s"] is None and rows["offline_delay"]["met"] is None
    totals = [(0 if known_source(k) == "call" else app_rank(k)) + 15 * k for k in range(1, 51)]
    assert (rows["total"]["p50_s"], rows["total"]["p90_s"]) == \
        (nearest_rank(totals, 50), nearest_rank(totals, 90))


def test_groupings_split_in_known_proportions(month):
    rid, cast, _ = month
    triage = by_group(service.kpi_summary(rid, START, END, "category"), "triage")
    assert {g: (r["count"], r["p50_s"], r["p90_s"]) for g, r in triage.items()} == \
        {"fire": (25, 104, 184), "health": (75, 100, 180)}
    assert triage["fire"]["label"] == "Kebakaran"
    ack = by_group(service.kpi_summary(rid, START, END, "category"), "acknowledgement")
    assert (ack["fire"]["target_s"], ack["fire"]["compliance"]) == (80, pytest.approx(10 / 12))
    assert (ack["health"]["target_s"], ack["health"]["compliance"]) == \
        (60, pytest.approx(23 / 38))

    rows = service.kpi_summary(rid, START, END, "operator")
    triage = by_group(rows, "triage")
    assert {g: (r["count"], r["p50_s"], r["p90_s"]) for g, r in triage.items()} == \
        {cast.operators[0]: (50, 50, 90), cast.operators[1]: (50, 150, 190)}
    assert triage[cast.operators[0]]["label"] == "Operator KPI 1"
    assert set(by_group(rows, "dispatch")) == {cast.operators[0]}  # who confirmed: op 1

    rows = service.kpi_summary(rid, START, END, "unit")
    ack = by_group(rows, "acknowledgement")
    assert {g: (r["count"], r["p50_s"], r["p90_s"]) for g, r in ack.items()} == \
        {cast.units[0]: (25, 26, 46), cast.units[1]: (25, 76, 96)}
    assert by_group(rows, "processing")[cast.units[0]]["count"] == 25  # first unit's incident
    assert not by_group(rows, "triage")  # reports have no unit
    agencies = by_group(service.kpi_summary(rid, START, END, "agency"), "acknowledgement")
    assert {g: r["count"] for g, r in agencies.items()} == \
        {cast.agencies[0]: 25, cast.agencies[1]: 25}
    assert agencies[cast.agencies[0]]["label"] == "Damkar Uji kpi"

    rows = service.kpi_summary(rid, START, END, "channel")
    triage = by_group(rows, "triage")
    assert {g: (r["count"], r["p50_s"], r["p90_s"]) for g, r in triage.items()} == \
        {"app": (80, 98, 178), "call": (20, 100, 180)}
    assert "call" not in by_group(rows, "answer") and by_group(rows, "answer")["app"]["count"] \
        == 80
    assert {g: r["count"] for g, r in by_group(rows, "processing").items()} == \
        {"app": 40, "call": 10}
    assert triage["call"]["label"] == "Telepon"

    rows = service.kpi_summary(rid, START, END, "desa")
    triage = by_group(rows, "triage")
    assert {g: (r["count"], r["p50_s"]) for g, r in triage.items()} == \
        {DESA[1][0]: (50, 98), DESA[0][0]: (50, 100)}
    assert triage[DESA[0][0]]["label"] == "Kel. Kayu Ara, Kec. Sekayu"
    assert triage[DESA[1][0]]["label"] == "Kel. Serasan Jaya, Kec. Sekayu"
    kecamatan = by_group(service.kpi_summary(rid, START, END, "kecamatan"), "triage")
    assert {g: (r["count"], r["label"]) for g, r in kecamatan.items()} == \
        {"16.06.01": (100, "Sekayu")}

    local = [known_received(START, i).astimezone(WIB) for i in range(1, 101)]
    hours = by_group(service.kpi_summary(rid, START, END, "hour"), "triage")
    assert {g: r["count"] for g, r in hours.items()} == Counter(t.hour for t in local)
    assert hours[7]["label"] == "07.00–07.59"
    days = by_group(service.kpi_summary(rid, START, END, "day"), "triage")
    assert {g: r["count"] for g, r in days.items()} == \
        Counter(t.date().isoformat() for t in local)
    assert min(days) == "2026-11-01" and max(days) == "2026-11-29"
    # Incidents and dispatches fall in their local hour too (minutes after their report).
    by_hour = by_group(service.kpi_summary(rid, START, END, "hour"), "dispatch")
    assert {g: r["count"] for g, r in by_hour.items()} == Counter(t.hour for t in local[:50])


def test_counts(month):
    rid, cast, _ = month
    got = service.counts(rid, START, END)
    flat = lambda rows: {r["key"]: r["count"] for r in rows}  # noqa: E731
    assert (got["reports"], got["test_reports_excluded"], got["incidents"],
            got["dispatches"]) == (100, 10, 50, 50)
    assert flat(got["by_channel"]) == {"app": 80, "call": 20}
    assert flat(got["by_category"]) == {"health": 75, "fire": 25}
    assert got["by_category"][0]["label"] == "Masalah kesehatan"
    assert flat(got["by_desa"]) == {DESA[0][0]: 50, DESA[1][0]: 50}
    assert flat(got["by_kecamatan"]) == {"16.06.01": 100}
    assert flat(got["by_unit"]) == {cast.units[0]: 25, cast.units[1]: 25}
    assert flat(got["by_agency"]) == {cast.agencies[0]: 25, cast.agencies[1]: 25}
    hours = Counter(known_received(START, i).astimezone(WIB).hour for i in range(1, 101))
    assert [r["key"] for r in got["by_hour"]] == list(range(24))
    assert flat(got["by_hour"]) == {h: hours.get(h, 0) for h in range(24)}
    assert got["rejections"] == {"prank": 10, "test": 10, "invalid": 20}
    assert (got["rejected"], got["merged"], got["escalated"], got["undelivered_alerts"]) == \
        (40, 10, 0, 0)
    # The test reports are silent and have no location: none of that counts.
    assert (got["silent"], got["no_location"], got["outside_regency"]) == (0, 0, 0)
    assert sum(known_category(i) == "fire" for i in range(1, 101)) == 25
    # Reports 1–50 confirmed, 51–60 merged, the rest rejected: none awaits, none flooded.
    assert (got["confirmed"], got["awaiting"], got["flooded"]) == (50, 0, 0)
    days = Counter(known_received(START, i).astimezone(WIB).date().isoformat()
                   for i in range(1, 101))
    assert [r["key"] for r in got["by_day"]] == sorted(days)
    assert flat(got["by_day"]) == dict(days)
    assert got["escalations_by_agency"] == []


def test_unit_workload(month):
    rid, cast, _ = month
    # Unit 0 takes incidents k = 1..25, unit 1 k = 26..50; acknowledgement 2k (p90: the
    # 23rd of 25), on scene 72k − 12k = 60k s each; the test dispatches (unit 0) never count.
    got = service.unit_workload(rid, START, END)
    assert [(r["unit_id"], r["unit"], r["agency_id"]) for r in got] == [
        (cast.units[1], "AMB-UJI-KPI", cast.agencies[1]),
        (cast.units[0], "DMK-UJI-KPI", cast.agencies[0])]
    amb, dmk = got
    assert (dmk["dispatches"], dmk["completed"], dmk["timed_out"], dmk["declined"]) == \
        (25, 25, 0, 0)
    assert (dmk["acknowledgement_p90_s"], dmk["on_scene_s"]) == (46, 60 * sum(range(1, 26)))
    assert (amb["acknowledgement_p90_s"], amb["on_scene_s"]) == (96, 60 * sum(range(26, 51)))
    assert dmk["agency"] == "Damkar Uji kpi"


def test_targets_set_by_the_regency(month):
    rid, _, _ = month
    db.session.add_all([
        KpiTarget(regency_id=rid, measure="triage", category="*", seconds=100, share=0.5),
        KpiTarget(regency_id=rid, measure="acknowledgement", category="health", seconds=40,
                  share=0.9),
        KpiTarget(regency_id=rid, measure="travel", category="*", seconds=250, share=0.5)])
    db.session.commit()
    rows = by_measure(service.kpi_summary(rid, START, END))
    triage = rows["triage"]
    assert (triage["target_s"], triage["target_share"], triage["target_source"],
            triage["compliance"], triage["met"]) == (100, 0.5, "regency", 0.5, True)
    # Health acknowledgements against 40 s (k ≤ 20, not a multiple of 4: 15), fire still
    # against the default 80 s (10): 25 of 50.
    assert rows["acknowledgement"]["compliance"] == pytest.approx(25 / 50)
    assert rows["acknowledgement"]["target_s"] == 60  # the all-categories target shown
    assert (rows["travel"]["compliance"], rows["travel"]["met"]) == (0.5, True)  # 10k ≤ 250
    by_cat = by_group(service.kpi_summary(rid, START, END, "category"), "acknowledgement")
    assert (by_cat["health"]["target_s"], by_cat["health"]["target_source"]) == (40, "regency")
    assert (by_cat["fire"]["target_s"], by_cat["fire"]["target_source"]) == \
        (80, "NFPA 1710 turnout (fire)")
    # The per-category targets in force, for readers of the all-categories rows.
    assert service.category_targets(rid) == [
        {"measure": "acknowledgement", "category": "fire", "seconds": 80, "share": 0.9,
         "source": "NFPA 1710 turnout (fire)"},
        {"measure": "acknowledgement", "category": "health", "seconds": 40, "share": 0.9,
         "source": "regency"}]


def test_other_regency_and_outside_the_range_do_not_count(month):
    rid, _, _ = month
    other = regency_id("1607")
    assert all(r["count"] == 0 for r in service.kpi_summary(other, START, END))
    later = by_measure(service.kpi_summary(rid, END, END + timedelta(days=30)))
    assert all(r["count"] == r["open"] == 0 for r in later.values())
    # The range is half-open on the anchor: report 1 arrives at 00:30 local on the 1st.
    first = by_measure(service.kpi_summary(rid, START, START + timedelta(minutes=31)))
    assert first["triage"]["count"] == 1
    assert by_measure(service.kpi_summary(rid, START + timedelta(minutes=31), END))[
        "triage"]["count"] == 99


def test_previous_period_comparison(month):
    rid, cast, _ = month
    before_start, before_end = service.previous_period(START, END)
    assert (before_start, before_end) == (START - timedelta(days=30), START)
    for n, seconds in enumerate((10, 20, 30, 40)):
        add_report(rid, START - timedelta(days=2, hours=n), triaged_s=seconds, viewed_s=1,
                   triaged_by=cast.operators[0])
    db.session.commit()
    current = service.kpi_summary(rid, START, END)
    rows = by_measure(service.compare(current, service.kpi_summary(rid, before_start,
                                                                   before_end)))
    assert rows["triage"]["previous"] == {"count": 4, "open": 0, "p50_s": 20, "p90_s": 40,
                                          "compliance": 1.0}
    assert rows["triage"]["count"] == 100
    assert rows["dispatch"]["previous"]["count"] == 0


def test_distribution(month):
    rid, _, _ = month
    assert service.distribution(rid, START, END, "dispatch") == list(range(1, 51))
    assert service.distribution(rid, START, END, "triage") == [2 * i for i in range(1, 101)]


def test_incidents_never_dispatched_are_open_not_observed(app):
    rid = regency_id()
    cast = make_cast(rid)
    at = START + timedelta(days=3)
    for n in range(3):
        report = add_report(rid, at + timedelta(minutes=n), viewed_s=5, triaged_s=10,
                            triaged_by=cast.operators[0], status="confirmed")
        db.session.flush()
        incident = add_incident(report, report.triaged_at, cast.operators[0])
        if n == 0:
            add_dispatch(incident, cast.units[0], incident.created_at + timedelta(seconds=30),
                         cast.operators[0],
                         ack_s=20)
    waiting = add_report(rid, at + timedelta(minutes=9))  # not yet opened nor triaged
    db.session.commit()
    rows = by_measure(service.kpi_summary(rid, START, END))
    assert (rows["dispatch"]["count"], rows["dispatch"]["open"]) == (1, 2)
    assert (rows["processing"]["count"], rows["processing"]["open"]) == (1, 2)
    assert (rows["processing"]["p50_s"]) == 40  # received → triaged 10 s → dispatched 30 s
    assert (rows["total"]["count"], rows["total"]["open"]) == (0, 3)  # nobody on scene
    assert (rows["acknowledgement"]["count"], rows["travel"]["open"]) == (1, 1)
    assert (rows["triage"]["count"], rows["triage"]["open"]) == (3, 1)
    assert (rows["answer"]["count"], rows["answer"]["open"]) == (3, 1)
    assert waiting.triaged_at is None


def test_legacy_rows_without_milestones(app):
    """Rows from before the milestones existed (nothing in the audit trail to back-fill
    from): no observation, counted as open; the measures they do have still count."""
    rid = regency_id()
    cast = make_cast(rid)
    report = add_report(rid, START + timedelta(days=1), status="confirmed", offline_s=12)
    db.session.flush()
    incident = add_incident(report, report.received_at + timedelta(seconds=50),
                            cast.operators[0], status="closed")
    add_dispatch(incident, cast.units[0], incident.created_at, cast.operators[0],
                 status="completed")
    incident.first_dispatched_at = None  # legacy: never stamped
    orphan = add_incident(add_report(rid, START + timedelta(days=2), triaged_s=3,
                                     triaged_by=cast.operators[0]),
                          START + timedelta(days=2, seconds=3), cast.operators[0])
    db.session.flush()
    db.session.execute(sa.update(type(report)).where(type(report).incident_id == orphan.id)
                       .values(incident_id=None))  # an incident whose reports are gone
    db.session.commit()
    rows = by_measure(service.kpi_summary(rid, START, END))
    assert (rows["offline_delay"]["count"], rows["offline_delay"]["p90_s"]) == (2, 12)
    assert (rows["triage"]["count"], rows["triage"]["open"]) == (1, 1)
    assert (rows["dispatch"]["count"], rows["dispatch"]["open"]) == (0, 2)
    assert (rows["processing"]["count"], rows["processing"]["open"]) == (0, 1)  # orphan: no
    assert (rows["acknowledgement"]["count"], rows["acknowledgement"]["open"]) == (0, 1)
    assert (rows["travel"]["count"], rows["travel"]["open"]) == (0, 0)  # never acknowledged


def test_no_location_silent_and_outside(app):
    rid = regency_id()
    add_report(rid, START + timedelta(hours=1), located=False, silent=True)
    add_report(rid, START + timedelta(hours=2), place=(None, None, -1.0, 100.0))  # outside
    add_report(rid, START + timedelta(hours=3), silent=True)
    db.session.commit()
    got = service.counts(rid, START, END)
    assert (got["reports"], got["silent"], got["no_location"], got["outside_regency"]) == \
        (3, 2, 1, 1)
    desa = {r["key"]: r for r in got["by_desa"]}
    assert desa[None]["count"] == 2 and desa[None]["label"].startswith("Tanpa desa")
    rows = by_group(service.kpi_summary(rid, START, END, "desa"), "triage")
    assert (rows[None]["open"], rows[DESA[0][0]]["open"]) == (2, 1)


def test_escalations_and_undelivered_alerts(app):
    from push.models import PushOutbox

    from backend.devices.models import Device

    rid = regency_id()
    cast = make_cast(rid)
    report = add_report(rid, START + timedelta(days=4), triaged_s=5,
                        triaged_by=cast.operators[0])
    db.session.flush()
    incident = add_incident(report, report.triaged_at, cast.operators[0])
    created = incident.created_at
    timed_out = add_dispatch(incident, cast.units[0], created, cast.operators[0],
                             status="timed_out", needs_attention=True)
    declined = add_dispatch(incident, cast.units[1], created + timedelta(minutes=2),
                            cast.operators[0], status="declined", needs_attention=True)
    unreachable = add_dispatch(incident, cast.units[0], created + timedelta(minutes=4),
                               cast.operators[0], status="cancelled", needs_attention=True)
    went = add_dispatch(incident, cast.units[1], created + timedelta(minutes=6),
                        cast.operators[0], ack_s=20)
    device = Device(kind="responder", platform="android", app_version="1", locale="id",
                    key_hash="x" * 64, regency_id=rid)
    db.session.add(device)
    db.session.flush()
    for dispatch, status, error in ((timed_out, "sent", None), (declined, "sent", None),
                                    (unreachable, "failed", "INVALID_ARGUMENT: bad"),
                                    (unreachable, "dropped", "UNREGISTERED"),
                                    (went, "dropped", "dispatch cancelled"),
                                    (went, "sent", None)):
        db.session.add(PushOutbox(regency_id=rid, dispatch_id=dispatch.id, device_id=device.id,
                                  status=status, last_error=error, next_attempt_at=created,
                                  created_at=created))
    db.session.commit()
    got = service.counts(rid, START, END)
    assert got["escalations"] == {"timed_out": 1, "declined": 1, "unreachable": 1}
    assert (got["escalated"], got["undelivered_alerts"], got["dispatches"]) == (3, 2, 4)
    # The fire unit timed out and could not be alerted; the ambulance declined.
    assert [(r["key"], r["count"]) for r in got["escalations_by_agency"]] == [
        (cast.agencies[0], 2), (cast.agencies[1], 1)]
    work = {r["unit_id"]: r for r in service.unit_workload(rid, START, END)}
    assert [(w["dispatches"], w["timed_out"], w["declined"], w["completed"],
             w["acknowledgement_p90_s"], w["on_scene_s"]) for w in
            (work[cast.units[0]], work[cast.units[1]])] == [(2, 1, 0, 0, None, 0),
                                                            (2, 0, 1, 0, 20, 0)]
    rows = by_measure(service.kpi_summary(rid, START, END))
    assert (rows["acknowledgement"]["count"], rows["acknowledgement"]["open"]) == (1, 3)
    assert rows["dispatch"]["p50_s"] == 0  # the first dispatch went at confirmation


def test_validation(app):
    rid = regency_id()
    from backend.errors import ValidationFailed
    with pytest.raises(ValidationFailed):
        service.kpi_summary(rid, END, START)
    with pytest.raises(ValidationFailed):
        service.kpi_summary(rid, START, END, "weekday")
    with pytest.raises(ValidationFailed):
        service.kpi_summary(rid, START.replace(tzinfo=None), END)
    with pytest.raises(ValidationFailed):
        service.distribution(rid, START, END, "speed")


def test_random_history_agrees_with_a_direct_reading(app):
    """make_history (for other helpers) writes consistent rows; the figures agree with a
    reading of the rows written straight from the ORM."""
    from backend.reports.models import Report

    rid = regency_id()
    written = make_history(rid, START, days=5, per_day=30, seed=7)
    db.session.commit()
    assert written["reports"] > 100 and written["incidents"] > 50
    reports = db.session.scalars(sa.select(Report).where(
        Report.regency_id == rid, Report.test.is_(False))).all()
    triage = [(r.triaged_at - r.received_at).total_seconds() for r in reports]
    row = by_measure(service.kpi_summary(rid, START, END))["triage"]
    assert (row["count"], row["p50_s"], row["p90_s"]) == \
        (len(triage), nearest_rank(triage, 50), nearest_rank(triage, 90))
    got = service.counts(rid, START, END)
    assert got["reports"] == len(reports)
    assert got["reports"] + got["test_reports_excluded"] == written["reports"]
