"""(reserved slot: filled by the change that needs it, removed if none does)

Revision ID: 0010_decisions
Revises: 0009_bank_terms
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0010_decisions"
down_revision: str | Sequence[str] | None = "0009_bank_terms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
