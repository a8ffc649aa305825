FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Every dependency as pinned, with its hashes, in requirements.lock (README, "Dependencies"); then the project
# itself without resolving anything again.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps . && \
    DEBUG=1 python manage.py compilemessages --ignore '.venv/*' && \
    DEBUG=1 COLLECTED_STATIC=1 python manage.py collectstatic --noinput
# /srv/audit-heads: where the audit log's head is exported (docker-compose.yml mounts a volume there).
RUN useradd --system --uid 1000 app && mkdir -p /app/var /srv/audit-heads && chown app /app/var /srv/audit-heads
USER app
