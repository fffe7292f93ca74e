# Production image: gunicorn serving the API; PostgreSQL+PostGIS and Redis are external.
#   docker build -t siaga112 .
#   docker run -e DATABASE_URL=postgresql+psycopg://user:pass@db/siaga112 \
#              -e REDIS_URL=redis://redis:6379/0 -e FCM_CREDENTIALS=/run/secrets/fcm.json \
#              -e SECRET_KEY=... -p 8112:8112 siaga112
# The alert worker is the same image with another command:
#   docker run ...same env... siaga112 flask worker
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FLASK_APP=backend HOST=0.0.0.0 PORT=8112

RUN useradd --create-home --uid 10001 siaga
WORKDIR /app

COPY pyproject.toml constraints.txt ./
COPY backend ./backend
COPY api ./api
COPY sync ./sync
COPY push ./push
COPY mobile_contract ./mobile_contract
COPY migrations ./migrations
COPY gunicorn.conf.py ./
# Console translations: the .po catalogues are the source; the .mo files are built here.
RUN pip install -c constraints.txt -e . && pybabel -q compile -d api/translations \
    && chown -R siaga /app

USER siaga
EXPOSE 8112
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/v1/health', timeout=4)"
# Migrations run before serving; they are idempotent and take an Alembic lock row.
CMD ["sh", "-c", "flask db upgrade && flask seed && exec gunicorn -c gunicorn.conf.py 'backend:create_app()'"]
