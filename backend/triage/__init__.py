"""Triage: incoming reports confirmed, rejected, merged, split; voice-call reports; the inbox."""
