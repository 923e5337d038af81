"""The counters of the reference numbers (``BL-2020-000001``…): one row per series and year."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bridgefund.db import Base


class ReferenceCounter(Base):
    """The last number handed out in a series (``BL``, ``PL``, ``CL``) and year.

    ``services.references`` bumps it with one ``UPDATE … RETURNING`` (or the first number of a year with an
    ``INSERT … ON CONFLICT``) in the transaction that stores the record, so the numbers stay gapless and the row lock
    is all that orders two submissions of the same year. Code that writes references behind the services' back (the
    bench loader) must keep the counter at the series' highest number.
    """

    __tablename__ = "reference_counters"

    #: ``BL`` (bridge loans), ``PL`` (pool loans), ``CL`` (claims).
    series: Mapped[str] = mapped_column(String(2), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: The highest number of the series in the year handed out so far (0: none yet).
    last_no: Mapped[int]
