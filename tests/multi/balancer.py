"""HAProxy in front of app instances, for the multi-instance tests: Debian's ``haproxy`` running the shipped
``deploy/haproxy.cfg`` (its addresses from the environment), in the foreground, in its own process group, with its
stats socket in the test's temporary folder.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.crash import harness

CONFIG = harness.ROOT / "deploy" / "haproxy.cfg"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"


@dataclass
class Balancer:
    """``haproxy -f deploy/haproxy.cfg`` listening on ``port`` and balancing over ``backends`` (loopback ports)."""

    backends: list[int]
    folder: Path
    port: int = field(default_factory=harness.free_port)
    proc: subprocess.Popen | None = None

    @property
    def socket_path(self) -> Path:
        return self.folder / "haproxy.sock"

    @property
    def log_path(self) -> Path:
        return self.folder / "haproxy.log"

    def start(self, timeout: float = 20.0) -> Balancer:
        env = {**os.environ, "BRIDGEFUND_LISTEN": f"127.0.0.1:{self.port}",
               "HAPROXY_STATS_SOCKET": str(self.socket_path),
               **{f"BRIDGEFUND_WEB{i}": f"127.0.0.1:{p}" for i, p in enumerate(self.backends, 1)}}
        log = self.log_path.open("ab")
        # -db: stay in the foreground; -W: master-worker, so that killing the group stops it all
        self.proc = subprocess.Popen([HAPROXY, "-db", "-W", "-f", str(CONFIG)], env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"haproxy exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                if set(self.states().values()) == {"UP"}:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"haproxy did not see every instance up: {self.log_path.read_text()[-2000:]}")

    def stats(self) -> list[dict[str, str]]:
        """``show stat``: one row per frontend, server and backend (HAProxy's CSV, header ``# pxname,svname,…``)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(str(self.socket_path))
            s.sendall(b"show stat\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        text = b"".join(chunks).decode().lstrip("# ")
        return list(csv.DictReader(io.StringIO(text)))

    def states(self) -> dict[str, str]:
        """Each server's check state (``UP``, ``DOWN``, ``UP 1/2`` while changing …)."""
        return {r["svname"]: r["status"] for r in self.stats() if r["svname"] not in ("FRONTEND", "BACKEND")}

    def counters(self) -> dict[str, int]:
        """The backend's totals: requests sent again after a failure (``wretr``: to the same or, with
        ``option redispatch``, another server), those sent to another server (``wredis``), connection errors
        (``econ``), responses cut off or never given (``eresp``), and answers by status class."""
        row = next(r for r in self.stats() if r["svname"] == "BACKEND")
        names = ("wretr", "wredis", "econ", "eresp", "hrsp_2xx", "hrsp_4xx", "hrsp_5xx")
        return {n: int(row[n] or 0) for n in names}

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None
