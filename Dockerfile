FROM python:3.11-slim
WORKDIR /app
# The letters embed the Liberation fonts (PDF/A).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-liberation && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md alembic.ini ./
COPY core core
COPY web web
COPY worker worker
COPY letters letters
COPY templates templates
COPY migrations migrations
RUN pip install --no-cache-dir -e . && pybabel compile -d web/translations && useradd --create-home backoffice && mkdir -p /data && chown backoffice /data
USER backoffice
ENV VAR_DIR=/data
