"""the modules of December 2026: research, oversight, channels, the console, the guide and contacts, self-service; revocable bind keys

Revision ID: 0002
Revises: 0001
Created: 2026-12-02 16:04:57.545633
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('scope', sa.String(length=12), nullable=False),
    sa.Column('code', sa.String(length=48), nullable=True),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=150), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=100), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('hours', sa.String(length=100), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('contacts_pkey'))
    )
    op.create_table('guide_pages',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key', 'lang', name=op.f('guide_pages_pkey'))
    )
    op.create_table('channels',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=96), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('channels_district_code_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('channels_pkey')),
    sa.UniqueConstraint('code', name=op.f('channels_code_key'))
    )
    op.create_table('channel_feeds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_fetch_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('channel_feeds_channel_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('channel_feeds_pkey')),
    sa.UniqueConstraint('channel_id', 'url', name='uq_channel_feeds_url')
    )
    op.create_table('oversight_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('promise', sa.Text(), nullable=False),
    sa.Column('source_kind', sa.String(length=12), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('committee_code', sa.String(length=48), nullable=True),
    sa.Column('raisers', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('due_days', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('opened_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('oversight_items_department_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('oversight_items_pkey'))
    )
    op.create_table('channel_editors',
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('channel_editors_channel_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('channel_editors_member_id_fkey')),
    sa.PrimaryKeyConstraint('channel_id', 'member_id', name=op.f('channel_editors_pkey'))
    )
    op.create_table('channel_feed_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('feed_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('new_entries', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['feed_id'], ['channel_feeds.id'], name=op.f('channel_feed_runs_feed_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('channel_feed_runs_pkey'))
    )
    op.create_table('channel_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=1000), nullable=True),
    sa.Column('file', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('publish_at', sa.DateTime(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('profile_member_id', sa.Integer(), nullable=True),
    sa.Column('feed_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], name=op.f('channel_items_author_id_fkey')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('channel_items_channel_id_fkey')),
    sa.ForeignKeyConstraint(['feed_id'], ['channel_feeds.id'], name=op.f('channel_items_feed_id_fkey')),
    sa.ForeignKeyConstraint(['profile_member_id'], ['members.id'], name=op.f('channel_items_profile_member_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('channel_items_pkey')),
    sa.UniqueConstraint('feed_id', 'entry_id', name='uq_channel_items_feed_entry')
    )
    with op.batch_alter_table('channel_items', schema=None) as batch_op:
        batch_op.create_index('ix_channel_items_published', ['status', 'published_at'], unique=False)

    op.create_table('channel_profile_consents',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('consent', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('channel_profile_consents_member_id_fkey')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('channel_profile_consents_pkey'))
    )
    op.create_table('channel_subscriptions',
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('channel_subscriptions_channel_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('channel_subscriptions_member_id_fkey')),
    sa.PrimaryKeyConstraint('channel_id', 'member_id', name=op.f('channel_subscriptions_pkey'))
    )
    op.create_table('console_links',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('console_links_member_id_fkey')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('console_links_pkey'))
    )
    op.create_table('console_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('console_sessions_member_id_fkey')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('console_sessions_pkey'))
    )
    op.create_table('member_phones',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=24), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('member_phones_member_id_fkey')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('member_phones_pkey'))
    )
    op.create_table('oversight_findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['oversight_items.id'], name=op.f('oversight_findings_item_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('oversight_findings_member_id_fkey')),
    sa.ForeignKeyConstraint(['session_id'], ['study_sessions.id'], name=op.f('oversight_findings_session_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('oversight_findings_pkey'))
    )
    op.create_table('oversight_inspections',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['oversight_items.id'], name=op.f('oversight_inspections_item_id_fkey')),
    sa.ForeignKeyConstraint(['session_id'], ['study_sessions.id'], name=op.f('oversight_inspections_session_id_fkey')),
    sa.PrimaryKeyConstraint('item_id', 'session_id', name=op.f('oversight_inspections_pkey'))
    )
    op.create_table('oversight_ratings',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['oversight_items.id'], name=op.f('oversight_ratings_item_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('oversight_ratings_member_id_fkey')),
    sa.PrimaryKeyConstraint('item_id', 'round', 'member_id', name=op.f('oversight_ratings_pkey'))
    )
    op.create_table('oversight_replies',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('file_path', sa.String(length=500), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['oversight_items.id'], name=op.f('oversight_replies_item_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('oversight_replies_pkey'))
    )
    op.create_table('oversight_steps',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('status_from', sa.String(length=24), nullable=True),
    sa.Column('status_to', sa.String(length=24), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['oversight_items.id'], name=op.f('oversight_steps_item_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('oversight_steps_pkey'))
    )
    op.create_table('research_projects',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('committee_code', sa.String(length=48), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('goal', sa.Text(), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('opened_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('report_file_id', sa.String(length=256), nullable=True),
    sa.Column('report_name', sa.String(length=200), nullable=True),
    sa.Column('report_summary', sa.Text(), nullable=True),
    sa.Column('reported_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['committee_code'], ['committees.code'], name=op.f('research_projects_committee_code_fkey')),
    sa.ForeignKeyConstraint(['opened_by'], ['members.id'], name=op.f('research_projects_opened_by_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('research_projects_pkey'))
    )
    op.create_table('research_proposals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('committee_code', sa.String(length=48), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('questions', sa.Text(), nullable=False),
    sa.Column('file_id', sa.String(length=256), nullable=True),
    sa.Column('file_kind', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('decline_reason', sa.String(length=500), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['committee_code'], ['committees.code'], name=op.f('research_proposals_committee_code_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('research_proposals_member_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('research_proposals_pkey'))
    )
    op.create_table('year_summaries',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('year_summaries_member_id_fkey')),
    sa.PrimaryKeyConstraint('year', 'member_id', name=op.f('year_summaries_pkey'))
    )
    op.create_table('channel_receipts',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['channel_items.id'], name=op.f('channel_receipts_item_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('channel_receipts_member_id_fkey')),
    sa.PrimaryKeyConstraint('item_id', 'member_id', name=op.f('channel_receipts_pkey'))
    )
    op.create_table('research_findings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('file_id', sa.String(length=256), nullable=True),
    sa.Column('file_kind', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('research_findings_member_id_fkey')),
    sa.ForeignKeyConstraint(['project_id'], ['research_projects.id'], name=op.f('research_findings_project_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('research_findings_pkey'))
    )
    with op.batch_alter_table('research_findings', schema=None) as batch_op:
        batch_op.create_index('ix_research_findings_project', ['project_id'], unique=False)

    op.create_table('research_members',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=True),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('research_members_member_id_fkey')),
    sa.ForeignKeyConstraint(['project_id'], ['research_projects.id'], name=op.f('research_members_project_id_fkey')),
    sa.PrimaryKeyConstraint('project_id', 'member_id', name=op.f('research_members_pkey'))
    )
    with op.batch_alter_table('research_members', schema=None) as batch_op:
        batch_op.create_index('ix_research_members_member', ['member_id'], unique=False)

    op.create_table('research_milestones',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['research_projects.id'], name=op.f('research_milestones_project_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('research_milestones_pkey'))
    )
    with op.batch_alter_table('research_milestones', schema=None) as batch_op:
        batch_op.create_index('ix_research_milestones_project', ['project_id'], unique=False)

    op.create_table('research_visits',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['research_projects.id'], name=op.f('research_visits_project_id_fkey')),
    sa.ForeignKeyConstraint(['session_id'], ['study_sessions.id'], name=op.f('research_visits_session_id_fkey')),
    sa.PrimaryKeyConstraint('project_id', 'session_id', name=op.f('research_visits_pkey'))
    )
    with op.batch_alter_table('bind_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('bind_keys', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')

    op.drop_table('research_visits')
    with op.batch_alter_table('research_milestones', schema=None) as batch_op:
        batch_op.drop_index('ix_research_milestones_project')

    op.drop_table('research_milestones')
    with op.batch_alter_table('research_members', schema=None) as batch_op:
        batch_op.drop_index('ix_research_members_member')

    op.drop_table('research_members')
    with op.batch_alter_table('research_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_research_findings_project')

    op.drop_table('research_findings')
    op.drop_table('channel_receipts')
    op.drop_table('year_summaries')
    op.drop_table('research_proposals')
    op.drop_table('research_projects')
    op.drop_table('oversight_steps')
    op.drop_table('oversight_replies')
    op.drop_table('oversight_ratings')
    op.drop_table('oversight_inspections')
    op.drop_table('oversight_findings')
    op.drop_table('member_phones')
    op.drop_table('console_sessions')
    op.drop_table('console_links')
    op.drop_table('channel_subscriptions')
    op.drop_table('channel_profile_consents')
    with op.batch_alter_table('channel_items', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_items_published')

    op.drop_table('channel_items')
    op.drop_table('channel_feed_runs')
    op.drop_table('channel_editors')
    op.drop_table('oversight_items')
    op.drop_table('channel_feeds')
    op.drop_table('channels')
    op.drop_table('guide_pages')
    op.drop_table('contacts')
