"""Dispatches: units sent to incidents, responders' answers, escalation when nobody answers."""
