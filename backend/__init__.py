"""Siaga112 core: app factory, config, database, domain services and CLI.

Domains live in sub-packages with the same rooms: models.py, schemas.py, service.py.
"""
from backend.app import create_app

__all__ = ["create_app"]
