"""The change feed: an append-only log of state changes, read by server-issued cursors.

Phones pull their own changes through /v1/sync; the operator console (later) reads the
regency-wide feed. Both use read_changes(), whose cursor never skips a change.
"""
