"""SMS texts for the gateway tests: a valid AML, and a compact SOS signed by a real device."""
from __future__ import annotations

import hashlib
import secrets
import uuid

import sqlalchemy as sa

from backend.db import utcnow
from backend.devices.models import Device
from backend.extensions import db
from backend.regencies.models import Regency
from backend.sms.compact import encode, sms_key_from_device_key
from backend.sms.models import SmsMessage


def aml_text(lat="-2.88510", lon="+103.84670") -> str:
    body = (f'A"ML=1;lt={lat};lg={lon};rd=20;top=20261129120000;lc=68;pm=G;'
            f'si=510100000000000;ei=356938035643809;mcc=510;mnc=10;ml=')
    return body + str(len(body) + 3)


def compact_text(device_key: str | None = None) -> tuple[str, int]:
    """(S1 text, device id) of an SOS from a device registered in the database."""
    key = device_key or secrets.token_urlsafe(32)
    regency = db.session.scalar(sa.select(Regency).where(Regency.code == "1606"))
    device = Device(regency_id=regency.id, kind="citizen", platform="android",
                    app_version="1.0", key_hash=hashlib.sha256(key.encode()).hexdigest(),
                    created_at=utcnow())
    db.session.add(device)
    db.session.commit()
    op = {"id": str(uuid.uuid4()), "type": "report.create", "at": utcnow().isoformat(),
          "data": {"category": "fire", "silent": False,
                   "location": {"lat": -2.8851, "lon": 103.8467, "accuracy_m": 12}}}
    return encode(op, device.id, sms_key_from_device_key(key)), device.id


def inbound() -> list[SmsMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SmsMessage).where(SmsMessage.direction == "in")
                                   .order_by(SmsMessage.id)))


def regency_id() -> int:
    return db.session.scalar(sa.select(Regency.id).where(Regency.code == "1606"))
