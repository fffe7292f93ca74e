"""The eight report categories of the 112 service charter. Codes never change meaning."""
from __future__ import annotations

CATEGORIES: tuple[dict, ...] = (
    {"code": "fire", "label": {"id": "Kebakaran", "en": "Fire"}},
    {"code": "riot", "label": {"id": "Kerusuhan", "en": "Riot"}},
    {"code": "accident", "label": {"id": "Kecelakaan", "en": "Accident"}},
    {"code": "natural_disaster", "label": {"id": "Bencana alam", "en": "Natural disaster"}},
    {"code": "health", "label": {"id": "Masalah kesehatan", "en": "Health emergency"}},
    {"code": "violence_women_children",
     "label": {"id": "Kekerasan terhadap perempuan dan anak",
               "en": "Violence against women and children"}},
    {"code": "public_order",
     "label": {"id": "Gangguan keamanan dan ketertiban umum",
               "en": "Public order and security disturbance"}},
    {"code": "other", "label": {"id": "Keadaan darurat lainnya", "en": "Other emergency"}},
)

CATEGORY_CODES: tuple[str, ...] = tuple(c["code"] for c in CATEGORIES)
