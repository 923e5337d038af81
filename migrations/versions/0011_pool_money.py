"""(reserved slot: filled by the change that needs it, removed if none does)

Revision ID: 0011_pool_money
Revises: 0010_decisions
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0011_pool_money"
down_revision: str | Sequence[str] | None = "0010_decisions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
