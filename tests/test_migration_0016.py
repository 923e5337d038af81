"""Migration 0016 on a database that already holds references: the counters it fills from the stored references are
those the services keep (the demo's bridge loans, pool loans and claims), and numbering goes on after them."""

from __future__ import annotations

from sqlalchemy import text

from bridgefund import create_app
from bridgefund.db import make_engine
from bridgefund.demo import load_demo
from bridgefund.migrate import downgrade, upgrade
from bridgefund.services import references


def _counters(url: str) -> dict[tuple[str, int], int]:
    eng = make_engine(url)
    with eng.connect() as conn:
        out = {(s, y): n for s, y, n in conn.execute(text("SELECT series, year, last_no FROM reference_counters"))}
    eng.dispose()
    return out


def test_0016_fills_the_counters_the_services_keep(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    upgrade(url)
    app = create_app({"database_url": url, "secret_key": "t", "today": "2020-06-30", "instance_dir": str(tmp_path),
                      "argon2_time_cost": 1, "argon2_memory_cost": 1024})
    load_demo(app, echo=lambda *_: None)
    app.extensions["bridgefund.db"].engine.dispose()
    kept = _counters(url)
    assert {s for s, _ in kept} == {"BL", "PL", "CL"} and all(n > 0 for n in kept.values())
    downgrade(url, "0011_pool_money")
    upgrade(url)
    assert _counters(url) == kept
    with app.extensions["bridgefund.db"].sessionmaker() as s, s.begin():
        (series, year), last = next(iter(sorted(kept.items())))
        assert references.next_number(s, series, year) == last + 1
        s.rollback()
    app.extensions["bridgefund.db"].engine.dispose()
