# syntax=docker/dockerfile:1
# The production image: `docker compose up` runs web (gunicorn), worker and beat from it.

# --- 1. Front-end assets: GOV.UK Frontend, MoJ Frontend and htmx, compiled with sass --------
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static/src static/src
RUN npm run build

# --- 2. The application -----------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/opt/venv/bin:$PATH

# WeasyPrint's system libraries (Pango, HarfBuzz's subsetter: about 3x faster small PDFs) and
# fonts for the PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fontconfig fonts-dejavu-core fonts-liberation2 \
    && rm -rf /var/lib/apt/lists/*

# The locked dependencies, without the dev group, in their own layer (cached until uv.lock
# changes).
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
COPY --from=assets /app/static/dist static/dist

# collectstatic imports the production settings, which insist on these; the values are dummies
# for this one step and are not kept in the image.
RUN DJANGO_ENV=production \
    SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost/build \
    EMAIL_HOST=localhost \
    python manage.py collectstatic --noinput

# Run as an unprivileged user; it owns only what it writes (media, beat's schedule).
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home housing \
    && mkdir -p /app/.data /app/media \
    && chown housing:housing /app/.data /app/media
USER housing

ENV DJANGO_ENV=production \
    MEDIA_ROOT=/app/media
EXPOSE 8000
CMD ["gunicorn", "housing.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
