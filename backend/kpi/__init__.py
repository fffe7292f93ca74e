"""Service measures: the milestones each report, incident and dispatch records, one definition
of every measure (measures.py), admin-set targets (models.py) and the figures (service.py)."""
