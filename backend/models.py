"""Import every model so the metadata (and Alembic) knows all tables."""
from backend.accounts.models import User  # noqa: F401
from backend.audit.models import AuditEvent  # noqa: F401
from backend.devices.models import Device  # noqa: F401
from backend.dispatches.models import Dispatch  # noqa: F401
from backend.evaluation.models import EvaluationReport  # noqa: F401
from backend.feed.models import Change  # noqa: F401
from backend.guide.models import GuideVersion  # noqa: F401
from backend.incidents.models import Incident  # noqa: F401
from backend.kpi.models import KpiTarget  # noqa: F401
from backend.places.models import Area  # noqa: F401
from backend.regencies.models import Regency  # noqa: F401
from backend.reports.models import Report  # noqa: F401
from backend.units.models import Agency, Routing, Unit  # noqa: F401
from push.models import PushOutbox  # noqa: F401
from sync.models import SyncOp  # noqa: F401
from backend.sms.models import BlockedNumber, SmsMessage  # noqa: F401
