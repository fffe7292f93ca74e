"""Agencies (fire brigade, police, ...), their units at posts, and category → agency routing."""
