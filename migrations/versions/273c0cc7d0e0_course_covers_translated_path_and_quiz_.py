"""course covers, translated path and quiz titles

Existing paths and quizzes get an empty {} of translations (their title stays the only one
until the next content sync reads a [ja] table).

Revision ID: 273c0cc7d0e0
Revises: 591196570df1
Create Date: 2026-12-05 19:20:26.648381

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '273c0cc7d0e0'
down_revision = '591196570df1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover', sa.String(length=200), nullable=True))

    with op.batch_alter_table('learning_paths', schema=None) as batch_op:
        batch_op.add_column(sa.Column('titles', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))

    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('titles', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))



def downgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('titles')

    with op.batch_alter_table('learning_paths', schema=None) as batch_op:
        batch_op.drop_column('titles')

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('cover')

