"""Schemas for users, auth, banks, guarantors, enterprises and audit events."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate

from bridgefund.models import BankStatus, EnterpriseSize, Role
from bridgefund.schemas.common import BusinessDate, Id, KeysetListArgs, Money, Rate, Secret, StrictSchema, Text

ROLES = [r.value for r in Role]

# --- auth and users --------------------------------------------------------------------------------


class LoginSchema(StrictSchema):
    username = Text(64, required=True)
    password = Secret(256, required=True)


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String(metadata={"enum": ROLES})
    bank_id = fields.Integer(allow_none=True)
    active = fields.Boolean()
    created_at = fields.DateTime()


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    user = fields.Nested(UserSchema)


class UserCreateSchema(StrictSchema):
    username = fields.String(required=True, validate=[
        validate.Length(min=3, max=64),
        validate.Regexp(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z", error="Letters, digits, '.', '_' and '-' only."),
    ])
    password = Secret(128, required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    bank_id = Id(allow_none=True)


class UserPatchSchema(StrictSchema):
    active = fields.Boolean()
    role = fields.String(validate=validate.OneOf(ROLES))
    bank_id = Id(allow_none=True)
    password = Secret(128)


class UserListArgs(KeysetListArgs):
    role = fields.String(validate=validate.OneOf(ROLES))


# --- banks and guarantors --------------------------------------------------------------------------


class BankSchema(Schema):
    """A bank with the terms in force on the day asked (``as_of``, default today; before it became a partner,
    its first terms)."""

    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    status = fields.String(metadata={"enum": [s.value for s in BankStatus]})
    pool_quota = Money()
    pool_quota_used = Money()
    pool_share = Rate()
    npl_ratio = Rate()
    suspended_on = fields.Date(allow_none=True)
    status_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    #: The day the bank became a partner (its first terms' date).
    partner_since = fields.Date()
    #: The date from which the terms shown are in force.
    terms_effective_from = fields.Date()


class BankTermsSchema(Schema):
    """One row of ``GET /banks/{id}/terms``: the terms in force from ``effective_from`` until the next row's."""

    effective_from = fields.Date()
    name = fields.String()
    status = fields.String(metadata={"enum": [s.value for s in BankStatus]})
    pool_quota = Money()
    pool_share = Rate()
    #: The fields this row sets (the others are carried from the row before it).
    changed = fields.List(fields.String())
    changed_by = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class BankTermsListSchema(Schema):
    items = fields.List(fields.Nested(BankTermsSchema))


class BankAsOfArgs(StrictSchema):
    as_of = BusinessDate(metadata={"description": "Show the terms in force on this date (default: today)."})


class BankCreateSchema(StrictSchema):
    code = fields.String(required=True, validate=[
        validate.Length(min=2, max=32),
        validate.Regexp(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z", error="Letters, digits, '_' and '-' only."),
    ])
    name = Text(200, required=True)
    pool_quota = Money()
    pool_share = Rate()
    effective_from = BusinessDate(metadata={"description": "The day the bank became a partner (default today)."})


class BankPatchSchema(StrictSchema):
    name = Text(200, min_length=1)
    pool_quota = Money()
    pool_share = Rate()
    status = fields.String(validate=validate.OneOf([s.value for s in BankStatus]))
    reason = Text(500)
    effective_from = BusinessDate(metadata={
        "description": "The changed terms are in force from this date (default today; never in a closed month)."})


class BankListArgs(KeysetListArgs):
    status = fields.String(validate=validate.OneOf([s.value for s in BankStatus]))
    as_of = BusinessDate(metadata={"description": "Show (and filter by) the terms in force on this date."})


class GuarantorSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    guarantee_share = Rate()
    created_at = fields.DateTime()


class GuarantorCreateSchema(StrictSchema):
    name = Text(200, required=True)
    guarantee_share = Rate(required=True)


class GuarantorPatchSchema(StrictSchema):
    name = Text(200, min_length=1)
    guarantee_share = Rate()


# --- enterprises -----------------------------------------------------------------------------------

SIZES = [s.value for s in EnterpriseSize]


class EnterpriseSchema(Schema):
    id = fields.Integer()
    uscc = fields.String()
    name = fields.String()
    size = fields.String(metadata={"enum": SIZES})
    industry = fields.String(allow_none=True)
    in_zone = fields.Boolean()
    created_at = fields.DateTime()


class EnterpriseCreateSchema(StrictSchema):
    uscc = fields.String(required=True, validate=validate.Length(equal=18, error="Must be exactly 18 characters."))
    name = Text(200, required=True)
    size = fields.String(required=True, validate=validate.OneOf(SIZES))
    industry = Text(100, allow_none=True)
    in_zone = fields.Boolean(required=True)


class EnterprisePatchSchema(StrictSchema):
    name = Text(200, min_length=1)
    size = fields.String(validate=validate.OneOf(SIZES))
    industry = Text(100, allow_none=True)
    in_zone = fields.Boolean()


class EnterpriseListArgs(KeysetListArgs):
    q = Text(100)
    uscc = Text(18)


# --- audit -----------------------------------------------------------------------------------------


class AuditEventSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String(allow_none=True)
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.Integer(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    ip = fields.String(allow_none=True)


class AuditListArgs(KeysetListArgs):
    entity_type = Text(40)
    entity_id = Id()
    actor_id = Id()
    action = Text(40)
    request_id = Text(64)
    #: RFC 3339 instants; without an offset they are read as UTC.
    from_ = fields.AwareDateTime(data_key="from", default_timezone=dt.UTC)
    to = fields.AwareDateTime(default_timezone=dt.UTC)
