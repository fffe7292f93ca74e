"""Alerts to responders: outbox, FCM sender (firebase-admin), RQ jobs, escalation, and a local
FCM stand-in. Filled by the responders issue; the schema leaves room for its tables."""
