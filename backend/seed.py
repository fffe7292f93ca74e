"""Demo data for Musi Banyuasin (BPS 1606), marked as demo. Goes through the services.

Coordinates are approximate district towns; units, names and phone numbers are invented.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.service import create_user
from backend.extensions import db
from backend.regencies.models import Regency
from backend.units.models import DEFAULT_ROUTING, Agency
from backend.units.service import create_agency, create_unit, set_routing

DEMO_PASSWORD = "siaga112-demo"

TOWNS = {
    "Sekayu": (-2.8833, 103.8500),
    "Sungai Lilin": (-2.6380, 104.1530),
    "Bayung Lencir": (-2.0470, 103.6760),
    "Babat Toman": (-2.8610, 103.6500),
    "Lais": (-2.6560, 104.0010),
    "Sanga Desa": (-2.9650, 103.8960),
    "Keluang": (-2.5270, 104.0520),
}

DEMO_AGENCIES = (
    ("fire_brigade", "[DEMO] Damkar Musi Banyuasin", "0714-112-01",
     [("Damkar Sekayu 1", "DMK-SKY-1", "Sekayu"), ("Damkar Sekayu 2", "DMK-SKY-2", "Sekayu"),
      ("Damkar Sungai Lilin", "DMK-SLL-1", "Sungai Lilin"),
      ("Damkar Bayung Lencir", "DMK-BYL-1", "Bayung Lencir"),
      ("Damkar Babat Toman", "DMK-BTM-1", "Babat Toman")]),
    ("police", "[DEMO] Polres Musi Banyuasin", "0714-112-02",
     [("Polsek Sekayu", "POL-SKY", "Sekayu"), ("Polsek Sungai Lilin", "POL-SLL", "Sungai Lilin"),
      ("Polsek Bayung Lencir", "POL-BYL", "Bayung Lencir"), ("Polsek Lais", "POL-LAS", "Lais"),
      ("Polsek Babat Toman", "POL-BTM", "Babat Toman")]),
    ("health", "[DEMO] Dinas Kesehatan / RSUD Sekayu", "0714-112-03",
     [("Ambulans RSUD Sekayu 1", "AMB-SKY-1", "Sekayu"),
      ("Ambulans RSUD Sekayu 2", "AMB-SKY-2", "Sekayu"),
      ("Ambulans Puskesmas Sungai Lilin", "AMB-SLL", "Sungai Lilin"),
      ("Ambulans Puskesmas Bayung Lencir", "AMB-BYL", "Bayung Lencir"),
      ("Ambulans Puskesmas Sanga Desa", "AMB-SGD", "Sanga Desa")]),
    ("disaster_agency", "[DEMO] BPBD Musi Banyuasin", "0714-112-04",
     [("BPBD Sekayu", "BPBD-SKY", "Sekayu"), ("BPBD Pos Keluang", "BPBD-KLG", "Keluang")]),
    ("public_order", "[DEMO] Satpol PP Musi Banyuasin", "0714-112-05",
     [("Satpol PP Sekayu", "SPP-SKY", "Sekayu")]),
    ("women_child_protection", "[DEMO] UPTD PPA Musi Banyuasin", "0714-112-06",
     [("UPTD PPA Sekayu", "PPA-SKY", "Sekayu")]),
    ("search_rescue", "[DEMO] Pos SAR Sekayu", "0714-112-07",
     [("Tim SAR Sekayu", "SAR-SKY", "Sekayu")]),
)

DEMO_USERS = (("admin", "Admin Demo", "admin"), ("supervisor", "Kepala Bidang Demo", "supervisor"),
              ("operator1", "Operator Satu", "operator"), ("operator2", "Operator Dua", "operator"))


def seed_demo(regency: Regency) -> list[User]:
    """Add demo users, agencies, units and routing to `regency` unless it has agencies."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Agency).where(
            Agency.regency_id == regency.id)):
        return []
    users = [create_user(regency_id=regency.id, username=username if regency.code == "1606"
                         else f"{username}-{regency.code}", name=name, role=role,
                         password=DEMO_PASSWORD) for username, name, role in DEMO_USERS]
    admin = users[0]
    for agency_type, name, phone, units in DEMO_AGENCIES:
        agency = create_agency(actor=admin, type=agency_type, name=name, phone=phone,
                               is_demo=True)
        for unit_name, call_sign, town in units:
            lat, lon = TOWNS[town]
            unit = create_unit(actor=admin, agency_id=agency.id, name=f"[DEMO] {unit_name}",
                               call_sign=call_sign, post_name=f"Pos {town}", lat=lat, lon=lon)
            responder = create_user(
                regency_id=regency.id, role="responder", password=DEMO_PASSWORD,
                username=call_sign.lower() + ("" if regency.code == "1606"
                                              else f"-{regency.code}"),
                name=f"Kru {unit_name}")
            responder.unit_id = unit.id
            users.append(responder)
    for category, types in DEFAULT_ROUTING.items():
        set_routing(actor=admin, category=category, agency_types=list(types))
    return users


