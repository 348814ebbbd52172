"""program terms versions and acceptances

Revision ID: bbaea33c52d5
Revises: ed5cfae6ced9
Create Date: 2026-12-07 15:48:24.937406

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bbaea33c52d5'
down_revision = 'ed5cfae6ced9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('terms_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=60), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('bodies', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terms_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_terms_versions_version'))
    )
    op.create_table('terms_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('accepted_name', sa.String(length=200), nullable=False),
    sa.Column('accepted_email', sa.String(length=254), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip_address', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_terms_acceptances_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_terms_acceptances_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['terms_versions.id'], name=op.f('fk_terms_acceptances_version_id_terms_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terms_acceptances')),
    sa.UniqueConstraint('organization_id', 'version_id', name=op.f('uq_terms_acceptances_organization_id_version_id'))
    )
    op.create_index(op.f('ix_terms_acceptances_version_id'), 'terms_acceptances', ['version_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_terms_acceptances_version_id'), table_name='terms_acceptances')
    op.drop_table('terms_acceptances')
    op.drop_table('terms_versions')
