# Production image: gunicorn serving the API behind nginx (deploy/nginx/); PostgreSQL+PostGIS
# and Redis are separate services. The reference deployment is docker-compose.yml:
#   docker compose up -d           # nginx :80 → app (gunicorn) → db, redis; worker for alerts
# Never publish the app's port 8112 directly: gunicorn holds a thread per open connection, so
# slow clients would starve it; nginx buffers whole requests first (tests/test_front_door.py).
# The alert worker is the same image with another command: `flask worker`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FLASK_APP=backend HOST=0.0.0.0 PORT=8112 TRUSTED_PROXIES=1 SESSION_COOKIE_SECURE=true

# The evaluation report: WeasyPrint renders HTML to PDF with Pango/HarfBuzz; DejaVu fonts for
# its text and the charts' (matplotlib writes SVG text with DejaVu Sans first).
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
# gammu-smsd-inject writes SMS replies into gammu-smsd's outbox (SMS_GATEWAY=gammu; the
# daemon itself runs next to the modem with deploy/gammu/smsdrc.example, sharing its folders).
RUN apt-get update && apt-get install -y --no-install-recommends gammu gammu-smsd \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 siaga
WORKDIR /app

COPY pyproject.toml constraints.txt ./
COPY backend ./backend
COPY api ./api
COPY sync ./sync
COPY push ./push
COPY mobile_contract ./mobile_contract
COPY migrations ./migrations
COPY gunicorn.conf.py gunicorn.feed.conf.py wsgi.py ./
# The code stays root's and read-only to the app user; only instance/ (secrets, the
# embedded database, the AML spool) is the app's to write. Console translations: the .po
# catalogues are the source; the .mo files are built here.
RUN pip install -c constraints.txt -e . && pybabel -q compile -d api/translations \
    && mkdir -p /app/instance/aml_spool && chown siaga /app/instance /app/instance/aml_spool \
    && chmod 0700 /app/instance

USER siaga
EXPOSE 8112
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/v1/health', timeout=4)"
# Migrations run before serving; they are idempotent and take an Alembic lock row.
CMD ["sh", "-c", "flask db upgrade && flask seed && exec gunicorn -c gunicorn.conf.py 'backend:create_app()'"]
