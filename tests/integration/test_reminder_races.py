"""Two reminder runs of one business date racing (two schedulers, or a run and its retry) on committed
transactions and separate connections: the unique key lets each event and notification exist once."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from bridgefund.models import Notification, NotificationEvent
from bridgefund.services import reminders
from bridgefund.services.actor import SYSTEM
from tests.conftest import Factory
from tests.notify_support import bridge_loan


def test_two_runs_of_one_date_at_once_raise_each_reminder_once(real_db, settings):  # noqa: ANN001
    settings.today = "2020-10-10"
    sm = real_db.extensions["bridgefund.db"].sessionmaker
    with sm() as session:
        f = Factory(real_db, session)
        bank = f.make_bank()
        f.make_user("bank_officer", bank)
        f.make_user("fund_manager")
        ent = f.make_enterprise()
        for n in range(5):
            bridge_loan(session, bank, ent, disbursed_on=dt.date(2020, 8, 20 + n), due_date=dt.date(2020, 9, 3),
                        renewal_expected=dt.date(2020, 9, 1))
    day = dt.date(2020, 9, 30)
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with real_db.app_context(), sm() as s:
                barrier.wait(timeout=30)
                with s.begin():
                    results.append(reminders.send_reminders(s, SYSTEM, day)["reminders"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with sm() as s:
        events = s.scalar(select(func.count()).select_from(NotificationEvent))
        notes = s.scalar(select(func.count()).select_from(Notification))
    assert events == 10  # 5 loans × (overdue, renewal late)
    assert sum(results) == 10  # what one run raised, the other found taken
    assert notes == 20  # each event to the officer and the manager, once
