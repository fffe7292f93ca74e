"""Audit log: an append-only record of who changed what, when (server and device time)."""
