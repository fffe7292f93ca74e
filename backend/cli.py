"""Flask CLI: `flask seed` (--demo: staff, reports, a month of history), `flask settings`, `flask devices revoke`, `flask report monthly|due`."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import click
from flask import Flask, current_app

from backend.config import SETTINGS
from backend.extensions import db

# Demo reports in Musi Banyuasin's towns: a few hundred metres off the label point of the
# town's desa/kelurahan (backend.seed.TOWNS); demo data only.
DEMO_REPORTS = (
    ("fire", "Sekayu", "[DEMO] Rumah terbakar dekat masjid, Sekayu"),
    ("accident", "Sungai Lilin", "[DEMO] Tabrakan motor di jalan lintas, Sungai Lilin"),
    ("health", "Bayung Lencir", "[DEMO] Warga pingsan, butuh ambulans, Bayung Lencir"),
    ("natural_disaster", "Babat Toman", "[DEMO] Banjir naik ke rumah warga, Babat Toman"),
)


def register(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--demo/--no-demo", default=False, help="Also add demo reports (marked [DEMO]).")
    def seed(demo: bool):
        """Create the deployment's regency (and demo data); safe to run twice."""
        from backend.regencies.service import ensure_regency

        code = current_app.config["DEFAULT_REGENCY"]
        regency = ensure_regency(code=code, name="Musi Banyuasin" if code == "1606" else code)
        if demo:
            from backend.seed import DEMO_PASSWORD, seed_demo

            users = seed_demo(regency)
            _seed_demo(regency)
            history = _seed_history(regency)
            for user in users:
                if user.role != "responder":
                    click.echo(f"demo login: {user.username} / {DEMO_PASSWORD} ({user.role})")
            if users:
                click.echo(f"demo responders: the unit call sign in lower case, e.g. "
                           f"dmk-sky-1 / {DEMO_PASSWORD}")
        db.session.commit()
        if demo and history:
            _demo_report(regency)
        click.echo(f"regency {regency.code} {regency.name} ready" + (" with demo data" if demo
                                                                      else ""))

    @app.cli.command("settings")
    def settings():
        """Print every setting with its default and meaning."""
        for s in SETTINGS:
            click.echo(f"{s.name} ({s.type.__name__}, default {s.default!r})\n    {s.help}")

    users = click.Group("users", help="Manage console accounts.")
    app.cli.add_command(users)

    @users.command("create")
    @click.argument("username")
    @click.option("--name", required=True)
    @click.option("--role", type=click.Choice(["operator", "supervisor", "admin"]),
                  required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create(username: str, name: str, role: str, password: str):
        """Create a console account in the deployment's regency (e.g. the first admin)."""
        from backend.accounts.service import create_user
        from backend.regencies.service import get_regency_by_code

        regency = get_regency_by_code(current_app.config["DEFAULT_REGENCY"])
        try:
            user = create_user(regency_id=regency.id, username=username, name=name, role=role,
                               password=password)
        except Exception as exc:  # ApiError carries a readable message
            raise click.ClickException(getattr(exc, "message", str(exc))) from None
        db.session.commit()
        click.echo(f"{role} {user.username} created")

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
    @click.option("--fork/--no-fork", default=False,
                  help="Run each job in a forked child (isolation) instead of in-process.")
    def worker(burst: bool, fork: bool):
        """Run the RQ alert worker (with scheduler) and the outbox relay. Needs REDIS_URL."""
        from push.runtime import RqRuntime
        from push.worker import run_worker

        runtime = current_app.extensions["siaga.push"]
        if not isinstance(runtime, RqRuntime):
            raise click.ClickException("set REDIS_URL: without Redis the web process "
                                       "delivers alerts itself (embedded profile)")
        run_worker(current_app._get_current_object(), runtime, burst=burst, fork=fork)

    areas = click.Group("areas", help="Administrative areas (kecamatan, desa).")
    app.cli.add_command(areas)

    @areas.command("import")
    @click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    @click.option("--regency", "regency_code", default=None,
                  help="BPS code (e.g. 1606); default: from the codes' prefix (16.06 → 1606).")
    def import_(files: tuple[str, ...], regency_code: str | None):
        """Import GeoJSON FeatureCollections of areas (insert or update by code; idempotent)."""
        from backend.errors import ApiError
        from backend.places.service import import_files
        from backend.regencies.service import get_regency_by_code

        try:
            regency = get_regency_by_code(regency_code) if regency_code else None
            result = import_files(paths=list(files), regency=regency)
        except ApiError as exc:
            detail = json.dumps(exc.details, ensure_ascii=False)[:2000] if exc.details else ""
            raise click.ClickException(f"{exc.message} {detail}".strip()) from None
        except ValueError as exc:  # not JSON at all
            raise click.ClickException(f"not a GeoJSON file: {exc}") from None
        db.session.commit()
        click.echo(f"regency {result.regency}: {result.inserted} inserted, "
                   f"{result.updated} updated, {result.unchanged} unchanged")

    report = click.Group("report", help="Evaluation reports (stored; listed in the console).")
    app.cli.add_command(report)

    @report.command("monthly")
    @click.option("--month", help="Calendar month YYYY-MM in the regency's time zone.")
    @click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First day of a range.")
    @click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (inclusive).")
    @click.option("--regency", "regency_code", default=None,
                  help="BPS code; default DEFAULT_REGENCY.")
    @click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False, writable=True),
                  help="Also write the PDF to this file.")
    def monthly(month, start, end, regency_code, pdf_path):
        """Generate (or regenerate) a month's or a range's evaluation report and store it."""
        from backend.errors import ApiError
        from backend.evaluation.service import generate_report, month_period, range_period
        from backend.regencies.service import get_regency_by_code

        if bool(month) == bool(start or end) or (not month and not (start and end)):
            raise click.UsageError("give --month YYYY-MM, or --start and --end")
        regency = get_regency_by_code(regency_code or current_app.config["DEFAULT_REGENCY"])
        try:
            period = month_period(regency=regency, month=month) if month else range_period(
                regency=regency, first=start.date(), last=end.date())
            result, created = generate_report(regency=regency, period=period, actor=None,
                                              via="cli")
        except ApiError as exc:
            raise click.ClickException(f"{exc.message} {exc.details or ''}".strip()) from None
        db.session.commit()
        if pdf_path:
            with open(pdf_path, "wb") as f:
                f.write(result.pdf)
        click.echo(f"evaluation report {period.label} {'created' if created else 'replaced'}"
                   f" (id {result.id}, PDF {result.pdf_size} bytes"
                   f"{', written to ' + pdf_path if pdf_path else ''})")

    @report.command("due")
    def due():
        """Generate the previous month's report of every regency if not done yet (what the
        scheduler runs; safe to run any number of times)."""
        from backend.evaluation.service import generate_due

        done = generate_due()
        db.session.commit()
        click.echo(f"{len(done)} report(s) generated" + "".join(
            f"\n  {r.figures['period']['label']} (id {r.id})" for r in done))
    sms = click.Group("sms", help="The SMS gateway (SMS_GATEWAY).")
    app.cli.add_command(sms)

    @sms.command("inject")
    @click.argument("number")
    @click.argument("text")
    def sms_inject(number: str, text: str):
        """Receive an SMS as if it came through the gateway (development: the stand-in)."""
        from backend.sms.service import inject

        row = inject(number, text)
        db.session.commit()
        click.echo(f"sms {row.id} from {row.number}: {row.status} {row.kind or ''} "
                   f"{row.error_code or ''}".rstrip())
        if row.parse:
            click.echo(json.dumps(row.parse, ensure_ascii=False))

    @sms.command("poll")
    def sms_poll():
        """One gateway round now: store what waits in its inbox, send what is due."""
        from backend.sms.service import gateway_round

        click.echo(json.dumps(gateway_round()))

    devices = click.Group("devices", help="Manage devices.")
    app.cli.add_command(devices)

    @devices.command("revoke")
    @click.argument("device_id", type=int)
    def revoke(device_id: int):
        """Revoke a device key (a lost or abused phone)."""
        from backend.devices.models import Device
        from backend.devices.service import revoke_device

        device = db.session.get(Device, device_id)
        if device is None:
            raise click.ClickException(f"no device {device_id}")
        revoke_device(device=device, actor=("system", "cli"))
        db.session.commit()
        click.echo(f"device {device_id} revoked")


def _seed_history(regency):
    from backend.db import utcnow
    from backend.history import seed_history

    totals = seed_history(regency, days=current_app.config["DEMO_HISTORY_DAYS"],
                          reports_per_day=current_app.config["DEMO_HISTORY_REPORTS_PER_DAY"],
                          now=utcnow())
    if totals:
        click.echo(f"demo history: {totals.reports} reports, {totals.incidents} incidents, "
                   f"{totals.dispatches} dispatches over "
                   f"{current_app.config['DEMO_HISTORY_DAYS']} days")
    return totals


def _demo_report(regency) -> None:
    """A stored evaluation report over the demo history, so *Laporan evaluasi* shows one on
    first start (the schedule makes each previous month's by itself)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from backend.db import utcnow
    from backend.evaluation.service import generate_report, range_period

    today = utcnow().astimezone(ZoneInfo(regency.timezone or "Asia/Jakarta")).date()
    first = today - timedelta(days=current_app.config["DEMO_HISTORY_DAYS"])
    report, _ = generate_report(regency=regency, via="seed", actor=None,
                                period=range_period(regency=regency, first=first, last=today))
    db.session.commit()
    click.echo(f"demo evaluation report: {first} – {today}")


def _seed_demo(regency) -> None:
    import sqlalchemy as sa

    from backend.db import utcnow
    from backend.devices.models import Device
    from backend.devices.service import register_device
    from backend.places.service import demo_label_point
    from backend.reports.service import NewReport, create_reports
    from backend.seed import TOWNS

    if db.session.scalar(sa.select(Device).where(Device.app_version == "demo-seed")):
        return
    device, key = register_device(regency_code=regency.code, platform="other",
                                  app_version="demo-seed", locale="id")
    now = utcnow()
    create_reports(regency_id=device.regency_id, device=device, actor=("device", device.id),
                   reports=[
        NewReport(client_op_id=str(uuid.uuid4()), category=cat, note=note, silent=False,
                  lat=demo_label_point(TOWNS[town])[0] + 0.002,
                  lon=demo_label_point(TOWNS[town])[1] + 0.002, accuracy_m=15.0,
                  location_source="gps",
                  location_fix_at=None, device_captured_at=now - timedelta(minutes=7 * i),
                  captured_at=now - timedelta(minutes=7 * i), time_source="device_corrected",
                  clock_offset_ms=0, clock_skew_flagged=False)
        for i, (cat, town, note) in enumerate(DEMO_REPORTS)])
    click.echo(f"demo device {device.id} key: {key}")
