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
    # In place, not in batch mode: on SQLite batch mode rebuilt "learning_paths" and
    # "quizzes", and dropping the old tables with foreign keys on deleted their steps,
    # versions and attempts (ON DELETE CASCADE).
    op.add_column('courses', sa.Column('cover', sa.String(length=200), nullable=True))
    op.add_column('learning_paths', sa.Column('titles', sa.JSON(), nullable=False,
                                              server_default=sa.text("'{}'")))
    op.add_column('quizzes', sa.Column('titles', sa.JSON(), nullable=False,
                                       server_default=sa.text("'{}'")))



def downgrade():
    # In place (SQLite has dropped columns since 3.35): batch mode rebuilt the tables, and
    # dropping the old "courses" with foreign keys on deleted every lesson, progress and
    # attempt (ON DELETE CASCADE).
    for table, column in (('quizzes', 'titles'), ('learning_paths', 'titles'),
                          ('courses', 'cover')):
        op.drop_column(table, column)

