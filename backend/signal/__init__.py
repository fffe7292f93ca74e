"""Weak-signal map: how long SOS waited on the phone before reaching us (offline delay), by
desa and by H3 cell, and the villages where they wait longest."""
