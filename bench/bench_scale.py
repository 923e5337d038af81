"""List and ``as_of`` latency at scale, and how it grows: 10⁴, 10⁵, 10⁶ bridge loans (and as many pool loans with
ten installments each), loaded by ``bench/load_scale.py``.

    .venv/bin/python bench/bench_scale.py                                  # 10⁴ and 10⁵ (loads them), then 10⁶
    .venv/bin/python bench/bench_scale.py --sizes 10000 100000 --reuse      # reuse loaded scratch databases

For every size it (re)creates ``bench_scale_<n>`` on the loopback server (``--reuse``: keep one that is already
loaded), adds a token per role, and times — in-process through the Flask test client, so the figures are the
server's own work (routing, auth, validation, SQL, serialisation) without HTTP — each request ``--reps`` times:

* every JSON list endpoint at page 1 and at a deep page (the middle of the list), as staff and, for the
  bank-scoped lists, as one bank's officer; the deep page both by ``page`` (OFFSET) and, on the lists that take
  it, by keyset (``after_id`` = the id just above the middle, the same rows without the OFFSET);
* ``GET /fund?as_of=`` and ``GET /pool?as_of=`` at the end of the data and at a date in the middle.

It prints p50/p95 per request and size, the goal check (p95 ≤ 50 ms at 10⁶) and the growth factor from size to
size (logarithmic growth is ~1.2× per decade for an index lookup; linear is 10×).
"""

from __future__ import annotations

import argparse
import datetime as dt
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import load_scale  # noqa: E402
from tests.crash import harness  # noqa: E402

AS_OF = ["2020-12-31", "2018-06-30"]


def prepare(admin_url: str, n: int, reuse: bool) -> str:
    name = f"bench_scale_{n}"
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


def tokens(app: Any) -> dict[str, dict[str, str]]:
    from bridgefund.models import ApiToken, User
    from bridgefund.services.auth import token_hash

    cfg = app.extensions["bridgefund.auth"]
    out = {}
    with app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
        now = dt.datetime.now(dt.UTC)
        for role, bank in (("admin", None), ("auditor", None), ("bank_officer", 1)):
            user = User(username=f"bench-{role}-{secrets.token_hex(3)}", password_hash="x", role=role, bank_id=bank,
                        active=True)
            s.add(user)
            s.flush()
            tok = secrets.token_urlsafe(24)
            s.add(ApiToken(user_id=user.id, token_hash=token_hash(cfg, tok), created_at=now,
                           expires_at=now + dt.timedelta(hours=2)))
            out[role] = {"Authorization": f"Bearer {tok}"}
    return out


def requests_for(app: Any, client: Any, h: dict[str, dict[str, str]],
                 only: list[str] | None = None) -> list[tuple[str, str, dict[str, str]]]:
    """(label, url, headers): every JSON list at page 1 and a deep page (by page and by keyset), the as_of figures.

    ``only``: the lists whose path ends with one of these (``bridge-loans``, ``pool-loans``), and no figures."""
    lists = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if only and not any(rule.rule.endswith("/" + o) for o in only):
            continue
        if (rule.rule.startswith("/api/v1") and "GET" in (rule.methods or ()) and "<" not in rule.rule
                and getattr(view, "_apidoc", {}).get("arguments")):
            r = client.get(rule.rule + "?page_size=1", headers=h["admin"])
            if r.status_code == 200 and isinstance(r.get_json(), dict) and "total" in r.get_json():
                lists.append(rule.rule)
    out = []
    for url in sorted(lists):
        for who in ("admin", "bank_officer"):
            if who == "bank_officer" and url.rsplit("/", 1)[-1] not in ("bridge-loans", "pool-loans", "claims"):
                continue
            first = client.get(url + "?page_size=1&total=exact", headers=h[who]).get_json()
            deep = max(1, first["total"] // 50 // 2)
            label = url.removeprefix("/api/v1") + (" (officer)" if who == "bank_officer" else "")
            out.append((f"{label} page 1", f"{url}?page_size=50", h[who]))
            if deep > 1:
                out.append((f"{label} deep page (middle)", f"{url}?page_size=50&page={deep}", h[who]))
                if "next_after_id" in first:  # the same page by keyset: after the last row of the page before
                    above = client.get(f"{url}?page_size=50&page={deep - 1}", headers=h[who]).get_json()
                    after_id = above["items"][-1]["id"]
                    by_page = client.get(f"{url}?page_size=50&page={deep}", headers=h[who]).get_json()["items"]
                    by_key = client.get(f"{url}?page_size=50&after_id={after_id}", headers=h[who]).get_json()["items"]
                    assert [i["id"] for i in by_key] == [i["id"] for i in by_page], f"{label}: keyset ≠ page"
                    out.append((f"{label} deep keyset (middle)", f"{url}?page_size=50&after_id={after_id}", h[who]))
    for d in AS_OF if not only else ():
        out.append((f"/fund?as_of={d}", f"/api/v1/fund?as_of={d}", h["auditor"]))
        out.append((f"/pool?as_of={d}", f"/api/v1/pool?as_of={d}", h["auditor"]))
    return out


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def measure(url: str, reps: int, only: list[str] | None = None) -> dict[str, tuple[float, float]]:
    from bridgefund import create_app

    app = create_app({"database_url": url, "secret_key": harness.SECRET, "today": "2020-12-31",
                      "log_level": "WARNING"})
    client = app.test_client()
    h = tokens(app)
    out = {}
    for label, u, headers in requests_for(app, client, h, only):
        times = []
        for i in range(reps + 1):
            t = time.perf_counter()
            r = client.get(u, headers=headers)
            took = time.perf_counter() - t
            assert r.status_code == 200, (u, r.status_code, r.get_data(as_text=True)[:300])
            if i:  # the first call warms caches
                times.append(took)
            if took > 2 and i >= 2:  # slow: a few runs tell enough
                break
        out[label] = (pct(times, 50), pct(times, 95))
        print(f"  {label:<48} p50 {out[label][0]:8.1f} ms   p95 {out[label][1]:8.1f} ms", flush=True)
    app.extensions["bridgefund.db"].engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="keep an already loaded bench_scale_<n> database")
    ap.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--database", help="measure this already loaded database (load_scale.py --database) as it is: "
                                       "no load, no migration, no summaries (one size: --sizes N names its size)")
    ap.add_argument("--only", nargs="+", metavar="LIST",
                    help="only these lists (e.g. bridge-loans pool-loans), without the as_of figures")
    args = ap.parse_args()
    load_scale._loopback(args.admin_url)
    results = {}
    for n in args.sizes:
        if args.database:
            url = args.admin_url.rsplit("/", 1)[0] + "/" + args.database
        else:
            url = prepare(args.admin_url, n, args.reuse)
        print(f"\n{n:,} bridge loans, {n:,} pool loans, {10 * n:,} installments:", flush=True)
        results[n] = measure(url, args.reps, args.only)
    sizes = sorted(results)
    print("\np95 (ms) by size" + "".join(f"{n:>12,}" for n in sizes) + "   growth/decade  ≤50 ms at largest")
    labels = list(results[sizes[-1]])
    for label in labels:
        row = [results[n].get(label, (float("nan"),) * 2)[1] for n in sizes]
        decades = [b / a for a, b in zip(row, row[1:], strict=False) if a == a and b == b and a > 0]
        growth = " ".join(f"{g:4.1f}×" for g in decades)
        ok = "yes" if row[-1] <= 50 else "NO"
        print(f"  {label[:44]:<44}" + "".join(f"{v:12.1f}" for v in row) + f"   {growth:<14} {ok}")


if __name__ == "__main__":
    main()
