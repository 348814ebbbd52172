"""knowledge base articles, votes and questions

Revision ID: 2a47f938307c
Revises: bbaea33c52d5
Create Date: 2026-12-07 16:14:38.136255

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2a47f938307c'
down_revision = 'bbaea33c52d5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kb_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_categories')),
    sa.UniqueConstraint('slug', name=op.f('uq_kb_categories_slug'))
    )
    op.create_table('kb_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('titles', sa.JSON(), nullable=False),
    sa.Column('bodies', sa.JSON(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['kb_categories.id'], name=op.f('fk_kb_articles_category_id_kb_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles')),
    sa.UniqueConstraint('slug', name=op.f('uq_kb_articles_slug'))
    )
    op.create_index(op.f('ix_kb_articles_category_id'), 'kb_articles', ['category_id'], unique=False)

    op.create_table('kb_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('open', 'answered', name='question_status', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_kb_questions_asked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_kb_questions_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_questions'))
    )
    op.create_index(op.f('ix_kb_questions_asked_by_id'), 'kb_questions', ['asked_by_id'], unique=False)
    op.create_index(op.f('ix_kb_questions_organization_id'), 'kb_questions', ['organization_id'], unique=False)
    op.create_index('ix_kb_questions_status_updated', 'kb_questions', ['status', 'updated_at'], unique=False)

    op.create_table('kb_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('helpful', sa.Boolean(), nullable=False),
    sa.Column('voted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_votes_article_id_kb_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_kb_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_votes')),
    sa.UniqueConstraint('article_id', 'user_id', name=op.f('uq_kb_votes_article_id_user_id'))
    )
    op.create_index(op.f('ix_kb_votes_user_id'), 'kb_votes', ['user_id'], unique=False)

    op.create_table('kb_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('from_vendor', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_kb_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['kb_questions.id'], name=op.f('fk_kb_messages_question_id_kb_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_messages'))
    )
    op.create_index(op.f('ix_kb_messages_question_id'), 'kb_messages', ['question_id'], unique=False)



def downgrade():
    op.drop_index(op.f('ix_kb_messages_question_id'), table_name='kb_messages')

    op.drop_table('kb_messages')
    op.drop_index(op.f('ix_kb_votes_user_id'), table_name='kb_votes')

    op.drop_table('kb_votes')
    op.drop_index('ix_kb_questions_status_updated', table_name='kb_questions')
    op.drop_index(op.f('ix_kb_questions_organization_id'), table_name='kb_questions')
    op.drop_index(op.f('ix_kb_questions_asked_by_id'), table_name='kb_questions')

    op.drop_table('kb_questions')
    op.drop_index(op.f('ix_kb_articles_category_id'), table_name='kb_articles')

    op.drop_table('kb_articles')
    op.drop_table('kb_categories')
