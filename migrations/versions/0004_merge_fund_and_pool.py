"""merge the bridge-loan fund and the pool branches

Revision ID: 0004_merge_fund_and_pool
Revises: 0002_bridge_fund, 0003_pool
Create Date: 2026-11-25
"""

from collections.abc import Sequence

revision: str = "0004_merge_fund_and_pool"
down_revision: str | Sequence[str] | None = ("0002_bridge_fund", "0003_pool")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
