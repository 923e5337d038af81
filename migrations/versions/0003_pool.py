"""pool: settings, ledger, pool loans with installments, repayments, claims, recoveries

Revision ID: 0003_pool
Revises: 0001_foundation
Create Date: 2026-11-25

A sibling of the bridge fund's 0002 (both revise the foundation); only the pool's tables live here.
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_pool'
down_revision: str | Sequence[str] | None = '0001_foundation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pool_account',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_pool_account_singleton')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_account'))
    )

    op.create_table('pool_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('leverage', sa.BigInteger(), nullable=False),
    sa.Column('default_pool_share', sa.BigInteger(), nullable=False),
    sa.Column('claim_after_days_overdue', sa.Integer(), nullable=False),
    sa.Column('bank_npl_threshold', sa.BigInteger(), nullable=False),
    sa.Column('pool_loss_threshold', sa.BigInteger(), nullable=False),
    sa.Column('max_loan_amount', sa.BigInteger(), nullable=False),
    sa.Column('max_annual_rate', sa.BigInteger(), nullable=False),
    sa.Column('penalty_rate_markup', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('claim_after_days_overdue >= 1', name=op.f('ck_pool_settings_claim_days_positive')),
    sa.CheckConstraint('id = 1', name=op.f('ck_pool_settings_singleton')),
    sa.CheckConstraint('leverage > 0', name=op.f('ck_pool_settings_leverage_positive')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_pool_settings_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_settings'))
    )

    op.create_table('pool_loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('contract_no', sa.String(length=64), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('annual_rate', sa.BigInteger(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('repayment_method', sa.String(length=20), nullable=False),
    sa.Column('guarantor_id', sa.Integer(), nullable=True),
    sa.Column('pool_share', sa.BigInteger(), nullable=False),
    sa.Column('guarantor_share', sa.BigInteger(), nullable=False),
    sa.Column('penalty_rate_markup', sa.BigInteger(), nullable=False),
    sa.Column('maturity_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('principal_repaid', sa.BigInteger(), nullable=False),
    sa.Column('interest_repaid', sa.BigInteger(), nullable=False),
    sa.Column('penalty_repaid', sa.BigInteger(), nullable=False),
    sa.Column('last_repayment_on', sa.Date(), nullable=True),
    sa.Column('repaid_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("repayment_method IN ('equal_installment', 'equal_principal', 'interest_only', 'bullet')", name=op.f('ck_pool_loans_method_known')),
    sa.CheckConstraint("status != 'repaid' OR repaid_on IS NOT NULL", name=op.f('ck_pool_loans_repaid_dated')),
    sa.CheckConstraint("status IN ('active', 'repaid', 'claimed')", name=op.f('ck_pool_loans_status_known')),
    sa.CheckConstraint('pool_share + guarantor_share <= 100000000', name=op.f('ck_pool_loans_shares_within_one')),
    sa.CheckConstraint('principal > 0', name=op.f('ck_pool_loans_principal_positive')),
    sa.CheckConstraint('term_months >= 1 AND term_months <= 360', name=op.f('ck_pool_loans_term_range')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_pool_loans_bank_id_banks')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_pool_loans_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_pool_loans_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['guarantor_id'], ['guarantors.id'], name=op.f('fk_pool_loans_guarantor_id_guarantors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_loans')),
    sa.UniqueConstraint('bank_id', 'contract_no', name='uq_pool_loans_bank_contract'),
    sa.UniqueConstraint('reference', name=op.f('uq_pool_loans_reference'))
    )
    with op.batch_alter_table('pool_loans', schema=None) as batch_op:
        batch_op.create_index('ix_pool_loans_bank_id_id', ['bank_id', 'id'], unique=False)
        batch_op.create_index('ix_pool_loans_enterprise_id', ['enterprise_id'], unique=False)

    op.create_table('pool_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('days_past_due', sa.Integer(), nullable=False),
    sa.Column('unpaid_principal', sa.BigInteger(), nullable=False),
    sa.Column('pool_share', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('filed_by', sa.Integer(), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approval_comment', sa.String(length=500), nullable=True),
    sa.Column('rejected_by', sa.Integer(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('paid_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status != 'paid' OR paid_on IS NOT NULL", name=op.f('ck_pool_claims_paid_dated')),
    sa.CheckConstraint("status != 'rejected' OR reason IS NOT NULL", name=op.f('ck_pool_claims_rejection_reasoned')),
    sa.CheckConstraint("status IN ('filed', 'approved', 'rejected', 'paid')", name=op.f('ck_pool_claims_status_known')),
    sa.CheckConstraint("status NOT IN ('approved', 'paid') OR approved_by IS NOT NULL", name=op.f('ck_pool_claims_approval_named')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_pool_claims_amount_positive')),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_pool_claims_approved_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_pool_claims_bank_id_banks')),
    sa.ForeignKeyConstraint(['filed_by'], ['users.id'], name=op.f('fk_pool_claims_filed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['loan_id'], ['pool_loans.id'], name=op.f('fk_pool_claims_loan_id_pool_loans')),
    sa.ForeignKeyConstraint(['paid_by'], ['users.id'], name=op.f('fk_pool_claims_paid_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rejected_by'], ['users.id'], name=op.f('fk_pool_claims_rejected_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_claims')),
    sa.UniqueConstraint('reference', name=op.f('uq_pool_claims_reference'))
    )
    with op.batch_alter_table('pool_claims', schema=None) as batch_op:
        batch_op.create_index('ix_pool_claims_bank_id_id', ['bank_id', 'id'], unique=False)
        batch_op.create_index('ix_pool_claims_loan_id', ['loan_id'], unique=False)

    op.create_table('pool_installments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('interest', sa.BigInteger(), nullable=False),
    sa.Column('principal_paid', sa.BigInteger(), nullable=False),
    sa.Column('interest_paid', sa.BigInteger(), nullable=False),
    sa.Column('penalty_charged', sa.BigInteger(), nullable=False),
    sa.Column('penalty_paid', sa.BigInteger(), nullable=False),
    sa.Column('penalty_accrued_to', sa.Date(), nullable=True),
    sa.Column('settled_on', sa.Date(), nullable=True),
    sa.CheckConstraint('interest_paid >= 0 AND interest_paid <= interest', name=op.f('ck_pool_installments_interest_paid_range')),
    sa.CheckConstraint('penalty_paid >= 0 AND penalty_paid <= penalty_charged', name=op.f('ck_pool_installments_penalty_paid_range')),
    sa.CheckConstraint('principal >= 0 AND interest >= 0', name=op.f('ck_pool_installments_amounts_not_negative')),
    sa.CheckConstraint('principal_paid >= 0 AND principal_paid <= principal', name=op.f('ck_pool_installments_principal_paid_range')),
    sa.ForeignKeyConstraint(['loan_id'], ['pool_loans.id'], name=op.f('fk_pool_installments_loan_id_pool_loans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_installments')),
    sa.UniqueConstraint('loan_id', 'seq', name='uq_pool_installments_loan_seq')
    )

    op.create_table('pool_repayments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('external_ref', sa.String(length=64), nullable=False),
    sa.Column('penalty', sa.BigInteger(), nullable=False),
    sa.Column('interest', sa.BigInteger(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('prepaid_principal', sa.BigInteger(), nullable=False),
    sa.Column('allocation', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount = penalty + interest + principal', name=op.f('ck_pool_repayments_split_adds_up')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_pool_repayments_amount_positive')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_pool_repayments_bank_id_banks')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_pool_repayments_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['loan_id'], ['pool_loans.id'], name=op.f('fk_pool_repayments_loan_id_pool_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_repayments')),
    sa.UniqueConstraint('bank_id', 'external_ref', name='uq_pool_repayments_bank_ref')
    )
    with op.batch_alter_table('pool_repayments', schema=None) as batch_op:
        batch_op.create_index('ix_pool_repayments_loan_id_value_date', ['loan_id', 'value_date'], unique=False)

    op.create_table('pool_recoveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('external_ref', sa.String(length=64), nullable=False),
    sa.Column('pool_amount', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_pool_recoveries_amount_positive')),
    sa.CheckConstraint('pool_amount >= 0 AND pool_amount <= amount', name=op.f('ck_pool_recoveries_pool_amount_range')),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_pool_recoveries_bank_id_banks')),
    sa.ForeignKeyConstraint(['claim_id'], ['pool_claims.id'], name=op.f('fk_pool_recoveries_claim_id_pool_claims')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_pool_recoveries_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['loan_id'], ['pool_loans.id'], name=op.f('fk_pool_recoveries_loan_id_pool_loans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_recoveries')),
    sa.UniqueConstraint('bank_id', 'external_ref', name='uq_pool_recoveries_bank_ref')
    )
    with op.batch_alter_table('pool_recoveries', schema=None) as batch_op:
        batch_op.create_index('ix_pool_recoveries_loan_id', ['loan_id'], unique=False)

    op.create_table('pool_ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('recovery_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind != 'claim_payout' OR claim_id IS NOT NULL", name=op.f('ck_pool_ledger_entries_payout_names_claim')),
    sa.CheckConstraint("kind IN ('contribution', 'claim_payout', 'recovery_share')", name=op.f('ck_pool_ledger_entries_kind_known')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_pool_ledger_entries_amount_positive')),
    sa.ForeignKeyConstraint(['claim_id'], ['pool_claims.id'], name=op.f('fk_pool_ledger_entries_claim_id_pool_claims')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_pool_ledger_entries_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recovery_id'], ['pool_recoveries.id'], name=op.f('fk_pool_ledger_entries_recovery_id_pool_recoveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_ledger_entries'))
    )
    with op.batch_alter_table('pool_ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_ledger_entries_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('ix_pool_ledger_entries_value_date', ['value_date'], unique=False)

    # The pool's lock row: payouts, contributions and new loans lock it FOR UPDATE.
    account = sa.table('pool_account', sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(account, [{'id': 1, 'created_at': dt.datetime.now(dt.UTC).replace(tzinfo=None)}])


def downgrade() -> None:
    for table in ('pool_ledger_entries', 'pool_recoveries', 'pool_repayments', 'pool_installments', 'pool_claims',
                  'pool_loans', 'pool_settings', 'pool_account'):
        op.drop_table(table)
