"""Plain-text hygiene for citizen and staff text placed into messages (WhatsApp, push)."""
from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def one_line(text: str | None, limit: int = 300) -> str:
    """The text on one line: newlines and other control/format characters (including
    bidirectional overrides and zero-width marks) become spaces, runs of space one space,
    cut at `limit` characters with an ellipsis — so a note cannot forge a message's lines."""
    if not text:
        return ""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
                      for c in text)
    cleaned = _SPACE.sub(" ", cleaned).strip()
    return cleaned if len(cleaned) <= limit else cleaned[:limit - 1].rstrip() + "…"
