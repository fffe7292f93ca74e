"""The regency's own service targets (admins): per measure, optionally per category, a share
of observations that must be within a number of seconds. Where the regency has none, the
defaults from public standards apply (measures.DEFAULT_TARGETS)."""
from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.permissions import actor_ref, require
from backend.audit.service import record_event
from backend.categories import CATEGORY_CODES
from backend.db import utcnow
from backend.errors import NotFound, ValidationFailed
from backend.extensions import db
from backend.kpi.measures import ALL_CATEGORIES, DEFAULT_TARGETS, MEASURE_BY_NAME, MEASURES
from backend.kpi.models import KpiTarget


def _check(measure: str, category: str) -> None:
    problems = {}
    if measure not in MEASURE_BY_NAME:
        problems["measure"] = f"one of {', '.join(MEASURE_BY_NAME)}"
    if category != ALL_CATEGORIES and category not in CATEGORY_CODES:
        problems["category"] = f"'{ALL_CATEGORIES}' or one of {', '.join(CATEGORY_CODES)}"
    if problems:
        raise ValidationFailed("Unknown measure or category.", details=problems)


def _default(measure: str, category: str) -> dict | None:
    target = DEFAULT_TARGETS.get((measure, category))
    return None if target is None else {"seconds": target.seconds, "share": target.share,
                                        "source": target.source}


def list_targets(*, actor: User) -> list[dict]:
    """Every (measure, category) with a default or a regency target, plus each measure's
    all-categories row even when it has neither (so an admin can set it): the target in force,
    its source ("regency" or the standard), and the default it overrides."""
    require(actor, "monitor")
    own = {(t.measure, t.category): t for t in db.session.scalars(
        sa.select(KpiTarget).where(KpiTarget.regency_id == actor.regency_id))}
    keys = {(m.name, ALL_CATEGORIES) for m in MEASURES} | set(DEFAULT_TARGETS) | set(own)
    order = {m.name: n for n, m in enumerate(MEASURES)}
    rows = []
    for measure, category in sorted(keys, key=lambda k: (order.get(k[0], 99),
                                                         k[1] != ALL_CATEGORIES, k[1])):
        default, mine = _default(measure, category), own.get((measure, category))
        current = {"seconds": mine.seconds, "share": mine.share, "source": "regency"} \
            if mine else default or {"seconds": None, "share": None, "source": None}
        rows.append({"measure": measure, "category": category, **current,
                     "default": default, "updated_at": mine.updated_at if mine else None,
                     "updated_by": mine.updated_by if mine else None})
    return rows


def set_target(*, actor: User, measure: str, seconds: int, share: float,
               category: str = ALL_CATEGORIES) -> dict:
    """Insert or replace the regency's target for (measure, category); audited."""
    require(actor, "admin")
    _check(measure, category)
    if not (isinstance(seconds, int) and seconds > 0) or not 0 < share <= 1:
        raise ValidationFailed("seconds > 0 and 0 < share <= 1.",
                               details={"seconds": "> 0", "share": "0 < share <= 1"})
    row = db.session.scalar(sa.select(KpiTarget).where(
        KpiTarget.regency_id == actor.regency_id, KpiTarget.measure == measure,
        KpiTarget.category == category).with_for_update())
    before = None if row is None else {"seconds": row.seconds, "share": row.share}
    if row is None:
        row = KpiTarget(regency_id=actor.regency_id, measure=measure, category=category)
        db.session.add(row)
    row.seconds, row.share, row.updated_at, row.updated_by = seconds, share, utcnow(), actor.id
    db.session.flush()
    record_event(regency_id=actor.regency_id, actor=actor_ref(actor), action="kpi_target.set",
                 entity=("kpi_target", f"{measure}:{category}"), before=before,
                 after={"measure": measure, "category": category, "seconds": seconds,
                        "share": share})
    return {"measure": measure, "category": category, "seconds": seconds, "share": share,
            "source": "regency", "default": _default(measure, category),
            "updated_at": row.updated_at, "updated_by": actor.id}


def delete_target(*, actor: User, measure: str, category: str = ALL_CATEGORIES) -> None:
    """Remove the regency's own target: the default (if any) applies again; audited."""
    require(actor, "admin")
    _check(measure, category)
    row = db.session.scalar(sa.select(KpiTarget).where(
        KpiTarget.regency_id == actor.regency_id, KpiTarget.measure == measure,
        KpiTarget.category == category).with_for_update())
    if row is None:
        raise NotFound(f"No target of the regency for {measure} ({category}).",
                       code="target_not_found")
    before = {"seconds": row.seconds, "share": row.share}
    db.session.delete(row)
    db.session.flush()
    record_event(regency_id=actor.regency_id, actor=actor_ref(actor),
                 action="kpi_target.delete", entity=("kpi_target", f"{measure}:{category}"),
                 before=before, after={"measure": measure, "category": category})
