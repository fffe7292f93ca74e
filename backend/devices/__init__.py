"""Devices: phones that talk to the API, each with a random key stored only as a hash."""
