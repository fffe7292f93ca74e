from __future__ import annotations

import sqlalchemy as sa

from backend.errors import ApiError
from backend.extensions import db
from backend.regencies.models import Regency


def get_regency_by_code(code: str) -> Regency:
    regency = db.session.scalar(sa.select(Regency).where(Regency.code == code))
    if regency is None:
        # A deployment without its regency row is misconfigured, not a client error.
        raise ApiError(f"Regency {code} is not set up on this server; run `flask seed`.",
                       code="regency_not_configured", status=503)
    return regency


def ensure_regency(*, code: str, name: str, is_demo: bool = False) -> Regency:
    """Create the regency if missing; return it either way (idempotent seed step)."""
    regency = db.session.scalar(sa.select(Regency).where(Regency.code == code))
    if regency is None:
        regency = Regency(code=code, name=name, is_demo=is_demo)
        db.session.add(regency)
        db.session.flush()
    return regency
