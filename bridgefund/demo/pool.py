"""Demo chapter 3: the risk-compensation pool, from its 2019 start to 31 March 2020.

The story, as the module tells it (everything through the services, with the real users as actors):

* **2019.** The zone pays the pool's first 100,000,000 yuan on 28 June 2019 and the admin saves the rules
  (10× leverage, 50% pool share, claims from 90 days past due, 5% NPL threshold …). The 12 banks' quotas of
  chapter 1 sum to exactly 10 × 100 million. Three firms borrow under the pool in July 2019 (12-month
  等额本金 loans at BOC, ICBC and CCB), pay four installments, and stop paying in December.
* **January 2020.** The year's 100,000,000 yuan arrives on 10 January; the admin doubles every quota
  (Σ = 2,000,000,000 = 10 × 200 million).
* **February–March 2020, the epidemic.** 147 enterprises borrow exactly 2,280,000,000.00 yuan under the
  pool's cover, each bank lending 2.28 × its 2019 quota. That is more than the 2 billion of quota, which works
  because part of it revolves: about 14% are one-month 到期一次还本付息 working-capital loans made in the
  first week of February and repaid at maturity in early March, before the banks' late-March loans. The other
  loans mix all four repayment methods (12–36 months, 4.05–5.25%), a third with a guarantee institution
  (pool 50% / guarantor 20–30% / bank the rest). Their March installments are paid — most on the due date,
  a few days late with penalty interest, one with a 1,000,000 prepayment.
* **The defaults.** The three 2019 loans pass 90 days past due on 9 March 2020. BOC's officer files a claim
  on 10 March (approved 12 March by manager-li, paid 16 March by manager-wang, 500,000 recovered on
  27 March, half of it back to the pool); ICBC's on 11 March (approved and paid); CCB's on 25 March is still
  waiting for approval on 31 March. No bank's NPL ratio comes near 5%, so none is suspended.

The 147 epidemic loans are the newspaper's figure; the three 2019 loans are extra (149 pool borrowers in all).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy.orm import Session

from bridgefund.demo import papers
from bridgefund.demo.registry import BANKS
from bridgefund.figures.apply import settle
from bridgefund.finance.schedule import add_months
from bridgefund.services import claims, documents, pool, pool_loans, registry
from bridgefund.services.actor import Actor

D = Decimal
TOTAL = D("2280000000.00")
LOAN_COUNT = 147
#: Loans per bank, in chapter 1's bank order (proportional to the quotas; sums to 147).
LOANS_PER_BANK = [22, 18, 16, 15, 12, 12, 10, 9, 9, 10, 9, 5]
#: Shares of a bank's 2.28 × quota lent as one-month loans, February loans and March loans.
SHORT, FEBRUARY, MARCH = D("0.32"), D("1.20"), D("0.76")
RATES = [D("0.0405"), D("0.0435"), D("0.0450"), D("0.0475"), D("0.0500"), D("0.0525")]
METHODS = [("equal_installment", 24), ("equal_principal", 12), ("interest_only", 12), ("bullet", 6),
           ("equal_installment", 36), ("equal_principal", 24), ("interest_only", 12), ("bullet", 12)]
CONTRIBUTIONS = [(dt.date(2019, 6, 28), D("100000000.00"), "2019年度财政风险补偿资金"),
                 (dt.date(2020, 1, 10), D("100000000.00"), "2020年度财政风险补偿资金")]
#: The 2019 loans that default: (bank, principal, claim filed on, approved on, paid on, recovered).
DEFAULTS = [
    ("BOC-HN", D("3000000.00"), dt.date(2020, 3, 10), dt.date(2020, 3, 12), dt.date(2020, 3, 16),
     (dt.date(2020, 3, 27), D("500000.00"))),
    ("ICBC-ZZGX", D("2400000.00"), dt.date(2020, 3, 11), dt.date(2020, 3, 13), dt.date(2020, 3, 18), None),
    ("CCB-ZZGX", D("2000000.00"), dt.date(2020, 3, 25), None, None, None),
]
STORY_END = dt.date(2020, 3, 31)
#: Chapter 1's quotas, in force from each bank's partnership until the admin doubles them on 10 January 2020.
QUOTA_2019 = {code: D(quota) for code, _name, quota in BANKS}


@dataclass(order=True)
class Event:
    """One step of the story, run in date order (``rank`` orders a day: loans, then payments, then claims)."""

    day: dt.date
    rank: int
    seq: int
    run: Any = field(compare=False)


def split(total: Decimal, count: int, salt: int) -> list[Decimal]:
    """``count`` varied amounts, multiples of 10,000 yuan, summing exactly to ``total``."""
    weights = [6 + ((i + salt) * 5) % 7 for i in range(count)]
    parts = [(total * w / sum(weights)).quantize(D("10000"), rounding=ROUND_DOWN) for w in weights[:-1]]
    return [*parts, total - sum(parts)]


def _actor(user: Any) -> Actor:
    return Actor(id=user.id, username=user.username, role=user.role, bank_id=user.bank_id)


def _today(story: dict[str, Any]) -> dt.date:
    return story["app"].config["BRIDGEFUND"].business_date()


def load(session: Session, story: dict[str, Any]) -> None:
    users = story["users"]
    admin, li, wang = (_actor(users[n]) for n in ("admin", "manager-li", "manager-wang"))
    officers = {code: _actor(users["officer-" + code.lower()]) for code in story["banks"]}
    today = max(_today(story), STORY_END)
    eligible = [e for e in story["enterprises"] if e.size != "large" and e.in_zone]
    guarantors = story["guarantors"]
    events: list[Event] = []
    counter = iter(range(1_000_000))

    def at(day: dt.date, rank: int, run: Any) -> None:
        events.append(Event(day, rank, next(counter), run))

    # 2019: the pool opens; its rules
    def open_pool() -> None:
        pool.contribute(session, admin, today, amount=CONTRIBUTIONS[0][1], value_date=CONTRIBUTIONS[0][0],
                        note=CONTRIBUTIONS[0][2])
        pool.put_settings(session, admin, dict(pool.DEFAULTS))

    at(CONTRIBUTIONS[0][0], 0, open_pool)

    # 2019 loans that default
    loans: dict[str, Any] = {}
    for n, (code, principal, filed, approved, paid, recovery) in enumerate(DEFAULTS):
        key = f"default-{n}"
        ent = eligible[LOAN_COUNT + n]

        def make(code: str = code, principal: Decimal = principal, ent: Any = ent, key: str = key, n: int = n) -> None:
            loans[key] = pool_loans.create_pool_loan(
                session, officers[code], today, enterprise_id=ent.id, contract_no=f"{code}-2019-PL{n + 1:03d}",
                principal=principal, annual_rate=D("0.0475"), start_date=dt.date(2019, 7, 10), term_months=12,
                repayment_method="equal_principal")

        at(dt.date(2019, 7, 10), 1, make)
        for month in range(8, 12):  # pays August to November 2019, then stops
            _pay_installment(at, session, officers[code], today, loans, key, month - 7, dt.date(2019, month, 10))
        _claim_story(at, session, officers[code], li, wang, today, loans, key, filed, approved, paid, recovery)

    # January 2020: the year's money, quotas doubled
    def new_year() -> None:
        pool.contribute(session, admin, today, amount=CONTRIBUTIONS[1][1], value_date=CONTRIBUTIONS[1][0],
                        note=CONTRIBUTIONS[1][2])
        for code, bank in story["banks"].items():
            registry.update_bank(session, admin, bank.id, {"pool_quota": QUOTA_2019[code] * 2,
                                                           "effective_from": CONTRIBUTIONS[1][0]})

    at(CONTRIBUTIONS[1][0], 0, new_year)

    # February–March 2020: 147 loans
    firms = iter(eligible[:LOAN_COUNT])
    number = 0
    for b, ((code, _bank), count) in enumerate(zip(story["banks"].items(), LOANS_PER_BANK, strict=True)):
        base = QUOTA_2019[code]  # chapter 1's 2019 quota
        n_short = max(1, round(count * 0.2))
        n_feb = round((count - n_short) * 0.6)
        n_mar = count - n_short - n_feb
        groups = [("short", split(base * SHORT, n_short, b)), ("feb", split(base * FEBRUARY, n_feb, b + 1)),
                  ("mar", split(base * MARCH, n_mar, b + 2))]
        for kind, amounts in groups:
            for i, amount in enumerate(amounts):
                number += 1
                key = f"{code}-{kind}-{i}"
                ent = next(firms)
                if kind == "short":
                    start, method, term = dt.date(2020, 2, 3 + i % 5), "bullet", 1
                else:
                    first = 10 if kind == "feb" else 9
                    span = 19 if kind == "feb" else 22
                    start = dt.date(2020, 2 if kind == "feb" else 3, first + (i * 3 + b) % span)
                    method, term = METHODS[(number + b) % len(METHODS)]
                terms = {
                    "enterprise_id": ent.id, "contract_no": f"{code}-2020-{number:04d}", "principal": amount,
                    "annual_rate": RATES[number % len(RATES)], "start_date": start, "term_months": term,
                    "repayment_method": method,
                }
                if kind != "short" and number % 3 == 0:
                    terms["guarantor_id"] = guarantors[number % len(guarantors)].id

                def make(code: str = code, terms: dict = terms, key: str = key) -> None:
                    loans[key] = pool_loans.create_pool_loan(session, officers[code], today, **terms)

                at(start, 1, make)
                if method == "bullet" and term == 1:
                    _pay_installment(at, session, officers[code], today, loans, key, 1, _month_after(start))
                elif method != "bullet" and _month_after(start) <= STORY_END:
                    late = 3 if number % 7 == 0 else 0
                    extra = D("1000000.00") if number % 29 == 0 else D("0.00")
                    _pay_installment(at, session, officers[code], today, loans, key, 1,
                                     _month_after(start) + dt.timedelta(days=late), extra=extra)

    for event in sorted(events):
        event.run()
        settle(session)  # the summaries as if each event had committed (one transaction: reads stay O(1))
    story["pool_loans"] = loans


def _month_after(day: dt.date) -> dt.date:
    return add_months(day, 1)


def _pay_installment(at: Any, session: Session, officer: Actor, today: dt.date, loans: dict, key: str, seq: int,
                     day: dt.date, extra: Decimal = D("0.00")) -> None:
    """Pay what is due on ``day`` (installment ``seq`` and any penalty), plus ``extra`` as a prepayment."""

    def pay() -> None:
        loan = loans[key]
        view = pool_loans.get_pool_loan(session, officer, loan.id, day)
        amount = view.amount_due + extra
        pool_loans.record_repayment(session, officer, today, loan.id, amount=amount, value_date=day,
                                    external_ref=f"{loan.contract_no}-R{seq:02d}")

    at(day, 2, pay)


def _claim_story(at: Any, session: Session, officer: Actor, approver: Actor, payer: Actor, today: dt.date,
                 loans: dict, key: str, filed: dt.date, approved: dt.date | None, paid: dt.date | None,
                 recovery: tuple[dt.date, Decimal] | None) -> None:
    state: dict[str, Any] = {}

    def file() -> None:
        state["claim"] = claim = claims.file_claim(session, officer, today, loans[key].id, claimed_on=filed)
        papers.attach_required(session, officer, "claim", claim.id, claim.reference or str(claim.id),
                               documents.claim_required(session))

    at(filed, 3, file)
    if approved:
        at(approved, 3, lambda: claims.approve_claim(session, approver, state["claim"].id,
                                                     comment="材料齐全，同意代偿", today=today, decided_on=approved))
    if paid:
        at(paid, 3, lambda: claims.pay_claim(session, payer, today, state["claim"].id, value_date=paid))
    if recovery:
        day, amount = recovery
        at(day, 3, lambda: claims.record_recovery(session, officer, today, loans[key].id, amount=amount,
                                                  value_date=day, external_ref=f"{loans[key].contract_no}-REC1"))
