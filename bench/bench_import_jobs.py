"""A 10,000-row pool-loan import through the queue (``/jobs``) on PostgreSQL: the API's path
(``POST /pool-loans/import`` with ``Prefer: respond-async`` → 202 → a consumer runs the job → ``GET /jobs/{id}``
until it succeeded) and the console's (a preview job that checks every row and stores nothing, then the confirmed
import job).

Run: ``.venv/bin/python bench/bench_import_jobs.py`` (options: ``--rows``, ``--rounds``, ``--pg-url``,
``--profile``). It builds a scratch database ``bench_import_jobs_run`` on the server of ``--pg-url`` (dropped at
the end) seeded like ``bench/bench_import.py``; the queue is a SQLite Huey in a temporary directory (not the
immediate mode: the request only enqueues), and a consumer thread runs the job (``bridgefund.jobs.runner.run``,
the consumer's code) while this thread polls ``GET /jobs/{id}`` every second as the console does (the progress it
saw is printed). Timed per phase: the request (202), the job's run (claim → work → commit), and the whole
round trip until the poll sees ``succeeded``; rows/s = rows ÷ round trip, and by the consumer thread's CPU time
(``time.thread_time``: what the job itself cost, whatever the machine's load).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_import import World, rows_of, xlsx  # noqa: E402
from bridgefund.jobs import runner, tasks  # noqa: E402
from bridgefund.models import Job  # noqa: E402
from bridgefund.services import jobs  # noqa: E402

PG_DB = "bench_import_jobs_run"
#: Seconds between two polls of ``GET /jobs/{id}`` (the console's page polls every second).
POLL = 1.0


class QueuedWorld(World):
    """The bench world with a real (SQLite) queue instead of Huey's immediate mode."""

    def __init__(self, url: str, rows: int, rounds: int, huey_file: str) -> None:
        import bench.bench_import as base

        real = base.create_app
        base.create_app = lambda cfg: real({**cfg, "huey_immediate": False, "huey_sqlite": huey_file})
        try:
            super().__init__(url, rows, rounds, asynchronous=True)
        finally:
            base.create_app = real

    def run_job(self, job_id: int, profile: bool = False) -> tuple[float, float]:
        """(wall seconds, CPU seconds of this consumer thread) of one job's run."""
        started, cpu = time.perf_counter(), time.thread_time()
        worker = self.app.extensions["bridgefund.worker"]
        if profile:
            prof = cProfile.Profile()
            prof.runcall(runner.run, self.app, job_id, worker, tasks.HANDLERS)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        else:
            runner.run(self.app, job_id, worker, tasks.HANDLERS)
        return time.perf_counter() - started, time.thread_time() - cpu

    def through_queue(self, start: callable, profile: bool = False) -> dict[str, float]:
        """Start a job (``start`` answers its id), run it on a consumer thread, poll it until it is done."""
        t0 = time.perf_counter()
        job_id = start()
        t_request = time.perf_counter() - t0
        ran: dict[str, tuple[float, float]] = {}
        consumer = threading.Thread(target=lambda: ran.setdefault("run", self.run_job(job_id, profile)))
        consumer.start()
        seen = []
        while True:
            job = self.client.get(f"/api/v1/jobs/{job_id}", headers=self.headers).get_json()
            seen.append(job["progress"])
            if job["status"] in ("succeeded", "failed"):
                break
            time.sleep(POLL)
        consumer.join()
        total = time.perf_counter() - t0
        if job["status"] != "succeeded":
            raise SystemExit(f"job {job_id} {job['status']}: {str(job.get('error'))[:2000]}")
        progress = sorted(set(seen))
        return {"request": t_request, "run": ran["run"][0], "cpu": ran["run"][1], "total": total, "job_id": job_id,
                "progress": f"{progress[:3]}…{progress[-2:]}" if len(progress) > 5 else str(progress)}

    def api_start(self, data: bytes, name: str) -> int:
        r = self.client.post("/api/v1/pool-loans/import", data={"file": (io.BytesIO(data), name)},
                             headers={**self.headers, "Prefer": "respond-async"}, content_type="multipart/form-data")
        if r.status_code != 202:
            raise SystemExit(f"import answered {r.status_code}: {str(r.get_json())[:2000]}")
        return r.get_json()["id"]

    def preview_start(self, data: bytes, name: str) -> int:
        """The console's upload: a preview job (services.jobs.start_pool_import(preview=True))."""
        with self.app.test_request_context(), self.db.sessionmaker() as s:
            actor = self._actor(s)
            job = jobs.start_pool_import(s, actor, today=self.app.config["BRIDGEFUND"].business_date(), data=data,
                                         filename=name, bank_id=None, preview=True)
            s.commit()
            return job.id

    def confirm_start(self, preview_id: int) -> int:
        with self.app.test_request_context(), self.db.sessionmaker() as s:
            job = jobs.confirm_pool_import(s, self._actor(s), preview_id,
                                           today=self.app.config["BRIDGEFUND"].business_date())
            s.commit()
            return job.id

    def _actor(self, s):  # noqa: ANN001, ANN202
        from sqlalchemy import select

        from bridgefund.models import User
        from bridgefund.services.actor import Actor

        u = s.scalars(select(User).where(User.username == "bench-officer")).one()
        return Actor(id=u.id, username=u.username, role=u.role, bank_id=u.bank_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="any database of the server; the scratch database is made beside it")
    parser.add_argument("--profile", action="store_true", help="cProfile the first API import job's run")
    args = parser.parse_args()
    admin_url = make_url(args.pg_url)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = admin_url.set(database=PG_DB).render_as_string(hide_password=False)
            world = QueuedWorld(url, args.rows, args.rounds, str(Path(tmp) / "huey.sqlite3"))
            world.through_queue(lambda: world.api_start(xlsx(rows_of(10, world.usccs, "WARM")), "warm.xlsx"))
            phases: dict[str, list[dict]] = {"api": [], "preview": [], "confirm": []}
            for r in range(args.rounds):
                data = xlsx(rows_of(args.rows, world.usccs, f"A{r}"))
                phases["api"].append(world.through_queue(lambda d=data: world.api_start(d, "bench.xlsx"),
                                                         profile=args.profile and r == 0))
                data = xlsx(rows_of(args.rows, world.usccs, f"P{r}"))
                prev = world.through_queue(lambda d=data: world.preview_start(d, "bench.xlsx"))
                phases["preview"].append(prev)
                phases["confirm"].append(world.through_queue(lambda p=prev["job_id"]: world.confirm_start(p)))
            with world.db.sessionmaker() as s:
                assert s.get(Job, phases["confirm"][-1]["job_id"]).result["created"] == args.rows
            world.db.engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
    print(f"\nPostgreSQL, {args.rows:,} rows XLSX through the queue, {args.rounds} rounds, medians")
    names = {"api": "API import job (POST 202 → GET /jobs)", "preview": "console preview job (checks only)",
             "confirm": "console confirmed import job"}
    for key, runs in phases.items():
        med = {k: statistics.median(r[k] for r in runs) for k in ("request", "run", "cpu", "total")}
        print(f"  {names[key]:40} request {med['request']:5.2f} s, job {med['run']:6.2f} s "
              f"(consumer CPU {med['cpu']:6.2f} s = {args.rows / med['cpu']:6,.0f} rows/s), "
              f"until succeeded {med['total']:6.2f} s = {args.rows / med['total']:6,.0f} rows/s wall; "
              f"progress seen {runs[0]['progress']}")


if __name__ == "__main__":
    main()
