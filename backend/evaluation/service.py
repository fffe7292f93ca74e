"""Generate, store, list and annotate evaluation reports.

A period is a calendar month or any range of whole days in the regency's own time zone
(WIB for Musi Banyuasin), stored as [start, end) in UTC. One report per regency, period and
language (a unique constraint):

- On demand (console button, API, `flask report monthly`): generating a period that already
  has a report **replaces its rendering in place** — figures change as late reports arrive
  from phones that were offline — and keeps the written evaluation. Audited.
- On schedule (`generate_due`): the previous month is generated once; a second run is a
  **no-op** — unless the stored report was made before its month ended (an early on-demand
  run), which the scheduler then replaces with the complete month.

Services flush, never commit: the view, the CLI or the job owns the transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import undefer

from backend.accounts.models import User
from backend.accounts.permissions import require
from backend.audit.service import record_event
from backend.db import utcnow
from backend.errors import NotFound, ValidationFailed
from backend.evaluation.gather import gather
from backend.evaluation.models import EvaluationReport
from backend.evaluation.render import desa_shapes, period_title, render_html, render_pdf
from backend.extensions import db
from backend.i18n import format_time
from backend.regencies.models import Regency

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MAX_RANGE_DAYS = 366
LANGUAGE = "id"  # the report is written in Bahasa Indonesia
SCHEDULER = ("system", "scheduler")


@dataclass(frozen=True)
class Period:
    kind: str     # month | range
    first: date   # first local day
    last: date    # last local day (inclusive)
    start: datetime  # UTC, inclusive
    end: datetime    # UTC, exclusive

    @property
    def label(self) -> str:
        """"2026-11" for a month, "2026-11-01..2026-11-15" for a range (the audit's entity)."""
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def previous(self, tz: ZoneInfo) -> Period:
        """The period just before, of the same kind and length (a month: the previous one)."""
        if self.kind == "month":
            last = self.first - timedelta(days=1)
            return _period("month", last.replace(day=1), last, tz)
        days = (self.last - self.first).days + 1
        return _period("range", self.first - timedelta(days=days),
                       self.first - timedelta(days=1), tz)


def _tz(regency: Regency) -> ZoneInfo:
    return ZoneInfo(regency.timezone or "Asia/Jakarta")


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tz).astimezone(timezone.utc)


def _period(kind: str, first: date, last: date, tz: ZoneInfo) -> Period:
    return Period(kind, first, last, _midnight(first, tz), _midnight(last + timedelta(days=1), tz))


def _invalid(field: str, message: str):
    return ValidationFailed("Invalid period.", details={field: [message]})


def month_period(*, regency: Regency, month: str) -> Period:
    """The calendar month "YYYY-MM" in the regency's time zone."""
    match = MONTH_RE.match(month or "")
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2999:
        raise _invalid("month", "Expected a month as YYYY-MM, e.g. 2026-11.")
    first = date(int(match[1]), int(match[2]), 1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return _check_started(_period("month", first, last, _tz(regency)), "month")


def range_period(*, regency: Regency, first: date, last: date) -> Period:
    """Whole days first..last (inclusive) in the regency's time zone."""
    if last < first:
        raise _invalid("end", "The end date is before the start date.")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise _invalid("end", f"A report covers at most {MAX_RANGE_DAYS} days.")
    return _check_started(_period("range", first, last, _tz(regency)), "start")


def _check_started(period: Period, field: str) -> Period:
    if period.start > utcnow():
        raise _invalid(field, "The period has not started yet.")
    return period


def previous_month(*, regency: Regency, now: datetime) -> Period:
    """The last complete calendar month before `now`, in the regency's time zone."""
    tz = _tz(regency)
    this_month = now.astimezone(tz).date().replace(day=1)
    last = this_month - timedelta(days=1)
    return _period("month", last.replace(day=1), last, tz)


def next_month_start(*, now: datetime | None = None) -> datetime:
    """When the next scheduled run is due: five minutes into the next month, in the earliest
    time zone of the deployment's regencies (the others' months start later; the hourly check
    catches them)."""
    now = now or utcnow()
    zones = db.session.scalars(sa.select(Regency.timezone).distinct()).all() or ["Asia/Jakarta"]
    starts = []
    for zone in zones:
        local = now.astimezone(ZoneInfo(zone or "Asia/Jakarta")).date().replace(day=1)
        following = (local + timedelta(days=32)).replace(day=1)
        starts.append(_midnight(following, ZoneInfo(zone or "Asia/Jakarta")))
    return min(starts) + timedelta(minutes=5)


def _find(regency_id: int, period: Period) -> EvaluationReport | None:
    return db.session.scalar(sa.select(EvaluationReport).where(
        EvaluationReport.regency_id == regency_id,
        EvaluationReport.period_start == period.start,
        EvaluationReport.period_end == period.end,
        EvaluationReport.language == LANGUAGE))


def _title(period: Period) -> str:
    return f"Laporan Evaluasi Layanan 112 — {period_title(period.kind, period.first, period.last)}"


def _evaluation(report: EvaluationReport | None) -> dict:
    if report is None or not (report.keep_text or report.improve_text):
        return {}
    author = db.session.get(User, report.evaluation_by) if report.evaluation_by else None
    return {"keep": report.keep_text, "improve": report.improve_text,
            "by": author.name if author else "–", "at": format_time(report.evaluation_at)}


@dataclass
class Draft:
    """Everything a report's drawing needs, read from the database beforehand."""
    regency_id: int
    period: Period
    figures: dict
    shapes: list
    generated_at: datetime
    generated_by: str
    evaluation: dict
    html: str = ""
    pdf: bytes = b""

    def draw(self) -> Draft:
        """HTML and PDF: seconds of CPU, no database."""
        self.html = render_html(
            figures=self.figures, shapes=self.shapes, title=_title(self.period),
            period={"first": self.period.first, "last": self.period.last},
            generated={"at": format_time(self.generated_at), "by": self.generated_by},
            evaluation=self.evaluation)
        self.pdf = render_pdf(self.html)
        return self


def _end_read() -> None:
    """End the read transaction before drawing. On the embedded SQLite every transaction takes
    the write lock at BEGIN (IMMEDIATE), and an SOS must never wait seconds for a PDF; so
    generation reads, ends its transaction, draws, then writes in a short new one. Callers
    start a generation at the beginning of their transaction (nothing of theirs is pending)."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("start a report generation at the beginning of a transaction")
    db.session.commit()


def _generator_name(actor: User | None, via: str) -> str:
    if actor is not None:
        return actor.name
    return {"scheduler": "jadwal otomatis", "cli": "baris perintah"}.get(via, via)


def generate_report(*, regency: Regency, period: Period, actor: User | None,
                    via: str, at: datetime | None = None) -> tuple[EvaluationReport, bool]:
    """Gather, draw and store the period's report; replace the rendering of an existing one
    (keeping its written evaluation). Returns the report and whether it was new.
    Ends the caller's (read-only) transaction before drawing: see _end_read."""
    if actor is not None:
        require(actor, "monitor")
    regency_id, actor_id = regency.id, actor.id if actor is not None else None
    figures = gather(regency=regency, start=period.start, end=period.end,
                     previous=_bounds(period.previous(_tz(regency))))
    figures["period"] = {"kind": period.kind, "label": period.label,
                         "first_date": period.first.isoformat(),
                         "last_date": period.last.isoformat()}
    existing = _find(regency_id, period)
    draft = Draft(regency_id, period, figures, desa_shapes(regency_id), at or utcnow(),
                  _generator_name(actor, via), _evaluation(existing))
    evaluated_at = existing.evaluation_at if existing is not None else None
    _end_read()
    draft.draw()

    report = _find(regency_id, period)
    created = report is None
    if created:
        report = EvaluationReport(regency_id=regency_id, period_kind=period.kind,
                                  period_start=period.start, period_end=period.end,
                                  language=LANGUAGE)
    elif report.evaluation_at != evaluated_at:  # written while we drew: draw it in
        draft.evaluation = _evaluation(report)
        draft.draw()
    report.figures, report.generated_at = figures, draft.generated_at
    report.generated_by, report.generated_via = actor_id, via
    report.html, report.pdf, report.pdf_size = draft.html, draft.pdf, len(draft.pdf)
    if created:
        try:
            with db.session.begin_nested():  # a concurrent run may have stored it first
                db.session.add(report)
        except IntegrityError:
            if report in db.session:
                db.session.expunge(report)
            existing = _find(regency_id, period)
            existing.figures, existing.generated_at = figures, draft.generated_at
            existing.generated_by, existing.generated_via = actor_id, via
            existing.html, existing.pdf, existing.pdf_size = draft.html, draft.pdf, len(draft.pdf)
            report, created = existing, False
    db.session.flush()
    record_event(regency_id=regency_id,
                 actor=("user", actor_id) if actor_id is not None else (
                     SCHEDULER if via == "scheduler" else ("system", via)),
                 action="evaluation.generated" if created else "evaluation.regenerated",
                 entity=("evaluation", period.label),
                 after={"report_id": report.id, "via": via, "pdf_bytes": report.pdf_size})
    return report, created


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return period.start, period.end


def generate_for(*, actor: User, month: str | None = None, start: date | None = None,
                 end: date | None = None, via: str = "user") -> tuple[EvaluationReport, bool]:
    """Generate (or regenerate) the actor's regency's report for a month or a range."""
    require(actor, "monitor")
    regency = db.session.get(Regency, actor.regency_id)
    period = month_period(regency=regency, month=month) if month is not None else \
        range_period(regency=regency, first=start, last=end)
    return generate_report(regency=regency, period=period, actor=actor, via=via)


def generate_due(*, now: datetime | None = None) -> list[EvaluationReport]:
    """The scheduler's run: every regency's previous month, once (see the module docstring).
    Safe to run any number of times and on several servers at once."""
    now = now or utcnow()
    done = []
    for regency_id in db.session.scalars(sa.select(Regency.id).order_by(Regency.id)).all():
        regency = db.session.get(Regency, regency_id)
        period = previous_month(regency=regency, now=now)
        existing = _find(regency.id, period)
        if existing is not None and existing.generated_at >= period.end:
            continue
        report, _ = generate_report(regency=regency, period=period, actor=None,
                                    via="scheduler", at=now)
        done.append(report)
    return done


def list_reports(*, actor: User) -> list[EvaluationReport]:
    """The regency's stored reports, newest period first (without their files)."""
    require(actor, "monitor")
    return list(db.session.scalars(
        sa.select(EvaluationReport).where(EvaluationReport.regency_id == actor.regency_id)
        .order_by(EvaluationReport.period_start.desc(), EvaluationReport.period_end.desc())))


def get_report(*, actor: User, report_id: int, files: bool = False) -> EvaluationReport:
    require(actor, "monitor")
    query = sa.select(EvaluationReport).where(EvaluationReport.id == report_id,
                                              EvaluationReport.regency_id == actor.regency_id)
    if files:
        query = query.options(undefer(EvaluationReport.html), undefer(EvaluationReport.pdf))
    report = db.session.scalar(query) if 0 < report_id < 2**31 else None
    if report is None:
        raise NotFound("No such evaluation report.", code="evaluation_not_found")
    return report


def report_file(*, actor: User, report_id: int, kind: str) -> tuple[bytes, str, str]:
    """A stored report as a download: (content, file name, MIME type)."""
    report = get_report(actor=actor, report_id=report_id, files=True)
    name = f"evaluasi-112-{report.figures['period']['label'].replace('..', '_')}"
    if kind == "pdf":
        return report.pdf, f"{name}.pdf", "application/pdf"
    return report.html.encode(), f"{name}.html", "text/html; charset=utf-8"


def save_evaluation(*, actor: User, report_id: int, keep: str, improve: str
                    ) -> EvaluationReport:
    """Write or edit the supervisor's evaluation; the HTML and PDF are redrawn with it (after
    the read transaction ends, see _end_read), and the change (before and after) is audited."""
    report = get_report(actor=actor, report_id=report_id)
    keep, improve = keep.strip() or None, improve.strip() or None
    at, actor_id, author = utcnow(), actor.id, actor.name
    stored = report.figures["period"]
    period = Period(report.period_kind, date.fromisoformat(stored["first_date"]),
                    date.fromisoformat(stored["last_date"]), report.period_start,
                    report.period_end)
    generator = db.session.get(User, report.generated_by) if report.generated_by else None
    draft = Draft(report.regency_id, period, report.figures, desa_shapes(report.regency_id),
                  report.generated_at, _generator_name(generator, report.generated_via),
                  {"keep": keep, "improve": improve, "by": author, "at": format_time(at)}
                  if keep or improve else {})
    _end_read()
    draft.draw()
    report = get_report(actor=actor, report_id=report_id)
    before = {"keep": report.keep_text, "improve": report.improve_text}
    report.keep_text, report.improve_text = keep, improve
    report.evaluation_by, report.evaluation_at = actor_id, at
    report.html, report.pdf, report.pdf_size = draft.html, draft.pdf, len(draft.pdf)
    db.session.flush()
    record_event(regency_id=report.regency_id, actor=("user", actor_id),
                 action="evaluation.written", entity=("evaluation", stored["label"]),
                 before=before, after={"keep": keep, "improve": improve,
                                       "report_id": report.id})
    return report
