"""Month snapshots (``models.MonthSnapshot``): a closed month's report data stored once, read ever after.

The data is stored as canonical JSON with typed values, so that decoding gives back *exactly* what was computed:

* ``Decimal`` → a JSON number spelt ``str(value)`` (``str`` keeps the exponent: ``0.05000000`` stays
  ``0.05000000``; read back with ``parse_float=Decimal``), or ``{"$dec": str(value)}`` when that has no point
  and no exponent (it would read back as an int);
* ``datetime`` → ``{"$datetime": isoformat}``, ``date`` → ``{"$date": isoformat}``;
* ``str``, ``int``, ``bool``, ``None``, lists and dicts with ``str`` keys as themselves (a ``str`` subclass — an
  enum member — is stored as its plain ``str`` value; a tuple as a list);
* anything else (a float, an ORM object) is refused with ``TypeError``: a snapshot never guesses.

This module only stores and reads rows; ``services.report_data`` computes what goes in them and decides when a
stored row answers instead of the books.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridgefund.models import MonthSnapshot, SnapshotKind

#: A Decimal written as a JSON number: marked in the encoded structure, unquoted in the text (a NUL never occurs
#: in stored text: PostgreSQL's text cannot hold one).
_NUMBER = "\x00D"
_NUMBER_RE = re.compile(r'"\\u0000D([-+0-9.Ee]+)"')


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"a snapshot cannot hold {value!r}")
        text = str(value)
        # With a point or an exponent it reads back (parse_float=Decimal) as this very Decimal; "5" would read
        # back as an int, so an integral-looking Decimal is tagged.
        return _NUMBER + text if ("." in text or "E" in text) else {"$dec": text}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, str):
        if value.startswith("\x00"):
            raise TypeError("a snapshot's strings do not start with NUL")
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            if type(key) is not str or key.startswith(("$", "\x00")):
                raise TypeError(f"a snapshot's keys are plain strings not starting with $: {key!r}")
            out[key] = _encode(v)
        return out
    raise TypeError(f"a snapshot cannot hold {type(value).__name__}: {value!r}")


_TAGS = {"$dec": Decimal, "$date": dt.date.fromisoformat, "$datetime": dt.datetime.fromisoformat}


def _tagged(obj: dict[str, Any]) -> Any:
    """``json.loads``' object hook: a one-key tagged object is its value; any other object is itself."""
    if len(obj) == 1:
        (tag, text), = obj.items()
        convert = _TAGS.get(tag)
        if convert is not None:
            return convert(text)
    return obj


def encode(data: Any) -> str:
    """``data`` as the canonical JSON text a snapshot stores (key order kept: it is the order computed)."""
    return _NUMBER_RE.sub(r"\1", json.dumps(_encode(data), ensure_ascii=False, separators=(",", ":")))


def decode(text: str) -> Any:
    """The data a snapshot's JSON text holds, with its Decimals, dates and datetimes (the JSON parser builds
    them: a number with a point or an exponent is a Decimal — a snapshot holds no float —, a tagged object a date)."""
    return json.loads(text, parse_float=Decimal, object_hook=_tagged)


def store(session: Session, period: str, kind: SnapshotKind, data: Any, bank_id: int | None = None) -> MonthSnapshot:
    """Add one snapshot row (flushed by the caller's transaction)."""
    text = encode(data)
    row = MonthSnapshot(period=period, kind=kind.value, bank_id=bank_id, data=text,
                        sha256=hashlib.sha256(text.encode()).hexdigest())
    session.add(row)
    return row


def stored(session: Session, period: str, kind: SnapshotKind, bank_id: int | None = None) -> Any | None:
    """The decoded data of ``period``'s snapshot of ``kind`` (and bank), or None when there is none."""
    stmt = select(MonthSnapshot.data).where(MonthSnapshot.period == period, MonthSnapshot.kind == kind.value)
    stmt = stmt.where(MonthSnapshot.bank_id.is_(None) if bank_id is None else MonthSnapshot.bank_id == bank_id)
    text = session.scalar(stmt)
    return None if text is None else decode(text)


def has_snapshot(session: Session, period: str) -> bool:
    """Whether ``period``'s monthly snapshot exists (written by its close, or backfilled)."""
    return session.scalar(select(MonthSnapshot.id).where(
        MonthSnapshot.period == period, MonthSnapshot.kind == SnapshotKind.monthly.value).limit(1)) is not None


def fingerprints(session: Session, period: str) -> dict[str, str]:
    """``{"monthly": sha256, "settings": …, "bank_statement:<bank id>": …}`` of ``period``'s rows (for the audit)."""
    rows = session.execute(select(MonthSnapshot.kind, MonthSnapshot.bank_id, MonthSnapshot.sha256)
                           .where(MonthSnapshot.period == period).order_by(MonthSnapshot.kind, MonthSnapshot.bank_id))
    return {kind if bank_id is None else f"{kind}:{bank_id}": sha for kind, bank_id, sha in rows}


def settings_closing(session: Session, period: str) -> Any | None:
    """The pool settings recorded by the close that closed ``period``: those of the first month from ``period`` on
    with a settings row (a close records them for the month it names; None: ``period`` is not closed, or was
    closed before snapshots existed)."""
    text = session.scalar(select(MonthSnapshot.data).where(
        MonthSnapshot.kind == SnapshotKind.settings.value, MonthSnapshot.period >= period)
        .order_by(MonthSnapshot.period).limit(1))
    return None if text is None else decode(text)
