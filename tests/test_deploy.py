"""The reference deployment files agree with each other and with what the tests run."""
from __future__ import annotations

import os
import re

import yaml

from tests.servers import NGINX_TEMPLATE, ROOT


def _read(name):
    with open(os.path.join(ROOT, name)) as f:
        return f.read()


def test_compose_puts_nginx_in_front_and_never_publishes_the_app():
    compose = yaml.safe_load(_read("docker-compose.yml"))
    services = compose["services"]
    assert set(services) == {"nginx", "app", "feed", "worker", "db", "redis"}
    assert not any("ports" in services[name] for name in ("app", "feed", "worker"))
    # Console live feeds have a server of their own, behind the same front door.
    assert services["feed"]["command"][:3] == ["gunicorn", "-c", "gunicorn.feed.conf.py"]
    assert services["nginx"]["environment"]["SIAGA_FEED_UPSTREAM"] == "feed:8115"
    assert services["nginx"]["ports"] == ["80:80"]
    assert services["app"]["environment"]["TRUSTED_PROXIES"] == "1"   # nginx is the one proxy
    template_vars = set(re.findall(r"\$\{(SIAGA_\w+)\}", open(NGINX_TEMPLATE).read()))
    assert template_vars == set(services["nginx"]["environment"])


def test_the_image_keeps_its_code_read_only_to_the_app_user():
    dockerfile = _read("Dockerfile")
    assert "USER siaga" in dockerfile
    assert "chown -R" not in dockerfile and "chown siaga /app/instance" in dockerfile
    assert "SESSION_COOKIE_SECURE=true" in dockerfile   # behind TLS by default
