"""The console's pages at scale: server time of each page per role at 10⁵ / 10⁶ bridge loans (and as many pool
loans with ten installments each), loaded by ``bench/load_scale.py`` like ``bench/bench_scale.py``.

    .venv/bin/python bench/bench_console.py --sizes 100000                   # loads bench_console_100000
    .venv/bin/python bench/bench_console.py --sizes 100000 1000000 --reuse   # keep loaded scratch databases

In-process through the Flask test client (routing, the session check, services, SQL, templates; no HTTP), signed in
as a server-side console session of each role: the home page of the officer, the manager, the admin and the
auditor; the bridge-loan list (staff, officer, a filtered one, the second page by keyset), the pool-loan list
(staff, officer), a bridge loan's detail with its timeline, a pool loan's detail with its schedule, the dashboard,
the audit log (first page and filtered by an entity), and the JSON requests behind some of them.

The baseline, in the same process and on the same database: ``bench/bare_app.py``, Flask + SQLAlchemy and nothing
else, answering ``GET /page`` (25 rows read with Core, rendered by a Jinja template) and ``GET /hello``.

**Interleaved rounds**: ``--reps`` rounds after a warm-up round, each round asking every page and the baseline once,
so a change of the machine's load (a noisy VM's minute) hits every page alike instead of the one being timed. Prints
p50 and p95 per page and size, each page's p50 and p95 as multiples of the bare page's p50 of the same run (the
ratios compare across machines; the milliseconds do not), and whether p95 ≤ 50 ms at the largest size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load_scale  # noqa: E402
from bench.bench_scale import pct  # noqa: E402
from tests.crash import harness  # noqa: E402

ROLES = (("admin", None), ("auditor", None), ("fund_manager", None), ("bank_officer", 1))


def prepare(admin_url: str, n: int, reuse: bool, prefix: str = "bench_console") -> str:
    name = f"{prefix}_{n}"
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    if reuse:
        try:
            eng = create_engine(url)
            with eng.connect() as c:
                have = c.execute(text("SELECT count(*) FROM bridge_loans")).scalar()
            eng.dispose()
            if have == n:
                load_scale.bring_up_to_date(url, echo=True)
                return url
        except Exception:  # noqa: BLE001, S110 - no such database yet: load it
            pass
    from bridgefund.migrate import upgrade

    url = harness.create_scratch_db(admin_url, name)
    upgrade(url)
    print(f"loading {n:,} loans into {name} …", flush=True)
    took = load_scale.load(url, n, 10, echo=False)
    summarised = sum(load_scale.summarise(url, echo=False).values())
    print(f"  loaded in {took:.0f} s, summaries built in {summarised:.0f} s", flush=True)
    return url


def sessions(app: Any) -> dict[str, Any]:
    """A signed-in console client per role (a server-side session row, as the sign-in form makes)."""
    from bridgefund.models import ApiToken, User
    from bridgefund.services.auth import token_hash

    cfg = app.extensions["bridgefund.auth"]
    out = {}
    with app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
        now = dt.datetime.now(dt.UTC)
        for role, bank in ROLES:
            user = User(username=f"bench-{role}-{secrets.token_hex(3)}", password_hash="x", role=role, bank_id=bank,
                        active=True)
            s.add(user)
            s.flush()
            tok = secrets.token_urlsafe(24)
            s.add(ApiToken(user_id=user.id, token_hash=token_hash(cfg, tok), created_at=now,
                           expires_at=now + dt.timedelta(hours=2)))
            client = app.test_client()
            with client.session_transaction() as cookie:
                cookie["sid"] = tok
            out[role] = client
            out[f"{role} bearer"] = {"Authorization": f"Bearer {tok}"}
    return out


def pages(c: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(label, url, client) for every page timed; ids are taken from the lists themselves. The ``API …`` rows are
    the JSON requests behind the same pages, timed in the same run as a reference for a loaded machine."""
    manager, officer = c["fund_manager"], c["bank_officer"]
    html = manager.get("/bridge-loans").get_data(as_text=True)
    loan_id = int(re.search(r'href="/bridge-loans/(\d+)"', html).group(1))
    next_page = re.search(r'href="(/bridge-loans\?after_id=\d+)" rel="next"', html).group(1)
    pool_html = manager.get("/pool-loans").get_data(as_text=True)
    pool_id = int(re.search(r'href="/pool-loans/(\d+)"', pool_html).group(1))
    return [
        ("home (officer)", "/", officer),
        ("home (manager: the work queue)", "/", manager),
        ("home (admin)", "/", c["admin"]),
        ("home (auditor)", "/", c["auditor"]),
        ("bridge list (staff)", "/bridge-loans", manager),
        ("bridge list (officer)", "/bridge-loans", officer),
        ("bridge list status=disbursed overdue", "/bridge-loans?status=disbursed&overdue=true", manager),
        ("bridge list next page (keyset)", next_page, manager),
        ("pool list (staff)", "/pool-loans", manager),
        ("pool list (officer)", "/pool-loans", officer),
        ("bridge loan detail", f"/bridge-loans/{loan_id}", manager),
        ("pool loan detail", f"/pool-loans/{pool_id}", manager),
        ("dashboard", "/dashboard", manager),
        ("dashboard as_of=2018-06-30", "/dashboard?as_of=2018-06-30", manager),
        ("audit log", "/audit", c["auditor"]),
        ("audit log (one loan)", f"/audit?entity_type=bridge_loan&entity_id={loan_id}", c["auditor"]),
        ("API /me (the floor)", "/api/v1/me", (manager, c["fund_manager bearer"])),
        ("API /bridge-loans page_size=25", "/api/v1/bridge-loans?page_size=25", (manager, c["fund_manager bearer"])),
        ("API /bridge-loans/{id}", f"/api/v1/bridge-loans/{loan_id}", (manager, c["fund_manager bearer"])),
        ("API /fund", "/api/v1/fund", (manager, c["fund_manager bearer"])),
        ("API /pool", "/api/v1/pool", (manager, c["fund_manager bearer"])),
    ]


#: The baseline's rows (bench/bare_app.py), timed in the same rounds as the pages.
BARE_PAGE, BARE_HELLO = "bare Flask + SQLAlchemy: 25 rows as HTML", "bare Flask: /hello"


def _bare_client(url: str) -> Any:
    """The bare app on the same database, its table holding 25 rows for ``GET /page``."""
    from bench import bare_app

    bare_app.create_table(url)
    client = bare_app.create_app(url).test_client()
    eng = create_engine(url)
    with eng.connect() as c:
        have = c.execute(text("SELECT count(*) FROM bench_bare_rows")).scalar() or 0
    eng.dispose()
    for i in range(have, 25):
        assert client.post("/insert", json={"n": i, "note": f"第 {i} 行"}).status_code == 201
    return client


def measure(url: str, reps: int) -> dict[str, tuple[float, float]]:
    from bridgefund import create_app

    app = create_app({"database_url": url, "secret_key": harness.SECRET, "today": "2020-12-31",
                      "log_level": "WARNING"})
    bare = _bare_client(url)
    cases = [*pages(sessions(app)), (BARE_PAGE, "/page", bare), (BARE_HELLO, "/hello", bare)]
    times: dict[str, list[float]] = {label: [] for label, _u, _c in cases}
    slow: set[str] = set()
    for i in range(reps + 1):  # round 0 warms caches
        for label, u, client in cases:
            if label in slow:
                continue
            client, headers = client if isinstance(client, tuple) else (client, {})
            t = time.perf_counter()
            r = client.get(u, headers=headers)
            took = time.perf_counter() - t
            assert r.status_code == 200, (u, r.status_code, r.get_data(as_text=True)[:300])
            if i:
                times[label].append(took)
            if took > 2 and i >= 2:  # slow: a few runs tell enough
                slow.add(label)
    out = {label: (pct(ts, 50), pct(ts, 95)) for label, ts in times.items()}
    floor = out[BARE_PAGE][0]
    for label, (p50, p95) in out.items():
        print(f"  {label:<40} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms   {p50 / floor:5.1f} / {p95 / floor:5.1f} × bare "
              "page", flush=True)
    app.extensions["bridgefund.db"].engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="keep an already loaded bench_console_<n> database")
    ap.add_argument("--db-prefix", default="bench_console",
                    help="scratch databases are named <prefix>_<n> (e.g. bench_console_mine, so as not to share)")
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    load_scale._loopback(args.admin_url)
    results = {}
    for n in args.sizes:
        url = prepare(args.admin_url, n, args.reuse, args.db_prefix)
        print(f"\n{n:,} bridge loans, {n:,} pool loans, {10 * n:,} installments:", flush=True)
        results[n] = measure(url, args.reps)
    sizes = sorted(results)
    print("\np95 (ms) by size" + "".join(f"{n:>12,}" for n in sizes) + "   ≤50 ms at largest   × bare page p50")
    for label in results[sizes[-1]]:
        row = [results[n].get(label, (float("nan"),) * 2)[1] for n in sizes]
        times_bare = row[-1] / results[sizes[-1]][BARE_PAGE][0]
        print(f"  {label[:40]:<40}" + "".join(f"{v:12.1f}" for v in row) + ("   yes" if row[-1] <= 50 else "   NO ")
              + f"{times_bare:21.1f}")


if __name__ == "__main__":
    main()
