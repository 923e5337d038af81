"""The unit of work: the sessions of the app, and what runs at their flushes and around their commit.

Every session of the app comes from :func:`sessionmaker` (``Database.sessionmaker``, which the request boundary,
the CLI and the demo use). The hooks below are registered on that factory — never on SQLAlchemy's global
``Session`` class — so they run for every session the app makes, whatever modules were imported, and for no
other session:

* **each flush** (``before_flush``) — :func:`bridgefund.figures.capture.on_flush`: what the flush changes in the
  summaries (each touched loan's contribution before the change);
* **before the commit** — :func:`bridgefund.figures.apply.on_commit`: the captured changes join the summary rows,
  as the transaction's last statements;
* **after the commit** — the actions registered with :func:`after_commit` (an archived report's file), once the
  data is durable;
* **a rollback** drops what was captured and the pending after-commit actions.

A bare ``Session(engine)`` has none of this: use it only to read (checks, benchmarks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, orm
from sqlalchemy.orm import Session, SessionTransaction

from bridgefund.figures import apply, capture

log = logging.getLogger(__name__)

_AFTER_COMMIT = "bridgefund.after_commit"
_REPLICA = "bridgefund.replica"


def sessionmaker(bind: Any, *, replica: orm.sessionmaker[Session] | None = None,
                 **kwargs: Any) -> orm.sessionmaker[Session]:
    """A session factory bound to ``bind`` (an engine, or a test's connection) with the unit-of-work hooks; its
    sessions carry ``replica`` (the read replica's read-only session factory, if any: :func:`replica_of`).

    ``sessionmaker`` makes its own ``Session`` subclass, so the listeners belong to this factory alone."""
    if replica is not None:
        kwargs["info"] = {**kwargs.get("info", {}), _REPLICA: replica}
    factory: orm.sessionmaker[Session] = orm.sessionmaker(bind=bind, expire_on_commit=False, **kwargs)
    event.listen(factory, "before_flush", capture.on_flush)
    event.listen(factory, "after_soft_rollback", capture.forget)
    event.listen(factory, "before_commit", apply.on_commit)
    event.listen(factory, "after_commit", _run_after_commit)
    event.listen(factory, "after_transaction_end", _drop_after_rollback)
    return factory


def replica_of(session: Session) -> orm.sessionmaker[Session] | None:
    """The read replica's session factory of the app ``session`` belongs to, or None (no replica configured)."""
    return session.info.get(_REPLICA)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction has committed; drop it on rollback.

    Callbacks run after the data is durable, so they must not touch the database; an exception in one is
    logged, not raised (the commit has happened: the request's answer must not claim otherwise).
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT, []):
        try:
            callback()
        except Exception:
            log.exception("an after-commit action failed (the database change is committed)")


def _drop_after_rollback(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended without a commit: forget its actions
        session.info.pop(_AFTER_COMMIT, None)
