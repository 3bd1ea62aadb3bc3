#!/usr/bin/env python
"""Run the whole system for development: `make run` calls this once everything is installed.

1. Set up Django. Without DATABASE_URL this starts the embedded PostgreSQL under .data/pg (or
   joins the one already running). That server stops when the last Python process using it
   exits, so this script holds it for the whole session and hands its address to the children
   as DATABASE_URL: they neither race to start it nor take it down when one restarts.
2. Migrate, and load the demo data when the database has no users (seed_demo decides).
3. Start the web server, a Celery worker and Celery beat, each in its own process group, with
   their output prefixed by their names. Ctrl-C (SIGINT), SIGTERM or SIGHUP stops them all:
   SIGTERM to each group, then SIGKILL to whatever is left after STOP_SECONDS. If any one of
   them exits by itself, the others are stopped too, and this script exits non-zero.

Set PORT to serve on another port than 8000.
"""

import contextlib
import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PORT = int(os.environ.get("PORT", "8000"))
URL = f"http://{HOST}:{PORT}/"
# On SIGTERM a Celery worker finishes its current task (an idle one takes about 5 s to notice,
# as it polls the filesystem broker); don't wait forever for a long one.
STOP_SECONDS = 10
READY_SECONDS = 60

_print_lock = threading.Lock()


def say(message: str = "") -> None:
    with _print_lock:
        # The terminal (or a pipe like `| tee`) may be gone by now: stopping matters more.
        with contextlib.suppress(OSError, ValueError):
            print(message, flush=True)


def main() -> int:
    os.chdir(BASE_DIR)
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "housing.settings")
    port_free_or_exit()

    database_url = prepare_database()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    stop = threading.Event()
    second_signal = threading.Event()  # a second Ctrl-C: don't wait for a busy worker

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            second_signal.set()
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    children = start_children(env)

    exit_code = 1
    try:
        exit_code = supervise(children, stop)
    finally:
        say()
        say("==> Stopping the web server, the Celery worker and Celery beat…")
        stopping = time.monotonic()
        stop_children(children, second_signal)
        say(f"==> All stopped in {time.monotonic() - stopping:.1f} s.")
    return exit_code


def port_free_or_exit() -> None:
    """Fail fast, before the slow set-up, when something (often another `make run`) has the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as runserver does
        try:
            probe.bind((HOST, PORT))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            say(f"Port {PORT} on {HOST} is already in use: is another `make run` still running?")
            say("Stop it, or choose another port: make run PORT=8001")
            sys.exit(1)


def prepare_database() -> str:
    """Start (or join) the database, migrate it, seed demo data; return its URL for the children."""
    import django

    say("==> Starting the database" + ("" if os.environ.get("DATABASE_URL") else
                                         " (embedded PostgreSQL under .data/pg)"))
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    say("==> Applying migrations")
    call_command("migrate", interactive=False, verbosity=1)
    say("==> Loading demo data if the database has no users")
    call_command("seed_demo")
    connections.close_all()  # this process only holds the server open; the children do the work
    return settings.DATABASE_URL


# --- the children -----------------------------------------------------------------------------


class Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.relay: threading.Thread | None = None
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C reaches only us, and we
            preexec_fn=_die_with_parent,  # can stop the whole group (runserver's reloader too)
        )

    def relay_output(self) -> None:
        prefix = f"{self.name:<6} | "
        assert self.process.stdout is not None
        for raw in iter(self.process.stdout.readline, b""):
            say(prefix + raw.decode("utf-8", "replace").rstrip("\n"))

    def signal_group(self, signum: int) -> None:
        # The group outlives its leader when the leader has children left (runserver's reloader).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


def start_children(env: dict[str, str]) -> list[Child]:
    python = sys.executable
    commands = {
        "web": [python, "manage.py", "runserver", f"{HOST}:{PORT}"],
        "worker": [python, "-m", "celery", "-A", "housing", "worker",
                   "--pool=solo", "--loglevel=INFO", "--hostname=worker@%h"],
        "beat": [python, "-m", "celery", "-A", "housing", "beat", "--loglevel=INFO"],
    }
    say("==> Starting the web server, a Celery worker and Celery beat")
    # Start every child before any relay thread: preexec_fn is only safe without other threads.
    children = [Child(name, argv, env) for name, argv in commands.items()]
    for child in children:
        child.relay = threading.Thread(target=child.relay_output, daemon=True)
        child.relay.start()
    return children


_PR_SET_PDEATHSIG = 1
try:
    _libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except OSError:
    _libc = None


def _die_with_parent() -> None:
    """On Linux, a child gets SIGTERM if this script is killed outright (e.g. with SIGKILL)."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def supervise(children: list[Child], stop: threading.Event) -> int:
    """Wait for a stop signal or for a child to exit; print the banner once the site answers."""
    started = time.monotonic()
    announced = False
    while not stop.wait(0.25):
        for child in children:
            code = child.process.poll()
            if code is not None:
                say(f"==> {child.name} exited with code {code}; stopping the others.")
                return 1
        if not announced:
            status = _healthz_status()
            if status is not None:
                announced = True
                banner(status, time.monotonic() - started)
            elif time.monotonic() - started > READY_SECONDS:
                announced = True
                say(f"==> The web server has not answered {URL}healthz after {READY_SECONDS} s.")
    return 0


def _healthz_status() -> int | None:
    try:
        with urllib.request.urlopen(URL + "healthz", timeout=2) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


def banner(status: int, seconds: float) -> None:
    line = "=" * 72
    say(line)
    say(f"  The housing system is running at  {URL}")
    say(f"  Web server, Celery worker and Celery beat up in {seconds:.1f} s.")
    if status != 200:
        say(f"  Warning: {URL}healthz answered {status}; see the log above.")
    say("  Demo logins are listed above and in README.md (password demo-password-2026).")
    say("  Press Ctrl-C to stop them all.")
    say(line)


def stop_children(children: list[Child], second_signal: threading.Event) -> None:
    for child in children:
        child.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while time.monotonic() < deadline and not second_signal.is_set():
        if all(child.process.poll() is not None for child in children):
            break
        time.sleep(0.1)
    reason = "on a second Ctrl-C" if second_signal.is_set() else f"after {STOP_SECONDS} s"
    for child in children:
        if child.process.poll() is None:
            say(f"==> Killing {child.name} {reason}.")
        # SIGKILL the group in every case: it catches a grandchild whose leader already left.
        child.signal_group(signal.SIGKILL)
    for child in children:
        child.process.wait()
        if child.relay is not None:
            child.relay.join(timeout=2)  # let its last lines out


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C during set-up, before any child started
        say("\n==> Interrupted.")
        sys.exit(130)
