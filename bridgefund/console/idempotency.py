"""Double clicks and resubmits never act twice: every console form that changes something carries a one-time key.

The key is drawn when the form (or its confirmation) is rendered. The first POST with it claims the key in the
request's own transaction — the same ``idempotency_records`` row the API's ``Idempotency-Key`` uses — and stores the
answer (a redirect to what was made) with the work; a second POST with the same key replays that redirect and
changes nothing. A refused request rolls back with its claim, so correcting the form and sending again works.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

from flask import Response, g, redirect, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bridgefund.errors import Conflict, RuleViolation
from bridgefund.models import IdempotencyRecord
from bridgefund.services.actor import Actor

FIELD = "idempotency_key"
TTL = dt.timedelta(hours=24)
_NOT_HASHED = {"csrf_token", FIELD}


def new_key() -> str:
    return "console-" + secrets.token_urlsafe(18)


def _digest() -> str:
    items = sorted((k, v) for k, v in request.form.items(multi=True) if k not in _NOT_HASHED)
    body = json.dumps(items, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(b"\0".join([request.method.encode(), request.path.encode(), body])).hexdigest()


def _find(session: Session, actor: Actor, key: str) -> IdempotencyRecord | None:
    rec = session.scalars(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == actor.id, IdempotencyRecord.key == key)).one_or_none()
    if rec is not None and rec.created_at + TTL <= g.started:
        session.delete(rec)
        session.flush()
        return None
    return rec


def _replay(rec: IdempotencyRecord, digest: str) -> Response:
    if rec.request_hash != digest:
        raise RuleViolation.on(FIELD, "this form was already sent with other values; reload the page")
    if rec.response_status is None:
        raise Conflict("this form is still being processed")
    location = json.loads(rec.response_headers or "{}").get("Location", "/")
    resp = redirect(location, 303)
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def begin(session: Session, actor: Actor) -> Response | None:
    """Replay the answer of an earlier POST with this form's key, or claim the key for this one."""
    key = (request.form.get(FIELD) or "").strip()
    if not key or len(key) > 128:
        raise RuleViolation.on(FIELD, "the form lacks its one-time key; reload the page")
    digest = _digest()
    rec = _find(session, actor, key)
    if rec is not None:
        return _replay(rec, digest)
    rec = IdempotencyRecord(user_id=actor.id, key=key, request_hash=digest, created_at=g.started)
    session.add(rec)
    try:
        session.flush()
    except IntegrityError:  # the same key, claimed meanwhile by a request that has finished
        session.rollback()
        rec = _find(session, actor, key)
        if rec is None:
            raise Conflict("this form is still being processed") from None
        return _replay(rec, digest)
    g.console_idempotency = rec
    return None


def done(location: str) -> Response:
    """Answer the claimed POST with a redirect to ``location`` and store that answer with the work."""
    rec: IdempotencyRecord | None = g.pop("console_idempotency", None)
    if rec is not None:
        rec.response_status = 303
        rec.response_body = ""
        rec.response_headers = json.dumps({"Location": location})
    return redirect(location, 303)
