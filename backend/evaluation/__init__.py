"""The periodic evaluation report: a month's (or any range's) figures gathered from the KPI,
signal and coverage services, rendered in Bahasa Indonesia to HTML and PDF, stored with the
supervisor's written evaluation (what to keep, what to improve), listed and downloadable.

gather.py collects the figures, render.py draws them (Jinja template → WeasyPrint PDF, charts
from backend/charts.py), service.py generates, stores, lists and annotates; the schedule is
in schedule.py (RQ in production, the embedded thread otherwise)."""
