"""Real-browser tests of the staff console: Debian's Chromium driven by Playwright against a fresh demo server.

The server is started as ``make run`` starts one (its own SQLite database, ``bridgefund db upgrade``,
``bridgefund demo --if-empty``, gunicorn on a free loopback port). Chromium is the system's (``make system-deps``
installs Debian's ``chromium``; ``playwright install`` cannot download browsers here) and is kept off the network:
every request to another host is aborted and counted, and a test fails if there was one.

These tests run on SQLite only (``make test``'s first pass); the PostgreSQL pass ignores ``tests/browser``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BRIDGEFUND_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments: Debian's Chromium, headless, nothing fetched in the background."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium"
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(args[2:])} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


#: The command line of ``bridgefund`` for the test server (``console_env`` is its environment).
CLI = [sys.executable, "-c", "from bridgefund.cli import main; main()"]


@pytest.fixture(scope="session")
def console_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the test server and its queue consumer (their own SQLite database, queue and archive)."""
    home = tmp_path_factory.mktemp("console-server")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGEFUND_")}
    env.update(
        BRIDGEFUND_DATABASE_URL=f"sqlite:///{home / 'bridgefund.sqlite3'}",
        BRIDGEFUND_REPORTS_DIR=str(home / "reports"),
        BRIDGEFUND_HUEY_SQLITE=str(home / "huey.sqlite3"),
        BRIDGEFUND_SECRET_KEY="browser-tests-" + "0" * 32,
        BRIDGEFUND_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        CONSOLE_SERVER_HOME=str(home),
    )
    return env


@pytest.fixture(scope="session")
def console_url(console_env: dict[str, str]) -> Iterator[str]:
    """A fresh demo server as ``make run`` starts it — gunicorn and one queue consumer —; yields its base URL (the
    console is at ``/``)."""
    env = console_env
    home = Path(env["CONSOLE_SERVER_HOME"])
    cli = CLI
    _run([*cli, "db", "upgrade"], env)
    _run([*cli, "demo", "--if-empty"], env)
    port = _free_port()
    log = (home / "gunicorn.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    consumer_log = (home / "consumer.log").open("wb")
    consumer = subprocess.Popen([*cli, "jobs", "consumer", "--workers", "1"], cwd=ROOT, env=env,
                                stdout=consumer_log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180  # a loaded machine (CI, parallel suites) starts it slowly
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, (home / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "the server did not answer /healthz within 180 s"
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        for p in (proc, consumer):
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()
        consumer_log.close()
        shutil.rmtree(home / "reports", ignore_errors=True)
