"""The persistent model, one module per aggregate. Importing this package registers every table."""

from bridgefund.models.audit import AuditEvent
from bridgefund.models.bank import Bank, BankStatus, BankTerms, Guarantor
from bridgefund.models.bridge_loan import BridgeApproval, BridgeLoan, BridgeLoanStatus, BridgeRepayment
from bridgefund.models.calendar import CalendarDay, DayKind
from bridgefund.models.document import Document, DocumentKind, FileChunk, StoredFile, SubjectType
from bridgefund.models.enterprise import Enterprise, EnterpriseSize
from bridgefund.models.fund import FundAccount, FundLedgerEntry, FundSettings, LedgerKind
from bridgefund.models.idempotency import IdempotencyRecord
from bridgefund.models.job import Job, JobKind, JobStatus, WorkerHeartbeat
from bridgefund.models.notification import (
    Channel,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationEvent,
    NotificationSetting,
)
from bridgefund.models.period import ClosedPeriod, MonthSnapshot, SnapshotKind
from bridgefund.models.pool import (
    Claim,
    ClaimStatus,
    PoolAccount,
    PoolEntryKind,
    PoolInstallment,
    PoolLedgerEntry,
    PoolLoan,
    PoolLoanStatus,
    PoolRecovery,
    PoolRepayment,
    PoolSettings,
)
from bridgefund.models.reference import ReferenceCounter
from bridgefund.models.report import Report, ReportKind
from bridgefund.models.summary import FundDay, PoolBankDay, PoolBankMonth, SummaryState
from bridgefund.models.user import ApiToken, LoginThrottle, Role, User

__all__ = [
    "SubjectType",
    "StoredFile",
    "FileChunk",
    "DocumentKind",
    "Document",
    "ApiToken",
    "AuditEvent",
    "Bank",
    "BankStatus",
    "BankTerms",
    "BridgeApproval",
    "BridgeLoan",
    "BridgeLoanStatus",
    "BridgeRepayment",
    "CalendarDay",
    "Claim",
    "ClaimStatus",
    "ClosedPeriod",
    "Enterprise",
    "DayKind",
    "EnterpriseSize",
    "FundAccount",
    "FundDay",
    "FundLedgerEntry",
    "FundSettings",
    "Guarantor",
    "MonthSnapshot",
    "IdempotencyRecord",
    "Job",
    "JobKind",
    "JobStatus",
    "LedgerKind",
    "LoginThrottle",
    "Channel",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Notification",
    "NotificationDelivery",
    "NotificationEvent",
    "NotificationSetting",
    "PoolAccount",
    "PoolBankDay",
    "PoolBankMonth",
    "PoolEntryKind",
    "PoolInstallment",
    "PoolLedgerEntry",
    "PoolLoan",
    "PoolLoanStatus",
    "PoolRecovery",
    "PoolRepayment",
    "PoolSettings",
    "ReferenceCounter",
    "Report",
    "ReportKind",
    "Role",
    "SnapshotKind",
    "SummaryState",
    "User",
    "WorkerHeartbeat",
]
