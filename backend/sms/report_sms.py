"""The SMS side of a report, as the operator sees and uses it: the messages that made it or
were sent about it, and a reply typed in the console to the report's number."""
from __future__ import annotations

import sqlalchemy as sa

from backend.accounts.models import User
from backend.accounts.permissions import actor_ref, require
from backend.audit.service import record_event
from backend.errors import InvalidTransition
from backend.extensions import db
from backend.reports.models import Report
from backend.sms.models import SmsMessage


def report_messages(report: Report) -> list[SmsMessage]:
    """The report's SMS, both ways, oldest first: the original text (with the parser's
    desa candidates), AML attached to it, the replies and their delivery."""
    return list(db.session.scalars(sa.select(SmsMessage).where(
        SmsMessage.report_id == report.id).order_by(SmsMessage.id)))


def reply_to_report(*, actor: User, ref: str, text: str) -> SmsMessage:
    """Queue an SMS from the operator to the report's number (audited). A report without a
    number (an app report from a phone that gave none) cannot be answered by SMS."""
    from backend.sms.service import queue_sms
    from backend.triage.service import get_report

    require(actor, "triage")
    report = get_report(actor=actor, ref=ref)
    number = report.caller_phone
    if not number:
        raise InvalidTransition(f"Report {report.ref} has no phone number to answer.",
                                code="no_number")
    row = queue_sms(regency_id=report.regency_id, number=number, text=text,
                    report_id=report.id)
    record_event(regency_id=report.regency_id, actor=actor_ref(actor), action="sms.reply",
                 entity=("report", report.ref), after={"number": row.number, "text": text,
                                                       "sms_id": row.id})
    return row
