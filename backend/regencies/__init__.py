"""Regencies: the tenant of every operational row (and the future distribution key)."""
