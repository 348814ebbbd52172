"""deal indexes for the KPI and health reports

The KPI and health pages count deals from indexes instead of reading every deal
(bench/tier_report.py, issue 15): approvals by month and by company, each company's first
won deal, and each person's deals registered (their activity).

Revision ID: 573d864cbce3
Revises: b56d4d4d8042
Create Date: 2026-12-04 21:12:21.350977

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '573d864cbce3'
down_revision = 'b56d4d4d8042'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_approved_at_organization_id',
                              ['approved_at', 'organization_id'], unique=False)
        batch_op.create_index('ix_deals_organization_id_status_closed_at',
                              ['organization_id', 'status', 'closed_at'], unique=False)
        batch_op.create_index('ix_deals_registered_by_id_registered_at',
                              ['registered_by_id', 'registered_at'], unique=False)


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_registered_by_id_registered_at')
        batch_op.drop_index('ix_deals_organization_id_status_closed_at')
        batch_op.drop_index('ix_deals_approved_at_organization_id')
