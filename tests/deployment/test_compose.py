"""The deployment files, checked by reading them: no Docker engine is available here.

Also the production settings themselves, in fresh processes: they refuse to start without
SECRET_KEY, and `manage.py check --deploy` is clean under them.
"""

import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _healthcheck(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_compose_has_the_services(services):
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)


def test_web_runs_gunicorn_and_is_health_checked_on_healthz(services):
    web = services["web"]
    assert "gunicorn" in _command(web)
    assert "housing.wsgi" in _command(web)
    assert "/healthz" in _healthcheck(web)


def test_worker_and_beat_run_celery(services):
    assert re.search(r"celery -A housing worker\b", _command(services["worker"]))
    assert re.search(r"celery -A housing beat\b", _command(services["beat"]))


def test_app_services_run_production_settings_from_the_environment(services):
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["DJANGO_ENV"] == "production", name
        for variable in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL",
                         "EMAIL_HOST"):
            assert environment.get(variable), f"{name} lacks {variable}"
        # The secret is never written into the file: compose insists it comes from outside.
        assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?"), name


def test_migrations_are_applied_before_the_app_starts(services):
    migrate_commands = [_command(service) for service in services.values()]
    assert any("manage.py migrate" in command for command in migrate_commands)


def test_database_is_postgres_15_health_checked_with_pg_isready(services):
    db = services["db"]
    assert db["image"] == "postgres:15"
    assert "pg_isready" in _healthcheck(db)
    assert db.get("volumes"), "the database needs a volume"


def test_wal_compression_is_lz4_never_on(services):
    # With `on` (pglz) a rent run just after a checkpoint took 14-15 s instead of about 2 s.
    command = _command(services["db"])
    assert "wal_compression=lz4" in command
    assert not re.search(r"wal_compression\s*=\s*(on|true|pglz)\b", command)


def test_redis_7_is_health_checked(services):
    redis = services["redis"]
    assert redis["image"] == "redis:7"
    assert "healthcheck" in redis


def test_app_services_wait_for_a_healthy_database_and_redis(services):
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        for dependency in ("db", "redis"):
            assert depends_on[dependency]["condition"] == "service_healthy", (name, dependency)


def test_dockerfile_builds_assets_and_runs_as_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "npm ci" in dockerfile
    assert "npm run build" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "collectstatic" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users, "the image must name a USER"
    assert users[-1] not in ("root", "0"), "the image must not run as root"


def test_ci_runs_make_test_and_nothing_else():
    script = (ROOT / ".ci" / "run").read_text()
    commands = [
        line.strip() for line in script.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert commands[0] == "set -euo pipefail"
    assert commands[-1] == "make test"
    assert all(c.startswith(("set ", "cd ")) for c in commands[:-1]), commands


def test_makefile_has_the_targets_the_readme_names():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    assert {"run", "test", "bench", "install", "lint", "clean"} <= targets
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"`make ([a-z-]+)", readme):
        assert target in targets, f"README names `make {target}`, which the Makefile lacks"


def test_readme_shows_prerequisites_the_two_commands_and_the_demo_password():
    readme = (ROOT / "README.md").read_text()
    assert "Python ≥ 3.11" in readme
    assert "Node ≥ 20" in readme
    assert "make run" in readme
    assert "make test" in readme
    assert "make bench" in readme
    assert "demo-password-2026" in readme
    # What the system is comes first, then the prerequisites, then the two commands.
    assert readme.index("Prerequisites") < readme.index("make run") < readme.index("make test")


# --- production settings, each in a fresh process ---------------------------------------------


def _production_environment(**overrides: str | None) -> dict[str, str]:
    """A clean environment: nothing of this test run's settings may leak into the child."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "housing.settings",
        "DJANGO_ENV": "production",
        "SECRET_KEY": "".join(
            secrets.choice(string.ascii_letters + string.digits + "!@#%^&*(-_=+)")
            for _ in range(60)
        ),
        "ALLOWED_HOSTS": "housing.example",
        "EMAIL_HOST": "smtp.example",
        # check --deploy connects to nothing; any PostgreSQL URL will do, so use this run's.
        "DATABASE_URL": settings.DATABASE_URL,
    }
    environment.update(overrides)
    return {key: value for key, value in environment.items() if value is not None}


def _run(args: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=120, check=False,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                  _production_environment())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output, output
    assert "System check identified no issues" in output, output


def test_production_settings_refuse_to_start_without_secret_key():
    result = _run(["-c", "import django; django.setup()"],
                  _production_environment(SECRET_KEY=None))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
