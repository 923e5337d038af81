"""list indexes: (filter, id) so a filtered list page — by page 1 or by after_id — is one index range

Revision ID: 0007_list_indexes
Revises: 0006_summaries
Create Date: 2026-11-25

An officer's bridge loans (bank_id), the audit log by entity or by actor, and pool loans by status are listed
newest id first; with the filter column alone PostgreSQL walked the primary key backwards and filtered, which
degrades for rare values (docs/benchmarks.md, "Scale"). The two audit indexes replace their one-column forms.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_list_indexes"
down_revision: str | Sequence[str] | None = "0006_summaries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = [
    ("ix_bridge_loans_bank_id_id", "bridge_loans", ["bank_id", "id"]),
    ("ix_pool_loans_status_id", "pool_loans", ["status", "id"]),
    ("ix_audit_events_entity_id", "audit_events", ["entity_type", "entity_id", "id"]),
    ("ix_audit_events_actor_id_id", "audit_events", ["actor_id", "id"]),
]
REPLACED = [
    ("ix_audit_events_entity", "audit_events", ["entity_type", "entity_id"]),
    ("ix_audit_events_actor_id", "audit_events", ["actor_id"]),
]


def upgrade() -> None:
    for name, table, columns in NEW:
        op.create_index(name, table, columns, unique=False)
    for name, table, _columns in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, columns in REPLACED:
        op.create_index(name, table, columns, unique=False)
    for name, table, _columns in NEW:
        op.drop_index(name, table_name=table)
