"""Apply: a transaction's captured changes join the summary rows at its commit.

After the last flush, each captured loan's contribution is read again ("after"); ``after − before``
(``finance.profiles.difference``) joins the pending deltas, which are added to the day rows by one executemany
upsert per table, **in a fixed order**, as the transaction's last statements — so the row locks are held only
for the commit. A change of ``claim_after_days_overdue`` rebuilds the pool summary instead.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bridgefund.figures.capture import pending, take
from bridgefund.figures.rebuild import rebuild
from bridgefund.figures.store import POOL, upsert_fund, upsert_pool


def on_commit(session: Session) -> None:
    """``before_commit``: add this transaction's changes to the summary rows (its last statements)."""
    settle(session)


def settle(session: Session) -> None:
    """Add what this transaction captured so far to the summary rows now, without committing: the rows then hold
    the transaction's changes (rolled back with it), and the capture starts again empty. A long transaction of many
    operations (the demo story, one transaction) calls it between operations so that each read adds only the
    operations since, not all of them again: the summary rows end the same as if each operation had committed."""
    session.flush()  # the commit would flush after this hook: capture the last changes now (a no-op when clean)
    tx = take(session)
    if not tx:
        return
    fund, pool = pending(session, tx)
    conn = session.connection()
    upsert_fund(conn, fund)
    if tx.rebuild_pool:
        rebuild(session, [POOL])
    else:
        upsert_pool(conn, pool)
