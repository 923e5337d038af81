"""Enterprises (borrowers): master data shared by all banks."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, UTCDateTime, utcnow


class EnterpriseSize(enum.StrEnum):
    micro = "micro"
    small = "small"
    medium = "medium"
    large = "large"


class Enterprise(Base):
    __tablename__ = "enterprises"
    __table_args__ = (CheckConstraint("size IN ('micro', 'small', 'medium', 'large')", name="size_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unified social credit code (统一社会信用代码), 18 characters, check character verified.
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    size: Mapped[str] = mapped_column(String(10))
    industry: Mapped[str | None] = mapped_column(String(100))
    #: Registered in the zone (eligibility for the bridge-loan fund).
    in_zone: Mapped[bool]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def snapshot(self) -> dict:
        return {
            "uscc": self.uscc,
            "name": self.name,
            "size": self.size,
            "industry": self.industry,
            "in_zone": self.in_zone,
        }
