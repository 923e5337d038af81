"""Shared schema pieces: the strict base, exact money and rate fields, paging and the list envelope."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from bridgefund.messages import money
from bridgefund.text import BadText, clean

MAX_MONEY = Decimal("1000000000000.00")  # one trillion yuan: far beyond any fund, well inside BIGINT fen
#: Money: ASCII digits and exactly two decimals ("1500000.00"); no sign but "-", no spaces, no other digits.
_MONEY_RE = re.compile(r"-?[0-9]{1,15}\.[0-9]{2}")
#: Rates and shares: ASCII digits, up to the field's places.
_DECIMAL_RE = re.compile(r"-?[0-9]{1,15}(\.[0-9]+)?")


class StrictSchema(Schema):
    """Unknown fields are an error (422 naming the field), never silently dropped."""

    class Meta:
        unknown = RAISE


class ExactDecimal(fields.Field):
    """A decimal carried as a JSON string, never a JSON number (floats never enter the code path).

    Input must be a plain decimal string with at most ``places`` decimals within [minimum, maximum];
    output is a string with exactly ``places`` decimals.
    """

    def __init__(
        self,
        places: int,
        *,
        minimum: Decimal = Decimal(0),
        maximum: Decimal | None = None,
        min_exclusive: bool = False,
        min_places: int | None = None,
        example: str | None = None,
        **kwargs: Any,
    ) -> None:
        metadata = kwargs.pop("metadata", {})
        metadata.setdefault("example", example or ("1500000.00" if places == 2 else "0.0002"))
        super().__init__(metadata=metadata, **kwargs)
        self.places = places
        self.minimum = minimum
        self.maximum = maximum
        self.min_exclusive = min_exclusive
        self.quantum = Decimal(1).scaleb(-places)
        #: Output keeps at least this many decimals (money: always 2; rates: "0.50", "0.0002").
        self.min_places = places if min_places is None else min_places

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        d = Decimal(value).quantize(self.quantum)
        if self.min_places < self.places:
            d = d.normalize()
            if d.as_tuple().exponent > -self.min_places:  # type: ignore[operator]
                d = d.quantize(Decimal(1).scaleb(-self.min_places))
        return f"{d:f}"

    def _shown(self, bound: Decimal) -> str:
        """A bound as messages print it: money with two decimals, other decimals as plain as they are."""
        return money(bound) if self.places == 2 else self._serialize(bound, None, None) or ""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ValidationError(f'Must be a string decimal such as "{self.metadata["example"]}", not a JSON number.')
        if self.places == 2 and not _MONEY_RE.fullmatch(value):
            raise ValidationError('Not a valid amount: ASCII digits with exactly two decimals, such as "1500000.00".')
        if not _DECIMAL_RE.fullmatch(value):
            raise ValidationError("Not a valid decimal number: ASCII digits only, such as \"0.50\".")
        try:
            d = Decimal(value)
        except InvalidOperation as exc:  # pragma: no cover - the regex already guards
            raise ValidationError("Not a valid decimal number.") from exc
        if d.as_tuple().exponent < -self.places:  # type: ignore[operator]
            raise ValidationError(f"At most {self.places} decimal places.")
        if d < self.minimum or (self.min_exclusive and d == self.minimum):
            op = "greater than" if self.min_exclusive else "at least"
            raise ValidationError(f"Must be {op} {self._shown(self.minimum)}.")
        if self.maximum is not None and d > self.maximum:
            raise ValidationError(f"Must be at most {self._shown(self.maximum)}.")
        return d.quantize(self.quantum)


def Money(**kwargs: Any) -> ExactDecimal:  # noqa: N802 - reads like a field type
    """Yuan, two decimals, ≥ 0 (``positive=True`` for > 0)."""
    positive = kwargs.pop("positive", False)
    return ExactDecimal(2, maximum=MAX_MONEY, min_exclusive=positive, **kwargs)


def Rate(**kwargs: Any) -> ExactDecimal:  # noqa: N802
    """A rate or share with up to eight decimals, 0 ≤ x ≤ ``maximum`` (default 1)."""
    maximum = kwargs.pop("maximum", Decimal(1))
    return ExactDecimal(8, maximum=maximum, min_places=2, example=kwargs.pop("example", "0.50"), **kwargs)


#: Every date a request carries (``as_of``, value dates, decisions, filters) lies in 1900-01-01 … 2199-12-31 (422
#: otherwise), on every endpoint alike: wide enough for any loan, narrow enough for date arithmetic. Business
#: dates are further bounded by the fund's ``established_on`` (services.common.check_value_date).
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)


def BusinessDate(**kwargs: Any) -> fields.Date:  # noqa: N802 - reads like a field type
    """A ``YYYY-MM-DD`` date within :data:`EARLIEST` … :data:`LATEST` (the one definition of that bound)."""
    return fields.Date(validate=validate.Range(min=EARLIEST, max=LATEST), **kwargs)


class CleanText(fields.String):
    """Every free-text input: trimmed, NFC-normalised, and only characters that print as what they are
    (:func:`bridgefund.text.clean`); blank after trimming is refused too when the field needs a value (422).
    """

    def __init__(self, *, multiline: bool = False, blank: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.multiline = multiline
        self.blank = blank

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        try:
            text = clean(super()._deserialize(value, attr, data, **kwargs), multiline=self.multiline)
        except BadText as exc:
            raise ValidationError(str(exc)) from None
        if not text and not self.blank:
            raise ValidationError("Must not be blank.")
        return text


def Text(max_length: int, **kwargs: Any) -> CleanText:  # noqa: N802
    """A :class:`CleanText` with a maximum length, so no input can overflow a column.

    ``min_length`` ≥ 1 (the default for required fields) also refuses text that is blank after trimming.
    Fields of 500 characters or more (reasons, comments, notes) are ``multiline``: line feeds and tabs allowed.
    """
    min_length = kwargs.pop("min_length", 1 if kwargs.get("required") else 0)
    multiline = kwargs.pop("multiline", max_length >= 500)
    return CleanText(multiline=multiline, blank=min_length < 1,
                     validate=[validate.Length(min=min_length, max=max_length)], **kwargs)


def Secret(max_length: int, **kwargs: Any) -> fields.String:  # noqa: N802
    """A password: kept exactly as typed (never trimmed or normalised), but NUL and lone surrogates are refused."""
    return fields.String(validate=[validate.Length(min=1 if kwargs.get("required") else 0, max=max_length),
                                   _storable], **kwargs)


def _storable(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("Must not contain NUL characters.")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise ValidationError("Must not contain lone surrogates (not valid Unicode text).")


#: Ids in query strings: positive and within a 32-bit column.
Id = lambda **kw: fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), **kw)  # noqa: E731


class PageArgs(StrictSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ListArgs(PageArgs):
    """Paging plus how to count ``total``, and the answer's format (JSON, or every matching row as XLSX)."""

    format = fields.String(
        load_default="json", validate=validate.OneOf(["json", "xlsx"]),
        metadata={"description": "`json` (default): this page; `xlsx`: every row matching the filters (not just "
                                 "this page; up to 100,000, else 413) as an Excel sheet with Chinese headers, "
                                 "scoped like the JSON list. `page` > 1 and `after_id` do not combine with it"})

    total = fields.String(
        load_default="auto", validate=validate.OneOf(["auto", "exact"]),
        metadata={"description": "`auto`: `total` is exact up to a configured number of rows "
                                 "(BRIDGEFUND_EXACT_TOTAL_LIMIT, default 10000) and may be the database's estimate "
                                 "above it (`total_exact` says which); `exact`: always count every matching row "
                                 "(slower on large lists)"},
    )


class KeysetListArgs(ListArgs):
    """Paging for lists ordered newest id first: by ``page`` (offset) or by ``after_id`` (keyset)."""

    after_id = Id(metadata={"description": "keyset paging: the page is the `page_size` rows with an id below this "
                                           "one, in the list's order and filters (pass the previous answer's "
                                           "`next_after_id`); fast at any depth, unlike a high `page`. Not "
                                           "combinable with `page` > 1"})

    @validates_schema
    def _keyset_or_offset(self, data: dict, **_kw: object) -> None:
        if data.get("after_id") is not None and data.get("page", 1) > 1:
            raise ValidationError("cannot be combined with page > 1: page by after_id or by page, not both",
                                  "after_id")


_envelopes: dict[tuple[type[Schema], bool], type[Schema]] = {}


def page_of(item_schema: type[Schema], *, keyset: bool = False) -> type[Schema]:
    """The list envelope ``{items, page, page_size, total, total_exact}`` around ``item_schema``.

    ``keyset=True`` (lists taking ``after_id``, see :class:`KeysetListArgs`) adds ``next_after_id``.
    """
    key = (item_schema, keyset)
    if key not in _envelopes:
        name = item_schema.__name__.removesuffix("Schema") + ("KeysetPageSchema" if keyset else "PageSchema")
        members: dict[str, fields.Field] = {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
            "total": fields.Integer(required=True, metadata={
                "description": "rows matching the filters (the whole list, whatever the page or after_id); "
                               "an estimate when `total_exact` is false"}),
            "total_exact": fields.Boolean(required=True, metadata={
                "description": "false when `total` is the database's estimate (large lists; ask `total=exact`)"}),
        }
        if keyset:
            members["next_after_id"] = fields.Integer(required=True, allow_none=True, metadata={
                "description": "the last item's id when more rows follow (pass it as `after_id` for the next "
                               "page), null at the end of the list"})
        _envelopes[key] = type(name, (Schema,), members)
    return _envelopes[key]


class ProblemSchema(Schema):
    """RFC 9457 problem details; extension members (``amount_due``, ``existing_id`` …) may follow."""

    class Meta:
        unknown = INCLUDE  # documents additionalProperties: problem extensions are part of RFC 9457

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
