"""The persistent model, one module per aggregate. Importing this package registers every table."""

from bridgefund.models.audit import AuditEvent
from bridgefund.models.bank import Bank, BankStatus, Guarantor
from bridgefund.models.enterprise import Enterprise, EnterpriseSize
from bridgefund.models.idempotency import IdempotencyRecord
from bridgefund.models.period import ClosedPeriod
from bridgefund.models.user import ApiToken, LoginThrottle, Role, User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Bank",
    "BankStatus",
    "ClosedPeriod",
    "Enterprise",
    "EnterpriseSize",
    "Guarantor",
    "IdempotencyRecord",
    "LoginThrottle",
    "Role",
    "User",
]
