"""The offline sync protocol (v1): op batches applied at most once, per-op results, clock
correction, and the pull of changes by a cursor that never skips. See mobile_contract/."""
