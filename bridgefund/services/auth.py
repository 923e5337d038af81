"""Authentication: argon2 password hashes, bearer tokens stored only as HMAC hashes, login throttling."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import instance_dict
from sqlalchemy.orm.util import identity_key

from bridgefund.authority import PUBLIC, SIGNED_IN, allows
from bridgefund.errors import NotAuthenticated, RuleViolation, TooManyRequests
from bridgefund.models import ApiToken, LoginThrottle, User
from bridgefund.services import audit
from bridgefund.services.actor import Actor


@dataclass
class AuthConfig:
    secret_key: str
    token_ttl: dt.timedelta
    max_failures: int
    window: dt.timedelta
    hasher: PasswordHasher

    @classmethod
    def build(cls, settings) -> AuthConfig:  # noqa: ANN001 - bridgefund.config.Settings
        return cls(
            secret_key=settings.secret_key,
            token_ttl=dt.timedelta(minutes=settings.token_ttl_minutes),
            max_failures=settings.login_max_failures,
            window=dt.timedelta(seconds=settings.login_window_seconds),
            hasher=PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_cost),
        )


def validate_password(password: str, username: str) -> None:
    """The password policy: 10–128 characters, not only letters, not containing the username."""
    problems = []
    if len(password) < 10 or len(password) > 128:
        problems.append("Must be 10 to 128 characters long.")
    if password.isalpha() or password.isdigit():
        problems.append("Must mix letters with digits or symbols.")
    if username and username.lower() in password.lower():
        problems.append("Must not contain the username.")
    if problems:
        raise RuleViolation("password does not meet the policy", {"password": problems})


def hash_password(cfg: AuthConfig, password: str) -> str:
    return cfg.hasher.hash(password)


def _verify(cfg: AuthConfig, password_hash: str, password: str) -> bool:
    try:
        return cfg.hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(cfg: AuthConfig, token: str) -> str:
    return hmac.new(cfg.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: dt.datetime
    user: User


_DUMMY_HASHES: dict[int, str] = {}


@allows(PUBLIC)
def login(
    cfg: AuthConfig, sessions: sessionmaker[Session], username: str, password: str, *, now: dt.datetime,
    request_id: str | None = None, ip: str | None = None,
) -> IssuedToken:
    """Check credentials and issue a token. Unknown user and wrong password fail identically.

    Runs its own transactions: a failure must be counted (and audited) even though the login fails.
    """
    name = username.strip().lower()
    with sessions() as session, session.begin():
        throttle = session.get(LoginThrottle, name, with_for_update=True)
        if throttle and throttle.locked_until and throttle.locked_until > now:
            wait = math.ceil((throttle.locked_until - now).total_seconds())
            raise TooManyRequests(f"too many failed logins for this username; retry in {wait} s", wait)
        user = session.scalars(select(User).where(User.username == name)).one_or_none()
        if user is None:
            # Spend the same time as a real verification so timing does not reveal which names exist.
            key = id(cfg.hasher)
            if key not in _DUMMY_HASHES:  # hashed once (setdefault would hash on every call: twice the time)
                _DUMMY_HASHES[key] = cfg.hasher.hash(secrets.token_hex(8))
            _verify(cfg, _DUMMY_HASHES[key], password)
            ok = False
        else:
            ok = _verify(cfg, user.password_hash, password) and user.active
        if not ok:
            _count_failure(cfg, session, throttle, name, now)
            audit.record(
                session, Actor(id=user.id if user else None, username=name, role=user.role if user else "anonymous",
                               request_id=request_id, ip=ip),
                "login_failed", "user", user.id if user else None,
            )
        else:
            if throttle:
                session.delete(throttle)
            if cfg.hasher.check_needs_rehash(user.password_hash):
                user.password_hash = cfg.hasher.hash(password)
            token = secrets.token_urlsafe(32)
            expires_at = now + cfg.token_ttl
            session.add(ApiToken(user_id=user.id, token_hash=token_hash(cfg, token), created_at=now,
                                 expires_at=expires_at))
            audit.record(
                session, Actor(id=user.id, username=user.username, role=user.role, bank_id=user.bank_id,
                               request_id=request_id, ip=ip),
                "login", "user", user.id,
            )
    if not ok:
        raise NotAuthenticated("invalid username or password")
    return IssuedToken(token=token, expires_at=expires_at, user=user)


def _count_failure(
    cfg: AuthConfig, session: Session, throttle: LoginThrottle | None, name: str, now: dt.datetime
) -> None:
    if throttle is None or throttle.window_start + cfg.window <= now:
        if throttle is None:
            throttle = LoginThrottle(username=name)
            session.add(throttle)
        throttle.failures = 0
        throttle.window_start = now
        throttle.locked_until = None
    throttle.failures += 1
    if throttle.failures >= cfg.max_failures:
        # Each failure past the limit doubles the lock, up to the window.
        extra = throttle.failures - cfg.max_failures
        seconds = min(30 * 2**extra, int(cfg.window.total_seconds()))
        throttle.locked_until = now + dt.timedelta(seconds=seconds)


@dataclass(frozen=True)
class Authenticated:
    """Whom a valid bearer token speaks for: plain values, nothing attached to the session."""

    token_id: int
    user_id: int
    username: str
    role: str
    bank_id: int | None


_TOKENS, _USERS = ApiToken.__table__.c, User.__table__.c
#: The user's columns the token lookup reads (all but the password hash): the request's :class:`User` (below).
_USER_COLUMNS = ("username", "role", "bank_id", "active", "created_at", "updated_at")
#: The bearer-token lookup, built once: the token (by its unique hash) and the user's fields in one query.
#: Core columns, not entities: no ORM loading on the path of every request.
_TOKEN_LOOKUP = (
    select(_TOKENS.id, _TOKENS.expires_at, _TOKENS.revoked_at, _USERS.id.label("user_id"),
           *(_USERS[name] for name in _USER_COLUMNS))
    .join_from(ApiToken.__table__, User.__table__, _USERS.id == _TOKENS.user_id)
    .where(_TOKENS.token_hash == bindparam("token_hash"))
)


def authenticate(cfg: AuthConfig, session: Session, token: str, *, now: dt.datetime) -> Authenticated:
    """The user behind a bearer token; 401 when unknown, expired, revoked or the user is inactive.

    Read on every request, in the request's own transaction: a revocation or deactivation counts at once.
    """
    row = session.connection().execute(_TOKEN_LOOKUP, {"token_hash": token_hash(cfg, token)}).one_or_none()
    if row is None:
        raise NotAuthenticated("invalid token")
    if row.revoked_at is not None or row.expires_at <= now or not row.active:
        raise NotAuthenticated("token expired or revoked")
    session.info[_LOOKUP_ROW] = row  # for user_read_by_token
    return Authenticated(token_id=row.id, user_id=row.user_id, username=row.username, role=row.role,
                         bank_id=row.bank_id)


_LOOKUP_ROW = "bridgefund.auth_lookup_row"
_NEW_USER = User.__mapper__.class_manager.new_instance


def user_read_by_token(session: Session, user_id: int | None) -> User | None:
    """The user the bearer-token lookup of this session's request has read, as a persistent, unchanged
    :class:`User` of the session — or None when that lookup did not read this user (then query it).

    Reading yourself (``GET /me``, the console's account page) is then no second query: it is the row a second
    ``SELECT`` in the request's transaction would read (READ COMMITTED; a ``SELECT … FOR UPDATE`` — any change to
    the user locks it first — bypasses the identity map and reads the row again). Built on demand, so the other
    requests pay nothing. The password hash is not read on every request: it is expired and loads when accessed.
    """
    row = session.info.get(_LOOKUP_ROW)
    if row is None or row.user_id != user_id:
        return None
    key = identity_key(User, user_id)
    known = session.identity_map.get(key)
    if known is not None:
        return known
    user = _NEW_USER()  # no constructor, no attribute events: the row's values go in as loaded ones
    values = instance_dict(user)
    values["id"] = user_id
    for name in _USER_COLUMNS:
        values[name] = getattr(row, name)
    make_transient_to_detached(user)  # committed as if loaded by a query, no history; the password hash expired
    session.add(user)
    session.info[_LOOKUP_ROW] = None  # built once; the identity map has it from now on (the caller holds it)
    return user


@allows(SIGNED_IN)
def revoke(session: Session, actor: Actor, api_token: ApiToken, *, now: dt.datetime) -> None:
    api_token.revoked_at = now
    audit.record(session, actor, "logout", "user", actor.id)


@allows(SIGNED_IN)
def change_password(cfg: AuthConfig, session: Session, actor: Actor, *, current_password: str, new_password: str,
                    keep_token_id: int | None, now: dt.datetime) -> None:
    """A user changes their own password: the current one is checked, the policy applies, and every other
    session of the user ends (``keep_token_id``, the session making the change, stays). One audit event."""
    user = session.get(User, actor.id, with_for_update=True)
    if user is None or not user.active:
        raise NotAuthenticated("the user is not active")
    if not _verify(cfg, user.password_hash, current_password):
        raise RuleViolation.on("current_password", "is not the user's current password")
    try:
        validate_password(new_password, user.username)
    except RuleViolation as exc:
        raise RuleViolation(exc.detail, {"new_password": exc.errors["password"]}) from None
    if new_password == current_password:
        raise RuleViolation.on("new_password", "must differ from the current password")
    user.password_hash = cfg.hasher.hash(new_password)
    stmt = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if keep_token_id is not None:
        stmt = stmt.where(ApiToken.id != keep_token_id)
    revoked = session.execute(stmt.values(revoked_at=now)).rowcount
    audit.record(session, actor, "change_password", "user", user.id, before={"password": "(unchanged)"},
                 after={"password": "(changed)", "tokens_revoked": revoked})
