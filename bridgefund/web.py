"""What every request gets, once, in one place.

- an ``X-Request-ID`` (accepted from the client when sane, else generated), echoed and logged;
- bearer-token authentication and the role check of the service operation the view performs (declared once, on
  the service function: ``bridgefund.authority``), both before the body is parsed;
- one database session per request, committed once by the boundary when the answer is a success and
  rolled back otherwise (views never commit);
- ``Idempotency-Key`` handling for POSTs (first 2xx answer stored per user for 24 h, in the same
  transaction as the work it answers for);
- RFC 9457 problem+json for every error, and security headers.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from bridgefund import authority
from bridgefund.db import Database, utcnow
from bridgefund.errors import (
    PROBLEM_BASE,
    Conflict,
    DomainError,
    Forbidden,
    HeadersTooLarge,
    NotAuthenticated,
    NotFound,
    PayloadTooLarge,
    RuleViolation,
    TooManyRequests,
    UnsupportedMediaType,
    UriTooLong,
)
from bridgefund.models import ApiToken, IdempotencyRecord
from bridgefund.services import auth
from bridgefund.services.actor import Actor

log = logging.getLogger("bridgefund")

#: An access rule in words (``authority.Permission.rule``): ``("public",)``, ``("any",)`` or the roles' names.
PUBLIC = authority.PUBLIC
ANY = authority.SIGNED_IN
IDEMPOTENCY_TTL = dt.timedelta(hours=24)
#: Ids are 32-bit columns; a larger id in a path is simply not found.
MAX_ID = 2**31 - 1
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: JSON bodies are read only up to this size (uploads: ``MAX_CONTENT_LENGTH``, 20 MiB).
MAX_JSON_BYTES = 1024 * 1024
#: Deepest nesting a JSON body may have (the deepest schema needs 3); deeper is a 400, never a RecursionError.
MAX_JSON_DEPTH = 32
#: Longest integer literal in a JSON body (ids and counts need 10 digits); longer is a 400.
MAX_INT_DIGITS = 40
#: The largest finite IEEE double: a number beyond it (1e400) would overflow a double-reading client; refused.
MAX_NUMBER = Decimal("1.7976931348623157e308")
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: The app's own limits on the request head, below gunicorn's (bridgefund/gunicorn_conf.py) so the app answers.
MAX_URL_BYTES = 4096
MAX_HEADER_BYTES = 8190
MAX_HEADER_FIELDS = 64


#: The permission of a view that performs no service operation (``/healthz``): anyone, without a token.
_OPEN = authority.Permission("public", frozenset(), authority.PUBLIC)


def access(operation: Callable[..., Any] | authority.Audience) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Name the service operation a view performs, e.g. ``access(bridge_loans.approve)``.

    The operation's declared permission is the view's access rule: the boundary refuses a role outside it (403) or
    a missing token (401) before the body is read, and the OpenAPI document states it (``x-roles``). Nothing here
    restates who may do what. ``access(PUBLIC)`` only for a view that calls no service at all (``/healthz``). An
    operation that declares no permission fails here, at import.
    """
    if operation is not PUBLIC:
        authority.permission_of(operation)  # type: ignore[arg-type]

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn._bf_operation = operation  # type: ignore[attr-defined]
        return fn

    return decorate


def view_permission(view: Callable[..., Any] | None) -> authority.Permission | None:
    """The permission of the service operation a view performs (None: the view names none, and serves nobody)."""
    while view is not None:
        operation = getattr(view, "_bf_operation", None)
        if operation is not None:
            return _OPEN if operation is PUBLIC else authority.permission_of(operation)
        view = getattr(view, "__wrapped__", None)
    return None


def access_rule(view: Callable[..., Any] | None) -> tuple[str, ...] | None:
    """A view's access rule in words, from its operation's permission: ``("public",)``, ``("any",)`` or roles."""
    permission = view_permission(view)
    return None if permission is None else permission.rule


def check_role() -> None:
    """The role check of this request's operation, asked again of the authority before a view looks a record up.

    The boundary has asked it already; a view that answers 404 for another bank's record before its body is read
    asks first, so that a role outside the permission is a 403 whatever record it names (never a 404 that tells
    the record exists or not), even where the boundary's rule is not in front of it.
    """
    permission = view_permission(current_app.view_functions[request.endpoint])
    if permission is not None:
        authority.check(actor(), permission)


def db() -> Database:
    return current_app.extensions["bridgefund.db"]


def session() -> Session:
    """This request's session (created on first use)."""
    if "db_session" not in g:
        g.db_session = db().sessionmaker()
    return g.db_session


def actor() -> Actor:
    a = g.get("actor")
    if a is None:
        raise NotAuthenticated("a bearer token is required")
    return a


def settings():  # noqa: ANN201 - bridgefund.config.Settings
    return current_app.config["BRIDGEFUND"]


def auth_config() -> auth.AuthConfig:
    return current_app.extensions["bridgefund.auth"]


def today() -> dt.date:
    """Today's business date in the fund's timezone (``BRIDGEFUND_TODAY`` pins it for demos)."""
    return settings().business_date()


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266 / RFC 8187): nothing of the
    name can break out of the header, and a browser never renders the file inline."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def archived_report_download(report: Any, chunks: Iterable[bytes]) -> Response:
    """An archived report's PDF as a streamed attachment (the API's and the console's download), named after its
    kind, month, language and version; ``chunks`` are checked against its SHA-256 as they are read."""
    name = f"{report.kind}-{report.period}-{report.lang}-v{report.version}.pdf"
    return Response(chunks, mimetype="application/pdf", direct_passthrough=True, headers={
        "Content-Disposition": content_disposition(name), "Content-Length": str(report.byte_size)})


def document_download(doc: Any, chunks: Iterable[bytes]) -> Response:
    """A stored document as a streamed attachment (the API's and the console's download): the type found at
    upload, a safe ``Content-Disposition``, its size and its SHA-256 as the ETag."""
    return Response(chunks, mimetype=doc.content_type, headers={
        "Content-Disposition": content_disposition(doc.filename), "Content-Length": str(doc.byte_size),
        "ETag": f'"{doc.sha256}"'}, direct_passthrough=True)


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    resp = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=body["status"], mimetype="application/problem+json"
    )
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _problem_from_domain(err: DomainError) -> Response:
    headers = {}
    if isinstance(err, TooManyRequests):
        headers["Retry-After"] = str(err.retry_after)
    if isinstance(err, NotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="bridgefund"'
    return problem_response(err.problem(), headers)


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs/marshmallow nested messages → ``{"maturing_loan.amount": [...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            key = "body" if key == "_schema" else str(key)
            path = f"{prefix}.{key}" if prefix else key
            for k, v in flatten_messages(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "body"] = list(messages)
        else:
            for m in messages:
                for k, v in flatten_messages(m, prefix).items():
                    out.setdefault(k, []).extend(v)
    else:
        out[prefix or "body"] = [str(messages)]
    return out


def http_exception_problem(err: HTTPException) -> Response:
    status = err.code or 500
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (err.name or "error").lower().replace(" ", "-"),
        "title": err.name,
        "status": status,
        "detail": err.description or err.name,
    }
    data = getattr(err, "data", None) or {}
    messages = data.get("messages")
    if messages:
        errors: dict[str, list[str]] = {}
        for location, msgs in messages.items():
            # Body fields are named plainly ("amount"); other locations keep theirs ("query.page").
            flat = flatten_messages(msgs)
            for k, v in flat.items():
                name = k if location in ("json", "form", "files") else f"{location}.{k}"
                errors.setdefault(name, []).extend(v)
        body["errors"] = errors
        if status == 422:
            body["detail"] = "the request has invalid fields: " + ", ".join(sorted(errors))
        elif status == 400:
            body["detail"] = "; ".join(m for v in errors.values() for m in v)
    headers = {}
    valid_methods = getattr(err, "valid_methods", None)
    if status == 405 and valid_methods:
        headers["Allow"] = ", ".join(valid_methods)
    return problem_response(body, headers)


def init_app(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_teardown)
    app.register_error_handler(DomainError, _problem_from_domain)
    app.register_error_handler(HTTPException, http_exception_problem)
    app.register_error_handler(Exception, _unexpected)


def _unexpected(err: Exception) -> Response:
    if isinstance(err, IntegrityError | OperationalError) and _is_conflict(err):
        return problem_response(Conflict("the change conflicts with a concurrent one; retry").problem())
    if isinstance(err, DBAPIError) and _is_data_error(err):
        return problem_response(RuleViolation("a value is out of the range the database accepts").problem())
    if current_app.config.get("TESTING"):
        raise err
    log.exception("unhandled error")
    return problem_response({
        "type": PROBLEM_BASE + "internal-error",
        "title": "Internal server error",
        "status": 500,
        "detail": f"an unexpected error occurred; quote request id {g.get('request_id')}",
    })


def _is_conflict(err: DBAPIError) -> bool:
    code = getattr(getattr(err, "orig", None), "sqlstate", None)
    if code in ("40001", "40P01", "23505"):
        return True
    return isinstance(err, IntegrityError) or "database is locked" in str(err)


def _is_data_error(err: DBAPIError) -> bool:
    code = getattr(getattr(err, "orig", None), "sqlstate", None) or ""
    return code.startswith("22")


def _before() -> Response | None:
    rid = request.headers.get("X-Request-ID", "")
    g.request_id = rid if _REQUEST_ID_RE.fullmatch(rid) else uuid.uuid4().hex
    g.started = utcnow()
    _check_head()
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None or not request.path.startswith("/api/v1"):
        return None
    if any(isinstance(v, int) and v > MAX_ID for v in (request.view_args or {}).values()):
        raise NotFound(f"{request.path} does not exist")  # beyond any id column: no row can match
    rule = access_rule(view)
    if rule is None:  # fail closed: an endpoint without a rule serves nobody
        raise Forbidden("this endpoint has no access rule")
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
        # The lookup opens the request's one transaction: the work below continues it (one connection checkout,
        # one BEGIN, one COMMIT per request), and a revoked or expired token is refused on its very next use.
        who = auth.authenticate(auth_config(), session(), token.strip(), now=g.started)
        g.api_token_id = who.token_id
        g.actor = Actor(id=who.user_id, username=who.username, role=who.role, bank_id=who.bank_id,
                        request_id=g.request_id, ip=request.remote_addr)
    json_body = request.method in _BODY_METHODS and _takes_json(request.endpoint, view)
    if PUBLIC in rule:
        if json_body:
            _check_json_body()
        return None
    a = actor()
    if ANY not in rule and a.role not in rule:
        raise Forbidden(f"role {a.role} may not call {request.method} {request.path}")
    if json_body:  # after authentication: an anonymous client gets 401 before its body is read
        _check_json_body()
    if request.method == "POST" and "Idempotency-Key" in request.headers:
        return _idempotency_begin(a)
    return None


def _check_head() -> None:
    """414/431 problems for oversized request heads (gunicorn, configured above these, would answer HTML)."""
    target = request.environ.get("RAW_URI") or request.full_path
    if len(target.encode("utf-8", "replace")) > MAX_URL_BYTES:
        raise UriTooLong(f"the request target may have at most {MAX_URL_BYTES} bytes")
    if len(request.headers) > MAX_HEADER_FIELDS:
        raise HeadersTooLarge(f"at most {MAX_HEADER_FIELDS} header fields are accepted")
    for name, value in request.headers.items():
        if len(name) + len(value) > MAX_HEADER_BYTES:
            raise HeadersTooLarge(f"the {name[:40]} header is longer than {MAX_HEADER_BYTES} bytes",
                                  {name[:40]: ["too long"]})


_json_views: dict[str, bool] = {}


def _takes_json(endpoint: str, view: Callable[..., Any]) -> bool:
    """Whether the view reads a JSON body (flask-smorest ``arguments(..., location="json")``)."""
    if endpoint not in _json_views:
        found = False
        while view is not None and not found:
            params = (getattr(view, "_apidoc", None) or {}).get("arguments", {}).get("parameters", [])
            found = any(p.get("in") == "json" for p in params)
            view = getattr(view, "__wrapped__", None)
        _json_views[endpoint] = found
    return _json_views[endpoint]


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer literal has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _parse_number(text: str) -> Decimal:
    """A JSON number with a fraction or exponent, read exactly (no binary float anywhere near a request); refused
    when it lies beyond what any JSON library reading it as a double could hold (it would turn into infinity)."""
    value = Decimal(text)
    if value.is_nan() or abs(value) > MAX_NUMBER:
        raise ValueError(f"the number {text[:20]}… is out of range")
    return value


def _parse_constant(text: str) -> Decimal:
    raise ValueError(f"{text} is not JSON")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose members are named once: another parser would read the first of two, Python the last."""
    doc: dict[str, Any] = {}
    for key, value in pairs:
        if key in doc:
            raise ValueError(f"the member {key[:40]!r} appears twice in one object")
        doc[key] = value
    return doc


def _check_json_body() -> None:
    """Refuse, before any parsing by the view, the JSON bodies that would otherwise fail badly.

    415 for another content type (a body that is not declared JSON); 413 above :data:`MAX_JSON_BYTES`; 400 for
    bodies that are not JSON, name a member twice in one object, nest deeper than :data:`MAX_JSON_DEPTH`, carry
    integer literals longer than :data:`MAX_INT_DIGITS` digits or numbers beyond a float; 422 naming the field for
    text that is not valid Unicode (lone surrogates cannot be stored). The bytes read are cached for the view's
    own parsing.
    """
    mimetype = request.mimetype
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if (mimetype and not _is_json(mimetype)) or (has_body and not mimetype):
        raise UnsupportedMediaType(
            f"this endpoint takes application/json, not {mimetype or 'a body without a Content-Type'}",
            {"Content-Type": ["must be application/json"]})
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"a JSON body may have at most {MAX_JSON_BYTES} bytes",
                              {"body": [f"larger than {MAX_JSON_BYTES} bytes"]})
    # A chunked body (no Content-Length) is read at most one byte past the limit: more than the limit is a 413.
    request.max_content_length = MAX_JSON_BYTES + 1
    data = request.get_data(cache=True)
    if len(data) > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"a JSON body may have at most {MAX_JSON_BYTES} bytes",
                              {"body": [f"larger than {MAX_JSON_BYTES} bytes"]})
    if not data:
        return
    try:
        doc = json.loads(data.decode("utf-8"), parse_int=_parse_int, parse_float=_parse_number,
                         parse_constant=_parse_constant, object_pairs_hook=_unique_members)
    except RecursionError:
        raise _bad_body(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise _bad_body(f"the body is not valid JSON: {exc.msg} (at character {exc.pos})") from None
    except UnicodeDecodeError:
        raise _bad_body("the body is not valid JSON: it is not UTF-8") from None
    except ValueError as exc:  # an integer or number out of range
        raise _bad_body(f"the body is not valid JSON: {str(exc)[:120]}") from None
    stack: list[tuple[Any, int, str]] = [(doc, 1, "")]
    while stack:
        node, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _bad_body(f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            for key, value in node.items():
                if not _valid_unicode(key):
                    raise RuleViolation.on(path or "body", "a member name is not valid Unicode text")
                stack.append((value, depth + 1, f"{path}.{key}" if path else key))
        elif isinstance(node, list):
            stack.extend((value, depth + 1, f"{path}.{i}" if path else str(i)) for i, value in enumerate(node))
        elif isinstance(node, str) and not _valid_unicode(node):
            raise RuleViolation.on(path or "body", "Must not contain lone surrogates (not valid Unicode text).")


def _valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad_body(detail: str) -> DomainError:
    return DomainError(detail, {"body": [detail]})


def current_api_token() -> ApiToken:
    return session().get(ApiToken, g.api_token_id)


def _idempotency_begin(a: Actor) -> Response | None:
    """Replay a stored answer, or claim the key inside this request's own transaction.

    The claim (a record without a response yet) is written in the same transaction as the work and its stored
    answer, so it commits with them or not at all: a crash, a lost database connection or a failed commit
    never leaves a claimed key behind, and a retry with the same key either replays the committed answer or
    does the work now, exactly once. A second request with the same key while the first is running waits on
    the key's unique index, then replays the first answer (or gets 409 if the first did not succeed).
    """
    key = request.headers["Idempotency-Key"]
    if not key or len(key) > 128:
        raise RuleViolation.on("Idempotency-Key", "must be 1 to 128 characters")
    digest = hashlib.sha256(
        b"\0".join([request.method.encode(), request.full_path.encode(), _body_fingerprint()])
    ).hexdigest()
    s = session()
    replay = _stored_answer(s, a, key, digest)
    if replay is not None:
        return replay
    s.add(IdempotencyRecord(user_id=a.id, key=key, request_hash=digest, created_at=g.started))
    try:
        s.flush()
    except IntegrityError as exc:  # the same key, claimed by a request that has finished meanwhile
        s.rollback()
        replay = _stored_answer(s, a, key, digest)
        if replay is not None:
            return replay
        raise Conflict("a request with this Idempotency-Key is still being processed") from exc
    g.idempotency_key = key
    return None


def _body_fingerprint() -> bytes:
    """What the body says, for comparing two requests: a JSON body's members (in any order, any white space), the
    raw bytes of any other body, except for a multipart form, whose
    boundary every client draws at random per request — there, its fields and files (name, filename, a hash
    of the content), so that a retried upload (``POST /pool-loans/import``) is recognised as the same."""
    if _is_json(request.mimetype or ""):
        data = request.get_data(cache=True)
        try:  # the same members in another order, or other white space, are the same request
            doc = json.loads(data.decode("utf-8"))
        except ValueError:
            return data
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "replace")
    if request.mimetype != "multipart/form-data":
        return request.get_data(cache=True)
    # (a malformed part may come without a name: werkzeug then keys it None, so sort on the printed form)
    parts = [f"{k}={v}".encode("utf-8", "replace") for k, v in
             sorted(request.form.items(multi=True), key=lambda item: (str(item[0]), str(item[1])))]
    for name, upload in sorted(request.files.items(multi=True),
                               key=lambda item: (str(item[0]), str(item[1].filename))):
        content = hashlib.sha256()
        for chunk in iter(functools.partial(upload.stream.read, 1 << 20), b""):
            content.update(chunk)
        upload.stream.seek(0)
        parts.append(f"{name}:{upload.filename}:{content.hexdigest()}".encode("utf-8", "replace"))
    return b"\0".join([b"multipart", *parts])


def _stored_answer(s: Session, a: Actor, key: str, digest: str) -> Response | None:
    """The stored first answer for ``key`` (None if there is none or it has expired)."""
    rec = s.scalars(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == a.id, IdempotencyRecord.key == key)
    ).one_or_none()
    if rec is not None and rec.created_at + IDEMPOTENCY_TTL <= g.started:
        s.delete(rec)
        s.flush()
        rec = None
    if rec is None:
        return None
    if rec.request_hash != digest:
        raise RuleViolation.on("Idempotency-Key", "this key was already used with a different request")
    if rec.response_status is None:  # claimed and committed without an answer (only by older versions)
        raise Conflict("a request with this Idempotency-Key is still being processed")
    resp = current_app.response_class(rec.response_body, status=rec.response_status)
    for k, v in json.loads(rec.response_headers or "{}").items():
        resp.headers[k] = v
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def _idempotency_release() -> None:
    """Forget this request's claim: it lived in the request's transaction, which is rolled back."""
    g.pop("idempotency_key", None)


def _after(resp: Response) -> Response:
    s: Session | None = g.get("db_session")
    ok = resp.status_code < 400
    if s is not None:
        if ok:
            key = g.get("idempotency_key")
            if key is not None:
                rec = s.scalars(select(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == g.actor.id, IdempotencyRecord.key == key)).one()
                if 200 <= resp.status_code < 300:
                    rec.response_status = resp.status_code
                    rec.response_body = resp.get_data(as_text=True)
                    rec.response_headers = json.dumps(
                        {k: v for k, v in resp.headers.items() if k in ("Content-Type", "Location")})
                else:  # only successes are stored
                    s.delete(rec)
            try:
                s.commit()
                g.pop("idempotency_key", None)
            except Exception as exc:  # the work did not happen: answer so, never 2xx
                s.rollback()
                _idempotency_release()
                if isinstance(exc, DBAPIError) and _is_conflict(exc):
                    resp = problem_response(Conflict("the change conflicts with a concurrent one; retry").problem())
                else:
                    log.exception("commit failed")
                    if current_app.config.get("TESTING"):
                        raise
                    resp = problem_response({"type": PROBLEM_BASE + "internal-error", "title": "Internal server error",
                                             "status": 500, "detail": "the change could not be saved"})
        else:
            s.rollback()
    if not ok or s is None:
        _idempotency_release()
    resp.headers["X-Request-ID"] = g.get("request_id", "")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    resp.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith("/api/v1") or request.path == "/healthz":
        resp.headers.setdefault("Cache-Control", "no-store")
        resp.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    if resp.mimetype == "application/json" and "charset" not in resp.content_type:
        resp.content_type = "application/json; charset=utf-8"
    log.info(_request_line(resp), extra={"request_id": g.get("request_id")})
    return resp


def _request_line(resp: Response) -> str:
    """One JSON line per request: what was asked, by whom, the answer and how long it took."""
    started = g.get("started")
    who = g.get("actor")
    return json.dumps({
        "event": "request", "request_id": g.get("request_id"), "method": request.method, "path": request.path,
        "route": request.url_rule.rule if request.url_rule is not None else None, "status": resp.status_code,
        "duration_ms": round((utcnow() - started).total_seconds() * 1000, 1) if started else None,
        "user_id": who.id if who is not None else None, "ip": request.remote_addr,
    }, ensure_ascii=False)


def _teardown(exc: BaseException | None) -> None:
    s: Session | None = g.pop("db_session", None)
    if s is not None:
        if exc is not None:
            s.rollback()
        s.close()
    if exc is not None and g.get("idempotency_key"):
        try:
            _idempotency_release()
        except Exception:  # pragma: no cover - best effort after a crash
            log.exception("could not release idempotency key")
