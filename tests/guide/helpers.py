"""Shared pieces of the guide tests: a full, valid edit as the admin form sends it."""
from __future__ import annotations

import copy

from backend.guide.content import default_content


def edit(base_version: int = 0, **changes) -> dict:
    """The built-in content as a PUT /v1/admin/guide body ({key: {title, text}}); `changes`
    replace whole sections by key ({"after": {"title": {...}, "text": {...}}}) or
    sms_example_desa."""
    content = copy.deepcopy(default_content())
    for section in content["sections"]:
        if section["key"] in changes:
            section.update(copy.deepcopy(changes[section["key"]]))
    return {"base_version": base_version,
            "sections": {s["key"]: {"title": s["title"], "text": s["text"]}
                         for s in content["sections"]},
            "sms_example_desa": changes.get("sms_example_desa", content["sms_example_desa"])}
