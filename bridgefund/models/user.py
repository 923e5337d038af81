"""Users, their roles, bearer tokens (stored as hashes only) and the login throttle."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, UTCDateTime, utcnow


class Role(enum.StrEnum):
    admin = "admin"
    fund_manager = "fund_manager"
    bank_officer = "bank_officer"
    auditor = "auditor"


ROLE_VALUES = tuple(r.value for r in Role)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role_known"),
        #: A bank officer is bound to exactly one bank; nobody else is bound to any.
        CheckConstraint(
            "(role = 'bank_officer' AND bank_id IS NOT NULL) OR (role <> 'bank_officer' AND bank_id IS NULL)",
            name="officer_has_bank",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-case: usernames are case-insensitive.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    #: argon2 hash (argon2-cffi encoded form).
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def snapshot(self) -> dict:
        """What the audit log records about a user (never the password hash)."""
        return {"username": self.username, "role": self.role, "bank_id": self.bank_id, "active": self.active}


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: HMAC-SHA256 of the token under the secret key; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class LoginThrottle(Base):
    """Failed logins per (lower-cased) username within the current window."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
