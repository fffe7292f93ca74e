"""Operations metrics for the people who run the server (Prometheus text format at /metrics).

instruments.py  the counters and histograms the code moves (HTTP, sync ops, alert sends,
                escalations, database errors) — prometheus_client, multi-process under gunicorn
http.py         the request hooks that time every request by URL rule
collector.py    gauges computed from the database at scrape time (outbox depth and age, what
                waits, feed lag), so they are right whichever process did the work
service.py      who may scrape, and the scrape itself
"""
