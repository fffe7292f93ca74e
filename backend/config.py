"""Settings: each declared once with its type, default and meaning, read from the environment.

`flask settings` prints this table; the README links to it instead of repeating it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Setting:
    name: str
    type: Callable[[str], Any]
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", str, "",
            "SQLAlchemy URL. Empty = embedded SQLite file in the instance folder. "
            "Production: postgresql+psycopg://user@host/db (PostgreSQL 15 + PostGIS 3)."),
    Setting("REDIS_URL", str, "",
            "Redis for jobs and rate limits. Empty = embedded profile (in-process)."),
    Setting("SECRET_KEY", str, "",
            "Flask secret for console sessions. Empty = a random key kept in instance/secret_key."),
    Setting("DEFAULT_REGENCY", str, "1606",
            "BPS code of the regency new devices belong to (1606 = Musi Banyuasin)."),
    Setting("SYNC_MAX_OPS", int, 100,
            "Most ops accepted in one sync request; more is a 413 too_many_ops."),
    Setting("MAX_BODY_BYTES", int, 256 * 1024,
            "Largest request body, measured after gzip decompression (bombs are cut off here)."),
    Setting("DB_POOL_SIZE", int, 8,
            "Database connections each web worker keeps open: at least WEB_THREADS (8), so a "
            "busy worker never opens and closes connections between requests."),
    Setting("DEVICE_CACHE_SECONDS", float, 10.0,
            "How long a worker trusts its copy of a citizen device's identity (no query per "
            "sync); a key revoked in another worker is refused after at most this. 0: off."),
    Setting("SYNC_PAGE_SIZE", int, 200,
            "Most changes returned by one sync response; has_more tells the device to pull again."),
    Setting("CLOCK_SKEW_FLAG_SECONDS", int, 300,
            "A device clock off by more than this is flagged on its reports (never refused)."),
    Setting("SESSION_COOKIE_SECURE", _bool, False,
            "Send the console session cookie over HTTPS only (set true behind TLS)."),
    Setting("PASSWORD_HASH_METHOD", str, "scrypt",
            "werkzeug password hash method for console accounts (tests use a cheap one)."),
    Setting("SESSION_HOURS", int, 12,
            "Console sessions end this many hours after sign-in (a shift), however busy."),
    Setting("SESSION_IDLE_MINUTES", int, 60,
            "Console sessions end after this long without a request (an open console page "
            "keeps its session alive through its live feed or polling)."),
    Setting("MAP_TILE_URL", str, "",
            "Leaflet tile URL template for the console map, e.g. "
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png. Empty = no tiles (offline)."),
    Setting("FCM_CREDENTIALS", str, "",
            "Path to a Firebase service-account JSON file: alerts go to Google's FCM."),
    Setting("FCM_ENDPOINT", str, "",
            "Base URL of an FCM-compatible endpoint (the local stand-in, push/standin.py), "
            "e.g. http://127.0.0.1:8113. Used when FCM_CREDENTIALS is empty."),
    Setting("FCM_PROJECT_ID", str, "siaga112-local", "Firebase project id."),
    Setting("PUSH_TTL_SECONDS", int, 600,
            "How long FCM keeps an undelivered alert; past it, escalation has taken over."),
    Setting("PUSH_MAX_ATTEMPTS", int, 8, "Send attempts before an alert is marked failed."),
    Setting("PUSH_BACKOFF_CAP_S", int, 15,
            "Longest wait between two send attempts of an alert (FCM's Retry-After still wins); "
            "with PUSH_MAX_ATTEMPTS=8 an alert FCM keeps refusing fails visibly within ~90 s."),
    Setting("PUSH_LEASE_SECONDS", int, 60,
            "A claimed alert not settled within this is claimed again (worker crash)."),
    Setting("PUSH_THREAD", _bool, True,
            "Without REDIS_URL, deliver alerts and escalate from a thread in the web process "
            "(the embedded profile). Tests turn it off to drive delivery themselves."),
    Setting("SMS_GATEWAY", str, "",
            "SMS gateway driver: 'gammu' (GSM modem via gammu-smsd, files backend: production), "
            "'webhook' (an Android SMS-gateway phone app), 'standin' (the local stand-in, "
            "backend/sms/gateways/standin.py; what `./dev run` uses). Empty = no gateway: "
            "replies wait queued (visible) and nothing is read."),
    Setting("SMS_REGION", str, "ID",
            "Region for numbers written without a country code (0812… → +62812…)."),
    Setting("SMS_GAMMU_CONFIG", str, "/etc/gammu-smsdrc",
            "gammu-smsd's config (deploy/gammu/smsdrc.example): its [smsd] inboxpath, "
            "outboxpath, sentsmspath and errorsmspath are read from it (InboxFormat = detail)."),
    Setting("SMS_GAMMU_DONE_PATH", str, "",
            "Where inbox files go once their message is committed. Empty = a 'processed' "
            "folder next to the inbox. Files are moved, never deleted: the SIM's paper trail."),
    Setting("SMS_GAMMU_INJECT", str, "gammu-smsd-inject",
            "The gammu-smsd-inject program (writes replies into gammu's outbox)."),
    Setting("SMS_WEBHOOK_SECRET", str, "",
            "Signing key of the Android gateway app's webhooks: a delivery must carry "
            "X-Signature = hex HMAC-SHA256(key, raw body + X-Timestamp). Empty = the webhook "
            "endpoint refuses everything (401)."),
    Setting("SMS_WEBHOOK_MAX_SKEW_S", int, 900,
            "A webhook whose X-Timestamp is further than this from our clock is refused "
            "(replay window; redeliveries are re-signed and dedup is by event id). 0 = no check."),
    Setting("SMS_WEBHOOK_SEND_URL", str, "",
            "The phone app's send API, e.g. http://192.168.1.50:8080/message (SMS Gateway for "
            "Android, local server mode)."),
    Setting("SMS_WEBHOOK_SEND_AUTH", str, "",
            "user:password for the phone app's send API (HTTP Basic)."),
    Setting("SMS_STANDIN_URL", str, "http://127.0.0.1:8114",
            "The SMS stand-in (SMS_GATEWAY=standin): replies are POSTed to it and listed at "
            "GET /_standin/sent."),
    Setting("SMS_LIMIT_PER_NUMBER", str, "10/10 minutes;60/day",
            "Inbound SMS from one number beyond these moving windows are stored flagged "
            "rate_limited (collapsed for the operator), never refused."),
    Setting("AML_MATCH_WINDOW_MIN", int, 30,
            "An AML location (sent by the caller's phone during a 112 call) is attached to the "
            "voice-call report of the same number received within this many minutes of it, "
            "either way: held until the operator creates that report, attached at creation."),
    Setting("AML_HTTPS_SECRET", str, "",
            "Shared secret of the mobile network operator's AML HTTPS endpoint (POST "
            "/v1/aml/https, ETSI TS 103 625): a delivery must carry X-Signature = hex "
            "HMAC-SHA256(secret, raw body + X-Timestamp), as the SMS webhook. Empty = no "
            "signature check (then AML_HTTPS_ALLOW must be set)."),
    Setting("AML_HTTPS_ALLOW", str, "",
            "Comma-separated addresses or networks (CIDR) the operator's AML endpoint posts "
            "from; empty = any. Every check that is configured must pass; with neither this "
            "nor AML_HTTPS_SECRET set the endpoint refuses everything (401)."),
    Setting("AML_SPOOL_DIR", str, "",
            "Where an AML HTTPS delivery is kept while the database is unavailable (it is "
            "answered 202 and stored when the database returns). Empty = aml_spool in the "
            "instance folder. Per host: keep it on a persistent volume."),
    Setting("AML_SPOOL_RETRY_S", float, 2.0,
            "How often spooled AML deliveries are retried while the database is away."),
    Setting("AML_HTTPS_MAX_SKEW_S", int, 900,
            "An AML HTTPS delivery whose X-Timestamp is further than this from our clock is "
            "refused (replay window; a redelivery is the same AML and stored once). 0 = no "
            "check."),
    Setting("SMS_MAX_ATTEMPTS", int, 8, "Send attempts of an outgoing SMS before it fails."),
    Setting("SMS_BACKOFF_CAP_S", int, 120,
            "Longest wait between two send attempts of an outgoing SMS (2, 4, 8 … s, capped)."),
    Setting("SMS_LEASE_SECONDS", int, 120,
            "An outgoing SMS claimed by a sender and not settled within this is claimed again."),
    Setting("ESCALATION_SECONDS", str,
            "fire=90,health=90,accident=120,violence_women_children=120,default=180",
            "Seconds a dispatched unit has to acknowledge, per category (default=…)."),
    Setting("ESCALATION_MODE", str, "propose",
            "On timeout or decline: 'propose' the next unit to the operator, or 'dispatch' it."),
    Setting("REGISTRATION_LIMIT_PER_ADDRESS", str, "60/minute;1000/hour",
            "Phone registrations per client address (moving windows). Generous because "
            "carriers put many phones behind one address (CGNAT); a refused phone keeps its "
            "SOS queued and retries after Retry-After (and has SMS)."),
    Setting("REGISTRATION_LIMIT_GLOBAL", str, "1200/minute",
            "Phone registrations per minute for the whole deployment."),
    Setting("SIGNIN_LIMIT_PER_ADDRESS", str, "30/minute;300/hour",
            "Console and crew sign-in attempts per client address, any usernames (a call "
            "centre's shift change signs a dozen people in from one address)."),
    Setting("SIGNIN_LIMIT_PER_ACCOUNT", str, "5/minute;10/10 minutes;20/hour",
            "Sign-in attempts for one account from one address: progressively sparser, cleared "
            "by a success; other addresses are not affected (no lock-out by a stranger)."),
    Setting("SOS_FLOOD_PER_DEVICE", int, 10,
            "Reports one device may create per SOS_FLOOD_WINDOW_S before the next ones are "
            "flagged a possible flood: still stored, collapsed into one inbox row."),
    Setting("SOS_FLOOD_WINDOW_S", int, 600, "Window of SOS_FLOOD_PER_DEVICE, seconds."),
    Setting("RECENT_TIMEOUT_MINUTES", int, 10,
            "A unit that timed out or declined a dispatch this recently is not recommended "
            "(it is listed apart with the busy units)."),
    Setting("UNIT_FIX_FRESH_MINUTES", int, 10,
            "A crew's GPS fix younger than this places its unit for the recommendation; "
            "older, the unit's post is used."),
    Setting("TRUSTED_PROXIES", int, 0,
            "Reverse proxies in front of the app whose X-Forwarded-For is trusted (0 = none)."),
    Setting("OVERLOAD_QUEUE_WAIT_MS", int, 500,
            "Graceful overload: a phone request (sync, registration, the phone's reads) that "
            "waited longer than this for a server thread is answered 503 + Retry-After at once "
            "instead of being served late (the phone keeps its ops and retries; "
            "backend/overload.py, docs/operations.md). 0 = never shed by queue wait."),
    Setting("OVERLOAD_POOL_WAIT_MS", int, 250,
            "Graceful overload: a phone request waits at most this long for its first "
            "database connection, then is answered 503 + Retry-After (nothing written). "
            "0 = wait like any request (pool_timeout)."),
    Setting("OVERLOAD_RETRY_AFTER_MIN_S", int, 2,
            "Shortest Retry-After of an overload 503, seconds; each answer draws a whole number "
            "of seconds between this and OVERLOAD_RETRY_AFTER_MAX_S, so phones shed together "
            "come back spread out."),
    Setting("OVERLOAD_RETRY_AFTER_MAX_S", int, 10, "Longest Retry-After of an overload 503."),
    Setting("METRICS_ALLOW", str, "127.0.0.1/32,::1/128",
            "Networks allowed to scrape /metrics without a token, comma-separated "
            "(e.g. the monitoring network 10.0.5.0/24). Empty = token only."),
    Setting("METRICS_TOKEN", str, "",
            "Bearer token that opens /metrics from anywhere (Prometheus "
            "`authorization: {credentials: …}`). Empty = address check only."),
    Setting("METRICS_WORKER_ADDR", str, "",
            "host:port where `flask worker` serves its own /metrics (alert sends and "
            "escalations happen there in production), e.g. 0.0.0.0:9113. Empty = off."),
    Setting("FEED_MAX_PER_WORKER", int, 4,
            "Live feeds (server-sent events) one web process serves at once; on gunicorn.conf.py "
            "each holds a thread, so keep it below WEB_THREADS (8): the rest stay free for "
            "phones. The feed server (gunicorn.feed.conf.py) holds feeds without threads and "
            "defaults this to 1000."),
    Setting("FEED_MAX_PER_USER", int, 2,
            "Live feeds one console user may hold open per web process (two tabs)."),
    Setting("FEED_WAKEUP", str, "poll",
            "How a live feed learns of new changes: 'poll' = each stream reads the database "
            "every 0.5 s (the embedded profile; fine for a few consoles); 'hub' = one poller "
            "per process reads each regency once and wakes every stream from memory (the "
            "feed server, gunicorn.feed.conf.py, sets it). The stream itself is the same."),
    Setting("FEED_HUB_POLL_MS", int, 200,
            "With FEED_WAKEUP=hub: how often the process's one poller reads new changes."),
    Setting("PUBLIC_BASE_URL", str, "",
            "The address citizens reach this server at, e.g. https://112.mubakab.go.id: the "
            "public guide's page (/panduan) and the QR code printed on its poster point "
            "there. Empty = the address of each request (fine locally; set it in production "
            "so a poster never carries an internal or forged host name)."),
    Setting("SMS_NUMBER", str, "",
            "The centre's SMS number as citizens type it (e.g. 0812-0000-0112 or "
            "+6281200000112): on the public guide, its poster, and in GET /v1/public/guide, "
            "where the app reads where to send its SMS fallback (PROTOCOL.md §13). "
            "Empty = no SMS number published (the guide's SMS section is left out)."),
    Setting("LOG_LEVEL", str, "INFO", "Python logging level."),
    Setting("EVALUATION_SCHEDULE", _bool, True,
            "Generate each regency's monthly evaluation report for the previous month at the "
            "start of a month (RQ worker in production, a thread of the web process "
            "embedded). Off: only on demand (console, API, `flask report monthly`)."),
    Setting("EVALUATION_CHECK_MINUTES", int, 60,
            "How often the schedule checks whether last month's report is still missing (it "
            "also runs at the month's first minutes and at start-up; a check that finds the "
            "report done costs one query per regency)."),
    Setting("PLACE_TOLERANCE_M", float, 1000.0,
            "A point in no desa takes the nearest desa within this many metres (GPS error, "
            "simplified borders); farther away it is outside the regency (shown, never dropped)."),
    Setting("SIGNAL_H3_RESOLUTION", int, 7,
            "H3 resolution of the weak-signal map's hexagons. 7 (cells of ~5 km², edge "
            "~1.4 km) is finer than a desa (~60 km² on average in Musi Banyuasin) yet gathers "
            "several reports per cell in a month; 8 (~0.7 km²) leaves most cells with one."),
    Setting("SIGNAL_WAIT_THRESHOLD_S", int, 600,
            "The weak-signal map's share of reports that waited on the phone longer than "
            "this many seconds (captured → received)."),
    Setting("SIGNAL_MIN_COUNT", int, 5,
            "A desa or cell needs at least this many reports in the range to be ranked; "
            "smaller samples are shown with their counts but never ranked."),
    Setting("COVERAGE_ROAD_FACTOR", float, 1.4,
            "Road distance ÷ straight-line distance for the coverage ESTIMATE (rural roads "
            "and rivers: 1.3-1.6 is typical; measure a few real trips to set it)."),
    Setting("COVERAGE_SPEED_KMH", str, "default=40",
            "Average road speed for the coverage estimate, km/h, per agency type "
            "(e.g. health=45,fire_brigade=40,default=40)."),
    Setting("COVERAGE_TARGET_MINUTES", float, 30.0,
            "Coverage planning: a desa whose estimated travel time from the nearest post is "
            "above this is outside the target."),
    Setting("PLACE_ASSIGN", _bool, True,
            "Assign each report's desa/kecamatan at ingest. Off only to measure what it costs "
            "(bench/ingest.py); reports then carry no place."),
    Setting("DEMO_HISTORY_DAYS", int, 30,
            "`flask seed --demo` adds this many days of synthetic history up to now (reports, "
            "incidents, dispatches, alerts; backend/history.py), once; 0 = none."),
    Setting("DEMO_HISTORY_REPORTS_PER_DAY", float, 100.0,
            "Mean reports a day in the demo history (a regency's 112 centre: 50–300)."),
)


def load_settings(environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read every declared setting from `environ`, apply `overrides`, refuse unknown overrides."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        try:
            values[setting.name] = setting.default if raw is None else setting.type(raw)
        except ValueError as exc:
            raise RuntimeError(f"setting {setting.name}: {exc}") from exc
    for key, value in (overrides or {}).items():
        if key not in values and not key.isupper():
            raise KeyError(f"unknown setting {key}")
        values[key] = value
    return values
