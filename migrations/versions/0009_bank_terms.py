"""(reserved slot: filled by the change that needs it, removed if none does)

Revision ID: 0009_bank_terms
Revises: 0008_claim_rejected_on
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0009_bank_terms"
down_revision: str | Sequence[str] | None = "0008_claim_rejected_on"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
