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
    assert set(services) == {"nginx", "app", "worker", "db", "redis"}
    assert "ports" not in services["app"] and "ports" not in services["worker"]
    assert services["nginx"]["ports"] == ["80:80"]
    assert services["app"]["environment"]["TRUSTED_PROXIES"] == "1"   # nginx is the one proxy
    template_vars = set(re.findall(r"\$\{(SIAGA_\w+)\}", open(NGINX_TEMPLATE).read()))
    assert template_vars == set(services["nginx"]["environment"])


def test_the_image_keeps_its_code_read_only_to_the_app_user():
    dockerfile = _read("Dockerfile")
    assert "USER siaga" in dockerfile
    assert "chown -R" not in dockerfile and "chown siaga /app/instance" in dockerfile
    assert "SESSION_COOKIE_SECURE=true" in dockerfile   # behind TLS by default
