"""(reserved slot: filled by the change that needs it, removed if none does)

Revision ID: 0013_import
Revises: 0012_hostile_input
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0013_import"
down_revision: str | Sequence[str] | None = "0012_hostile_input"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
