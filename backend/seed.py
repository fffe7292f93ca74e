"""Demo data for Musi Banyuasin (BPS 1606), marked as demo. Goes through the services.

The regency's real administrative areas are loaded (backend/places/data/musi-banyuasin, MIT,
see SOURCES.md there); each demo post stands at the label point of the desa/kelurahan that
gives its town its name. Units, names and phone numbers are invented.
"""
from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.service import create_user
from backend.extensions import db
from backend.places.service import demo_label_point, load_demo_areas
from backend.regencies.models import Regency
from backend.units.models import DEFAULT_ROUTING, Agency
from backend.units.service import create_agency, create_unit, set_routing

DEMO_PASSWORD = "siaga112-demo"

# Town → the desa/kelurahan at its centre (Kemendagri code); posts stand at its label point.
TOWNS = {
    "Sekayu": "16.06.01.1010",         # Kel. Serasan Jaya (the town centre), Kec. Sekayu
    "Sungai Lilin": "16.06.07.1020",   # Kel. Sungai Lilin
    "Bayung Lencir": "16.06.09.1016",  # Kel. Bayung Lencir
    "Babat Toman": "16.06.06.1038",    # Kel. Babat, Kec. Babat Toman
    "Lais": "16.06.02.2005",           # Desa Lais
    "Sanga Desa": "16.06.05.1016",     # Kel. Ngulak I, Kec. Sanga Desa
    "Keluang": "16.06.08.1015",        # Kel. Keluang
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
    load_demo_areas(regency)  # idempotent: unchanged areas are left alone
    if db.session.scalar(sa.select(sa.func.count()).select_from(Agency).where(
            Agency.regency_id == regency.id)):
        return []
    towns = {town: demo_label_point(code) for town, code in TOWNS.items()}
    users = [create_user(regency_id=regency.id, username=username if regency.code == "1606"
                         else f"{username}-{regency.code}", name=name, role=role,
                         password=DEMO_PASSWORD) for username, name, role in DEMO_USERS]
    admin = users[0]
    for agency_type, name, phone, units in DEMO_AGENCIES:
        agency = create_agency(actor=admin, type=agency_type, name=name, phone=phone,
                               is_demo=True)
        for unit_name, call_sign, town in units:
            lat, lon = towns[town]
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


