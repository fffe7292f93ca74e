"""Send alerts with the real firebase-admin SDK, to Google or to the local stand-in.

Retries are ours, not the SDK's: its sync client retries 500/503 up to four times and sleeps
for any Retry-After, which would pin an RQ worker for minutes. We mount adapters with no
retries and let the outbox reschedule (honouring Retry-After) so one slow answer never
blocks other alerts, and a POST is never silently resent by a transport layer.
"""
from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import firebase_admin
from firebase_admin import credentials, exceptions, messaging
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

_names = itertools.count(1)
_url_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    kind: str                 # sent | retry | drop_token | failed
    name: str | None = None   # FCM message name when sent
    error: str | None = None  # FCM error code or exception text
    retry_after_s: float | None = None


def local_service_account(endpoint: str, project_id: str) -> dict:
    """A throwaway service account whose token_uri is the stand-in (real key, real JWT)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return {"type": "service_account", "project_id": project_id, "private_key_id": "local",
            "private_key": pem, "client_email": f"siaga112@{project_id}.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": endpoint.rstrip("/") + "/token"}


class FcmSender:
    def __init__(self, *, project_id: str, credentials_file: str = "", endpoint: str = "",
                 timeout_s: int = 10):
        if endpoint:
            cert = credentials.Certificate(local_service_account(endpoint, project_id))
        else:
            with open(credentials_file) as f:
                cert = credentials.Certificate(json.load(f))
        self.app = firebase_admin.initialize_app(
            cert, {"projectId": project_id, "httpTimeout": timeout_s},
            name=f"siaga112-{next(_names)}")
        with _url_lock:  # FCM_URL is read once, when the service for this App is built
            default = messaging._MessagingService.FCM_URL
            if endpoint:
                messaging._MessagingService.FCM_URL = (
                    endpoint.rstrip("/") + "/v1/projects/{0}/messages:send")
            try:
                service = messaging._get_messaging_service(self.app)
            finally:
                messaging._MessagingService.FCM_URL = default
        no_retries = HTTPAdapter(pool_connections=100, pool_maxsize=100, max_retries=Retry(
            total=0, connect=0, read=0, status=0, redirect=0, raise_on_status=False))
        for prefix in ("http://", "https://", "https://fcm.googleapis.com"):
            service._client.session.mount(prefix, no_retries)

    def close(self) -> None:
        firebase_admin.delete_app(self.app)

    def send(self, messages: list[messaging.Message]) -> list[Outcome]:
        """Send up to 500 messages concurrently; one Outcome per message, in order."""
        if not messages:
            return []
        batch = messaging.send_each(messages, app=self.app)
        return [classify(r) for r in batch.responses]


def _retry_after(error: exceptions.FirebaseError) -> float | None:
    response = getattr(error, "http_response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            from datetime import datetime, timezone
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc))
                       .total_seconds())
        except (TypeError, ValueError):
            return None


def classify(response: messaging.SendResponse) -> Outcome:
    if response.success:
        return Outcome("sent", name=response.message_id)
    error = response.exception
    code = type(error).__name__
    if isinstance(error, (messaging.UnregisteredError, messaging.SenderIdMismatchError)):
        return Outcome("drop_token", error=code)
    if isinstance(error, (exceptions.InvalidArgumentError, messaging.ThirdPartyAuthError)):
        return Outcome("failed", error=f"{code}: {error}")
    if isinstance(error, (messaging.QuotaExceededError, exceptions.UnavailableError,
                          exceptions.InternalError, exceptions.ResourceExhaustedError)):
        return Outcome("retry", error=code, retry_after_s=_retry_after(error))
    return Outcome("retry", error=f"{code}: {error}"[:300])  # network trouble and the unknown


