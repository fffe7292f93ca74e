"""Real servers for tests (the stack's processes live in bench/stack.py, shared with the
benchmarks and the chaos matrix)."""
from bench.stack import (  # noqa: F401
    NGINX_TEMPLATE,
    ROOT,
    PrivateRedis,
    PushWorker,
    app_env,
    free_port,
    gunicorn,
    nginx,
)
