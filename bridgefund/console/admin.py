"""The administrator's screens for the rules and the money: the fund's settings (fee tiers as a table), the pool's
settings, capital in and out of the fund, and the working-day calendar.

Like every console view these are thin: the form loads through the API's own schema (``PUT /fund/settings``,
``PUT /pool/settings``, ``POST /fund/capital``, ``PUT /calendar/days/{date}``) and calls the same service, whose
declaration opens the page. A change is shown first — the settings before and after, the capital movement with the
fund's cash before and after it — and sent once (the form's one-time key); a refusal shows each field's error in
place and changes nothing.
"""

from __future__ import annotations

import calendar as monthgrid
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from bridgefund.console import forms, idempotency
from bridgefund.console.base import bp, current_actor, money, page
from bridgefund.console.labels import document_kind_name
from bridgefund.errors import DomainError, RuleViolation
from bridgefund.finance import calendar as day_rules
from bridgefund.schemas.common import EARLIEST, LATEST
from bridgefund.schemas.fund import FundCapitalSchema, FundSettingsSchema
from bridgefund.schemas.job import CalendarDayPutSchema
from bridgefund.schemas.pool import PoolSettingsPutSchema, PoolSettingsSchema
from bridgefund.services import calendar, documents, fund, pool
from bridgefund.web import access, session, today

# --- the settings screens: one pattern for the fund's and the pool's -------------------------------------------


@dataclass(frozen=True)
class SettingsField:
    name: str
    label: Any
    kind: str = "rate"  # rate | money | int | date | bool | kinds (document kinds, a set of checkboxes)
    help: Any = None


@dataclass(frozen=True)
class SettingsScreen:
    """One settings object: the operations that read and replace it, the schema a PUT loads, its fields."""

    name: str  # "fund" | "pool"
    title: Any
    read: Callable[..., Any]
    write: Callable[..., Any]
    put_schema: type[Schema]
    dump_schema: type[Schema]
    fields: tuple[SettingsField, ...]
    tiers: bool = False

    def current(self) -> dict[str, Any]:
        """The settings in force, as the API answers them (strings with their decimals)."""
        value = self.read(session(), current_actor())
        raw = value.as_dict() if hasattr(value, "as_dict") else value
        dumped = self.dump_schema().dump(raw)
        return {k: dumped.get(k) for k in self.keys}

    @property
    def keys(self) -> tuple[str, ...]:
        return (("fee_tiers",) if self.tiers else ()) + tuple(f.name for f in self.fields)


F = SettingsField
FUND = SettingsScreen(
    "fund", _l("Fund settings"), fund.get_settings, fund.put_settings, FundSettingsSchema, FundSettingsSchema, (
        F("penalty_daily_rate", _l("Penalty rate a day"), help=_l("e.g. 0.0005 (0.05% a day)")),
        F("max_term_days", _l("Longest term (days)"), "int"),
        F("per_enterprise_cap", _l("Cap per enterprise (yuan)"), "money"),
        F("max_share_of_renewal", _l("Largest share of the renewal"), help=_l("e.g. 0.95")),
        F("dual_approval_threshold", _l("Second approval from (yuan)"), "money"),
        F("default_after_days", _l("Default after days overdue"), "int"),
        F("established_on", _l("Fund established on"), "date"),
        F("market_bridge_daily_rate", _l("Market bridge rate a day"), help=_l("e.g. 0.001 (1‰ a day)")),
        F("roll_due_date_to_working_day", _l("Move a due date on a day off to the next working day"), "bool"),
        F("required_documents", _l("Documents a bridge loan needs before approval"), "kinds"),
    ), tiers=True)
POOL = SettingsScreen(
    "pool", _l("Pool settings"), pool.get_settings, pool.put_settings, PoolSettingsPutSchema, PoolSettingsSchema, (
        F("leverage", _l("Leverage (quotas ÷ contributions)")),
        F("default_pool_share", _l("Default pool share of a loss")),
        F("claim_after_days_overdue", _l("Claim after days overdue"), "int"),
        F("bank_npl_threshold", _l("Bank NPL ratio that suspends")),
        F("pool_loss_threshold", _l("Pool loss ratio threshold")),
        F("max_loan_amount", _l("Largest pool loan (yuan)"), "money"),
        F("max_annual_rate", _l("Highest annual rate")),
        F("penalty_rate_markup", _l("Penalty rate markup")),
        F("compound_overdue_interest", _l("Overdue interest bears penalty interest"), "bool"),
        F("claim_required_documents", _l("Documents a claim needs before approval"), "kinds"),
    ))
SCREENS = {s.name: s for s in (FUND, POOL)}
_TIER = re.compile(r"fee_tiers\.(\d{1,3})\.(from_day|daily_rate)\Z")
_CHECKED = ("true", "on", "1", "yes")


def _text(raw: Any) -> str:
    return unicodedata.normalize("NFKC", str(raw or "")).strip()


def _tiers_from_form(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The table's rows in their order, renumbered; a row left wholly blank is dropped."""
    rows: dict[int, dict[str, str]] = {}
    for key in form:
        m = _TIER.match(key)
        if m:
            rows.setdefault(int(m.group(1)), {"from_day": "", "daily_rate": ""})[m.group(2)] = _text(form.get(key))
    return [r for _, r in sorted(rows.items()) if r["from_day"] or r["daily_rate"]]


def _kinds_from_form(form: Mapping[str, str], name: str) -> list[str] | None:
    """The document kinds checked (the form always sends an empty value with them, so that none checked is an empty
    list — no documents required — and a form without the field at all leaves the setting as it is: None)."""
    if name not in form:
        return None
    sent = form.getlist(name) if hasattr(form, "getlist") else [form[name]]
    return [_text(k) for k in sent if _text(k)]


def _values_from_form(screen: SettingsScreen, form: Mapping[str, str]) -> dict[str, Any]:
    """What the form shows again: the typed text of each field, the kinds checked, the table's rows."""
    values: dict[str, Any] = {}
    for f in screen.fields:
        if f.kind == "bool":
            values[f.name] = str(form.get(f.name, "")).lower() in _CHECKED
        elif f.kind == "kinds":
            values[f.name] = _kinds_from_form(form, f.name)
        else:
            values[f.name] = form.get(f.name, "")
    if screen.tiers:
        values["fee_tiers"] = _tiers_from_form(form)
    return values


def _body(screen: SettingsScreen, values: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of the PUT the form stands for (loaded next by the API's schema, unchanged)."""
    body: dict[str, Any] = {}
    for f in screen.fields:
        raw = values[f.name]
        if f.kind == "bool":
            body[f.name] = bool(raw)
        elif f.kind == "kinds":  # checked kinds as sent: the schema and the service judge them
            if raw is not None:
                body[f.name] = list(raw)
        elif not str(raw).strip():
            continue
        elif f.kind == "money":
            body[f.name] = forms.normalize_money(raw)
        elif f.kind == "int":
            body[f.name] = forms.normalize_int(raw)
        else:
            body[f.name] = _text(raw)
    if screen.tiers:
        body["fee_tiers"] = [{"from_day": forms.normalize_int(r["from_day"]) if r["from_day"] else None,
                              "daily_rate": r["daily_rate"] or None} for r in values["fee_tiers"]]
        for row in body["fee_tiers"]:  # a blank cell is "required", like a missing member
            for k in [k for k, v in row.items() if v is None]:
                del row[k]
    return body


def _changes(screen: SettingsScreen, before: dict[str, Any], body: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    """``(label, before, after)`` of each setting the change alters (a field the PUT leaves out is kept)."""
    after = screen.dump_schema().dump(body)
    labels = {"fee_tiers": _l("Fee tiers"), **{f.name: f.label for f in screen.fields}}
    out = []
    for key in screen.keys:
        if key not in body:
            continue
        if before.get(key) != after.get(key):
            out.append((labels[key], _shown(key, before.get(key)), _shown(key, after.get(key))))
    return out


def _shown(key: str, value: Any) -> str:
    if key == "fee_tiers":
        return "; ".join(_("from day %(day)s: %(rate)s a day", day=t["from_day"], rate=t["daily_rate"])
                         for t in value or [])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):  # document kinds
        return "、".join(document_kind_name(k) for k in value) or _("no documents required")
    return "—" if value is None else str(value)


def _settings_page(screen: SettingsScreen, status: int = 200, **context: Any) -> Any:
    context.setdefault("values", screen.current())
    errors = dict(context.pop("errors", None) or {})
    for f in screen.fields:  # a kind refused by its place in the list ("required_documents.1") is shown at the set
        if f.kind == "kinds":
            for key in [k for k in errors if k.startswith(f.name + ".")]:
                errors.setdefault(f.name, []).extend(errors.pop(key))
    return page("console/admin_settings.html", status, screen=screen, errors=errors,
                document_kinds=documents.KINDS, **context)


def _settings_views(screen: SettingsScreen) -> None:
    """The screen (GET), its confirmation with the rows added or removed or the changes shown (GET), and the PUT
    (POST), each declaring the operation it performs."""

    def show() -> Any:
        return _settings_page(screen)

    def confirm() -> Any:
        values = _values_from_form(screen, request.args)
        op = request.args.get("op", "")
        if screen.tiers and op == "add":  # the table grows by an empty row, nothing is checked yet
            values["fee_tiers"].append({"from_day": "", "daily_rate": ""})
            return _settings_page(screen, values=values, focus_row=len(values["fee_tiers"]) - 1)
        if screen.tiers and op.startswith("remove-") and op[7:].isdigit():
            rows = values["fee_tiers"]
            if int(op[7:]) < len(rows):
                del rows[int(op[7:])]
            return _settings_page(screen, values=values)
        before = screen.current()
        try:
            body = forms.load(screen.put_schema(), _body(screen, values))
        except RuleViolation as err:
            return _settings_page(screen, err.status, values=values, errors=err.errors, detail=err.detail)
        return _settings_page(screen, values=values, changes=_changes(screen, before, body), confirming=True)

    def save() -> Any:
        actor = current_actor()
        replay = idempotency.begin(session(), actor)
        if replay is not None:
            return replay
        values = _values_from_form(screen, request.form)
        try:
            body = forms.load(screen.put_schema(), _body(screen, values))
            screen.write(session(), actor, body)
        except DomainError as err:
            session().rollback()
            errors, detail = forms.field_errors(err)
            return _settings_page(screen, err.status, values=values, errors=errors, detail=detail)
        flash(_("%(what)s saved.", what=screen.title), "success")
        return idempotency.done(url_for(f"console.{screen.name}_settings"))

    base = f"/admin/{screen.name}-settings"
    for view, rule, name, method, operation in (
            (show, base, f"{screen.name}_settings", "GET", screen.read),
            (confirm, base + "/confirm", f"confirm_{screen.name}_settings", "GET", screen.write),
            (save, base, f"save_{screen.name}_settings", "POST", screen.write)):
        view.__name__ = view.__qualname__ = name
        view.__doc__ = f"The {screen.name}'s settings: {name.replace('_', ' ')}."
        bp.add_url_rule(rule, name, access(operation)(view), methods=[method])


for _screen in SCREENS.values():
    _settings_views(_screen)


# --- the administrator's home ----------------------------------------------------------------------------------


@bp.get("/admin")
@access(fund.get_settings)
def admin_home() -> Any:
    """Links to the screens that set the rules and keep the registers (each shown when the user may use it)."""
    return page("console/admin_home.html")


# --- capital in and out ----------------------------------------------------------------------------------------

CAPITAL_FIELDS = ("direction", "amount", "value_date", "note")
RECENT = 10


def _capital_context() -> dict[str, Any]:
    actor = current_actor()
    moves = [e for kind in ("capital_in", "capital_out")
             for e in fund.list_ledger(session(), actor, 1, RECENT, kind=kind).items]
    moves.sort(key=lambda e: (e["value_date"], e["id"]), reverse=True)
    return {"moves": moves[:RECENT], "cash": fund.position(session(), actor, today())["cash_balance"]}


def _capital_body(source: Mapping[str, str]) -> dict[str, Any]:
    return forms.load(FundCapitalSchema(), forms.collect(source, fields=CAPITAL_FIELDS, money=("amount",)))


@bp.get("/admin/capital")
@access(fund.move_capital)
def capital() -> Any:
    """Capital into the fund or out of it: the form, the fund's cash today and the latest movements."""
    values = {"direction": "in", "value_date": today().isoformat()}
    return page("console/admin_capital.html", values=values, errors={}, **_capital_context())


@bp.get("/admin/capital/confirm")
@access(fund.move_capital)
def confirm_capital() -> Any:
    """What the movement will book — direction, amount, value date — with the fund's cash on that day before and
    after it, before it is sent."""
    values = {k: request.args.get(k, "") for k in CAPITAL_FIELDS}
    try:
        body = _capital_body(request.args)
        cash = fund.position(session(), current_actor(), body["value_date"])["cash_balance"]
    except DomainError as err:
        return page("console/admin_capital.html", err.status, values=values, errors=err.errors, detail=err.detail,
                    **_capital_context())
    delta = body["amount"] if body["direction"] == "in" else -body["amount"]
    return page("console/admin_capital.html", values=values, errors={}, confirm=body, cash_before=cash,
                cash_after=cash + delta, **_capital_context())


@bp.post("/admin/capital")
@access(fund.move_capital)
def move_capital() -> Any:
    """Book the movement (``POST /fund/capital``: the same schema and service), once per confirmation."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {k: request.form.get(k, "") for k in CAPITAL_FIELDS}
    try:
        entry = fund.move_capital(session(), actor, today=today(), **_capital_body(request.form))
    except DomainError as err:
        session().rollback()
        errors, detail = forms.field_errors(err)
        return page("console/admin_capital.html", err.status, values=values, errors=errors, detail=detail,
                    **_capital_context())
    what = _("Capital in") if entry.kind == "capital_in" else _("Capital out")
    flash(_("%(what)s of %(amount)s booked on %(date)s.", what=what, amount=money(entry.amount),
            date=entry.value_date.isoformat()), "success")
    return idempotency.done(url_for("console.capital"))


# --- the working-day calendar ----------------------------------------------------------------------------------

_MONTH = re.compile(r"(\d{4})-(\d{2})\Z")


def _month(text: str | None) -> dt.date:
    if not text:
        return today().replace(day=1)
    m = _MONTH.match(_text(text))
    if not m or not 1 <= int(m.group(2)) <= 12 or not EARLIEST.year <= int(m.group(1)) <= LATEST.year:
        raise RuleViolation.on("month", "must be a month as YYYY-MM")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def _date(text: str | None, field: str = "date") -> dt.date:
    t = _text(text)
    try:
        if len(t) != 10:
            raise ValueError
        day = dt.date.fromisoformat(t)
    except ValueError:
        raise RuleViolation.on(field, "must be a date as YYYY-MM-DD") from None
    if not EARLIEST <= day <= LATEST:
        raise RuleViolation.on(field, f"must be from {EARLIEST} to {LATEST}")
    return day


def _grid(first: dt.date) -> list[list[dict[str, Any] | None]]:
    """The month as weeks Monday–Sunday: each day with whether it is worked and its exception, if any."""
    rows = calendar.list_year(session(), current_actor(), first.year)
    named = {r.day: r for r in rows}
    kinds = {r.day: r.kind for r in rows}
    weeks = []
    for week in monthgrid.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append([{"day": d, "working": day_rules.is_working_day(d, kinds), "exception": named.get(d),
                       "weekend": d.weekday() >= 5} if d.month == first.month else None for d in week])
    return weeks


def _calendar_page(status: int = 200, *, month: dt.date | None = None, **context: Any) -> Any:
    first = month or today().replace(day=1)
    prev_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    context.setdefault("errors", {})
    return page("console/admin_calendar.html", status, month=first, weeks=_grid(first), prev_month=prev_month,
                next_month=next_month, **context)


@bp.get("/admin/calendar")
@access(calendar.list_year)
def working_calendar() -> Any:
    """A month of the working-day calendar: days off, holidays and make-up working days; an admin picks a day to
    edit it."""
    try:
        month = _month(request.args.get("month"))
        chosen = _date(request.args["day"], "day") if request.args.get("day") else None
    except RuleViolation as err:
        return _calendar_page(err.status, errors=err.errors, chosen=None)
    if chosen is not None and not request.args.get("month"):
        month = chosen.replace(day=1)
    values = {}
    if chosen is not None:
        row = next((r for r in calendar.list_year(session(), current_actor(), chosen.year) if r.day == chosen), None)
        values = {"kind": row.kind if row else ("workday" if chosen.weekday() >= 5 else "holiday"),
                  "name": row.name if row else "", "exists": row is not None}
    return _calendar_page(month=month, chosen=chosen, values=values)


@bp.post("/admin/calendar/<string:date>")
@access(calendar.put_day)
def put_calendar_day(date: str) -> Any:
    """Set a day's exception (``PUT /calendar/days/{date}``: the same schema and service)."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    values = {"kind": request.form.get("kind", ""), "name": request.form.get("name", ""), "exists": False}
    chosen = None
    try:
        chosen = _date(date)
        body = forms.load(CalendarDayPutSchema(), forms.collect(request.form, fields=("kind", "name")))
        calendar.put_day(session(), actor, chosen, **body)
    except DomainError as err:
        session().rollback()
        errors, detail = forms.field_errors(err)
        return _calendar_page(err.status, month=chosen.replace(day=1) if chosen else None, chosen=chosen,
                              values=values, errors=errors, detail=detail)
    flash(_("%(date)s saved in the calendar.", date=chosen.isoformat()), "success")
    return idempotency.done(url_for("console.working_calendar", month=chosen.strftime("%Y-%m")))


@bp.post("/admin/calendar/<string:date>/delete")
@access(calendar.delete_day)
def delete_calendar_day(date: str) -> Any:
    """Remove a day's exception (``DELETE /calendar/days/{date}``): it follows Monday–Friday again."""
    actor = current_actor()
    replay = idempotency.begin(session(), actor)
    if replay is not None:
        return replay
    chosen = None
    try:
        chosen = _date(date)
        calendar.delete_day(session(), actor, chosen)
    except DomainError as err:
        session().rollback()
        errors, detail = forms.field_errors(err)
        return _calendar_page(err.status, month=chosen.replace(day=1) if chosen else None, chosen=None,
                              values={}, errors=errors, detail=detail)
    flash(_("%(date)s follows Monday to Friday again.", date=chosen.isoformat()), "success")
    return idempotency.done(url_for("console.working_calendar", month=chosen.strftime("%Y-%m")))

