"""(reserved slot: filled by the change that needs it, removed if none does)

Revision ID: 0012_hostile_input
Revises: 0011_pool_money
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0012_hostile_input"
down_revision: str | Sequence[str] | None = "0011_pool_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
