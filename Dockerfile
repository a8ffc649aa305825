FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && \
    DEBUG=1 python manage.py compilemessages --ignore '.venv/*' && \
    DEBUG=1 COLLECTED_STATIC=1 python manage.py collectstatic --noinput
# /srv/audit-heads: where the audit log's head is exported (docker-compose.yml mounts a volume there).
RUN useradd --system --uid 1000 app && mkdir -p /app/var /srv/audit-heads && chown app /app/var /srv/audit-heads
USER app
