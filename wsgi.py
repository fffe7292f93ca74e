"""Entry point for the `flask` command run from the project folder (no FLASK_APP needed) and
for WSGI servers: Flask finds the create_app factory here. Importing it builds nothing."""
from backend import create_app  # noqa: F401
