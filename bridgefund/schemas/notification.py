"""Schemas of notifications, the user's channel settings and the outbox."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from bridgefund.schemas.common import KeysetListArgs, StrictSchema, Text

DELIVERY_STATUSES = ["pending", "sent", "failed"]


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "`bridge_due_in_3`, `bridge_due_tomorrow`, `bridge_due_today`, "
                                                  "`bridge_fee_step_up`, `bridge_renewal_late`, `bridge_overdue`, "
                                                  "`bridge_default_soon`, `pool_claim_eligible`, "
                                                  "`pool_npl_near_threshold`, `pool_quota_high`, `fund_cash_short`, "
                                                  "`monthly_report_ready`, `summaries_differ`, `renewal_unpaid`"})
    subject_type = fields.String(metadata={"description": "`bridge_loan`, `pool_loan`, `bank`, `fund`, "
                                                          "`report_period`, `summaries`"})
    subject_id = fields.Integer()
    title = fields.String()
    body = fields.String()
    link = fields.String(metadata={"description": "the subject's page in the console, relative to its base URL"})
    business_date = fields.Date()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationListArgs(KeysetListArgs):
    unread = fields.Boolean(metadata={"description": "true: only unread; false: only read; absent: all"})


class ReadAllSchema(Schema):
    marked = fields.Integer(metadata={"description": "notifications marked read now"})


class UnreadCountSchema(Schema):
    unread = fields.Integer()


class ChannelsSchema(StrictSchema):
    in_app = fields.Boolean(load_default=True, metadata={"description": "always true: in-app cannot be turned off"})
    email = fields.Boolean(required=True)
    wecom = fields.Boolean(required=True)


class NotificationSettingsSchema(Schema):
    email = fields.String(allow_none=True)
    wecom_webhook_set = fields.Boolean(metadata={"description": "whether a WeCom robot webhook is stored (its key "
                                                                "is a secret and never shown)"})
    lang = fields.String(metadata={"description": "`zh` or `en`: the language of the user's messages"})
    channels = fields.Nested(ChannelsSchema)


class NotificationSettingsPutSchema(StrictSchema):
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    wecom_webhook = Text(500, allow_none=True, metadata={
        "description": "the WeCom group robot's webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…)"})
    lang = fields.String(validate=validate.OneOf(["zh", "en"]))
    channels = fields.Nested(ChannelsSchema, required=True)


class DeliverySchema(Schema):
    id = fields.Integer()
    notification_id = fields.Integer()
    channel = fields.String(metadata={"description": "`email`, `wecom` or `sms`"})
    status = fields.String(metadata={"description": "`pending`, `sent` or `failed`"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class DeliveryListArgs(KeysetListArgs):
    status = fields.String(validate=validate.OneOf(DELIVERY_STATUSES))
