"""Incidents (what operators confirmed happened) and dispatches of units to them."""
