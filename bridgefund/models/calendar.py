"""The working-day calendar: the days on which mainland China's Monday–Friday rule does not hold.

A row is an exception: a weekday that is a public holiday (``holiday``) or a weekend day that is a make-up
working day (调休, ``workday``). Every other Monday–Friday is a working day and every Saturday and Sunday is not.
The known years are seeded from the ``chinesecalendar`` package (migration 0012); an admin adds a year's rows when
the State Council publishes it (``PUT /calendar/days/{date}``).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base, UTCDateTime, utcnow


class DayKind(enum.StrEnum):
    #: A Monday–Friday on which nobody works (a public holiday).
    holiday = "holiday"
    #: A Saturday or Sunday on which everybody works (a make-up working day, 调休).
    workday = "workday"


class CalendarDay(Base):
    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind_known"),)

    day: Mapped[dt.date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    #: The holiday's name (``国庆节``), or what the make-up day is for (``国庆节调休``).
    name: Mapped[str] = mapped_column(String(60))
    #: ``chinesecalendar`` (seeded) or ``admin`` (edited).
    source: Mapped[str] = mapped_column(String(20), default="admin")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def snapshot(self) -> dict[str, str]:
        return {"date": self.day.isoformat(), "kind": self.kind, "name": self.name}
