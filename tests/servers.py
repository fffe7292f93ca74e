"""Real servers for tests (the stack's processes live in bench/stack.py, shared with the
benchmarks and the chaos matrix)."""
from bench.stack import NGINX_TEMPLATE, ROOT, free_port, gunicorn, nginx  # noqa: F401
