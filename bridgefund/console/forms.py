"""Turning an HTML form into what the API's schema loads, and the schema's and service's errors back into
messages next to the fields.

A form field is named like the JSON member it fills (``maturing_loan.amount``), so the errors of the schema
(``flatten_messages``) and of the service (``DomainError.errors``) name the same fields the form shows. Money
inputs are normalised first — thousands separators, spaces and full-width digits are what people type — and then
go through the API's strict parse unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from bridgefund.errors import DomainError, RuleViolation
from bridgefund.web import flatten_messages

_GROUPING = re.compile(r"[,\s_'’]")


def normalize_money(text: str) -> str:
    """``"１,５００,０００"`` → ``"1500000.00"``: full-width to ASCII (NFKC), separators out, two decimals.

    Anything that still is not a plain amount is returned as it is, for the strict parse to refuse by name.
    """
    t = unicodedata.normalize("NFKC", text or "").strip().replace("。", ".").replace("¥", "").replace("元", "")
    t = _GROUPING.sub("", t)
    if re.fullmatch(r"[0-9]+", t):
        return t + ".00"
    if re.fullmatch(r"[0-9]+\.[0-9]", t):
        return t + "0"
    if re.fullmatch(r"[0-9]*\.[0-9]{2}", t) and t.startswith("."):
        return "0" + t
    return t


def normalize_int(text: str) -> int | str:
    """A whole number typed with full-width digits or separators → int; anything else as it is (refused later)."""
    t = _GROUPING.sub("", unicodedata.normalize("NFKC", text or "").strip())
    return int(t) if re.fullmatch(r"[0-9]{1,9}", t) else t


def collect(form: Mapping[str, str], *, money: Iterable[str] = (), ints: Iterable[str] = (),
            fields: Iterable[str]) -> dict[str, Any]:
    """The JSON body a form stands for: dotted names nest, blank fields are left out (so "required" names them)."""
    money, ints = set(money), set(ints)
    body: dict[str, Any] = {}
    for name in fields:
        raw = form.get(name, "")
        if raw is None or not str(raw).strip():
            continue
        value: Any = normalize_money(raw) if name in money else normalize_int(raw) if name in ints else raw
        node = body
        *parents, leaf = name.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return body


def load(schema: Schema, body: dict[str, Any]) -> dict[str, Any]:
    """Load through the API's schema; a refusal becomes the same 422 the API answers, naming the fields."""
    try:
        return schema.load(body)
    except ValidationError as exc:
        errors = flatten_messages(exc.messages)
        raise RuleViolation("the form has invalid fields: " + ", ".join(sorted(errors)), errors) from None


def field_errors(err: DomainError) -> tuple[dict[str, list[str]], str]:
    """``(errors by field, message for the form as a whole)`` of a refusal."""
    return dict(err.errors or {}), err.detail
