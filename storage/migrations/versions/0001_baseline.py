"""baseline: the schema as it was when revisions began

Revision ID: 0001
Revises: 
Created: 2026-12-02 14:27:05.946351
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('audit_log_pkey'))
    )
    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('calendar_days_pkey'))
    )
    op.create_table('committees',
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('committees_pkey'))
    )
    op.create_table('conversations',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('flow', sa.String(length=24), nullable=False),
    sa.Column('step', sa.String(length=24), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('conversations_pkey'))
    )
    op.create_table('counters',
    sa.Column('name', sa.String(length=48), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('counters_pkey'))
    )
    op.create_table('digest_runs',
    sa.Column('period', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period', name=op.f('digest_runs_pkey'))
    )
    op.create_table('districts',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=False),
    sa.Column('pilot', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('districts_pkey'))
    )
    op.create_table('domains',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=96), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('domains_pkey'))
    )
    op.create_table('flood_counters',
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('flood_counters_pkey'))
    )
    op.create_table('inbox',
    sa.Column('update_id', sa.BigInteger(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('update_id', name=op.f('inbox_pkey'))
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_status', ['status', 'update_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=96), nullable=True),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('is_group', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('outbox_pkey')),
    sa.UniqueConstraint('key', name=op.f('outbox_key_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'priority', 'not_before', 'id'], unique=False)

    op.create_table('point_rules',
    sa.Column('key', sa.String(length=48), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('cap_per_month', sa.Integer(), nullable=True),
    sa.Column('label_zh', sa.String(length=64), nullable=False),
    sa.Column('label_en', sa.String(length=96), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('point_rules_pkey'))
    )
    op.create_table('sectors',
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=96), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('sectors_pkey'))
    )
    op.create_table('study_plans',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('remind_at', sa.String(length=5), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('study_plans_pkey'))
    )
    op.create_table('study_sessions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('reminders', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('checkin_code', sa.String(length=12), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=True),
    sa.Column('materials_sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('announced_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('study_sessions_pkey')),
    sa.UniqueConstraint('checkin_code', name=op.f('study_sessions_checkin_code_key'))
    )
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_study_sessions_starts', ['starts_at'], unique=False)

    op.create_table('tags',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=96), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('tags_pkey'))
    )
    op.create_table('timers',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('fired_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('timers_pkey'))
    )
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.create_index('ix_timers_due', ['status', 'due_at'], unique=False)

    op.create_table('topics',
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=96), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('topics_pkey'))
    )
    op.create_table('departments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=128), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('departments_district_code_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('departments_pkey')),
    sa.UniqueConstraint('code', name=op.f('departments_code_key'))
    )
    op.create_table('reply_templates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('topic_code', sa.String(length=48), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['topic_code'], ['topics.code'], name=op.f('reply_templates_topic_code_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('reply_templates_pkey'))
    )
    op.create_table('streets',
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('streets_district_code_fkey')),
    sa.PrimaryKeyConstraint('code', name=op.f('streets_pkey'))
    )
    op.create_table('study_plan_days',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('day_no', sa.Integer(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('kinds', sa.String(length=64), nullable=False),
    sa.Column('assignment', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['study_plans.id'], name=op.f('study_plan_days_plan_id_fkey')),
    sa.PrimaryKeyConstraint('plan_id', 'day_no', name=op.f('study_plan_days_pkey'))
    )
    op.create_table('members',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('roster_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=True),
    sa.Column('street_code', sa.String(length=48), nullable=True),
    sa.Column('sector_code', sa.String(length=48), nullable=True),
    sa.Column('committee_code', sa.String(length=48), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=True),
    sa.Column('reachable', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['committee_code'], ['committees.code'], name=op.f('members_committee_code_fkey')),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('members_district_code_fkey')),
    sa.ForeignKeyConstraint(['sector_code'], ['sectors.code'], name=op.f('members_sector_code_fkey')),
    sa.ForeignKeyConstraint(['street_code'], ['streets.code'], name=op.f('members_street_code_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('members_pkey')),
    sa.UniqueConstraint('roster_id', name=op.f('members_roster_id_key')),
    sa.UniqueConstraint('telegram_user_id', name=op.f('members_telegram_user_id_key'))
    )
    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=True),
    sa.Column('topic_code', sa.String(length=48), nullable=True),
    sa.Column('district_code', sa.String(length=32), nullable=True),
    sa.Column('street_code', sa.String(length=48), nullable=True),
    sa.Column('sector_code', sa.String(length=48), nullable=True),
    sa.Column('tag_code', sa.String(length=32), nullable=True),
    sa.Column('stop', sa.Boolean(), nullable=False),
    sa.Column('watch', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('routing_rules_district_code_fkey')),
    sa.ForeignKeyConstraint(['sector_code'], ['sectors.code'], name=op.f('routing_rules_sector_code_fkey')),
    sa.ForeignKeyConstraint(['street_code'], ['streets.code'], name=op.f('routing_rules_street_code_fkey')),
    sa.ForeignKeyConstraint(['tag_code'], ['tags.code'], name=op.f('routing_rules_tag_code_fkey')),
    sa.ForeignKeyConstraint(['topic_code'], ['topics.code'], name=op.f('routing_rules_topic_code_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('routing_rules_pkey'))
    )
    op.create_table('consultations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('theme', sa.Text(), nullable=False),
    sa.Column('committee_code', sa.String(length=48), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('statements_by', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('announced_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['host_id'], ['members.id'], name=op.f('consultations_host_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('consultations_pkey'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index('ix_consultations_starts', ['starts_at'], unique=False)

    op.create_table('deliberations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('file_id', sa.String(length=256), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('committee_code', sa.String(length=48), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('opens_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=True),
    sa.Column('conclusion', sa.Text(), nullable=True),
    sa.Column('concluded_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['committee_code'], ['committees.code'], name=op.f('deliberations_committee_code_fkey')),
    sa.ForeignKeyConstraint(['opened_by'], ['members.id'], name=op.f('deliberations_opened_by_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('deliberations_pkey'))
    )
    op.create_table('digest_prefs',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('frequency', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('digest_prefs_member_id_fkey')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('digest_prefs_pkey'))
    )
    op.create_table('invites',
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('invites_member_id_fkey')),
    sa.PrimaryKeyConstraint('code', name=op.f('invites_pkey'))
    )
    op.create_table('member_aliases',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('member_aliases_member_id_fkey')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('member_aliases_pkey')),
    sa.UniqueConstraint('alias', name=op.f('member_aliases_alias_key'))
    )
    op.create_table('notices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('sender_id', sa.Integer(), nullable=True),
    sa.Column('remind_after_hours', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['sender_id'], ['members.id'], name=op.f('notices_sender_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('notices_pkey'))
    )
    op.create_table('point_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('rule_key', sa.String(length=48), nullable=False),
    sa.Column('source_kind', sa.String(length=24), nullable=False),
    sa.Column('source_id', sa.String(length=48), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('point_entries_member_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('point_entries_pkey')),
    sa.UniqueConstraint('member_id', 'rule_key', 'source_kind', 'source_id', 'kind', name='uq_point_entries_event')
    )
    with op.batch_alter_table('point_entries', schema=None) as batch_op:
        batch_op.create_index('ix_point_entries_member', ['member_id', 'occurred_at'], unique=False)

    op.create_table('point_prefs',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('rank_opt_in', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('point_prefs_member_id_fkey')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('point_prefs_pkey'))
    )
    op.create_table('study_plan_checkins',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('day_no', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('study_plan_checkins_member_id_fkey')),
    sa.ForeignKeyConstraint(['plan_id'], ['study_plans.id'], name=op.f('study_plan_checkins_plan_id_fkey')),
    sa.PrimaryKeyConstraint('plan_id', 'day_no', 'member_id', name=op.f('study_plan_checkins_pkey'))
    )
    op.create_table('study_rsvps',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('queue_no', sa.Integer(), nullable=True),
    sa.Column('card_key', sa.String(length=96), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('study_rsvps_member_id_fkey')),
    sa.ForeignKeyConstraint(['session_id'], ['study_sessions.id'], name=op.f('study_rsvps_session_id_fkey')),
    sa.PrimaryKeyConstraint('session_id', 'member_id', name=op.f('study_rsvps_pkey'))
    )
    with op.batch_alter_table('study_rsvps', schema=None) as batch_op:
        batch_op.create_index('ix_study_rsvps_member', ['member_id'], unique=False)

    op.create_table('study_wrong_codes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('study_wrong_codes_member_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('study_wrong_codes_pkey'))
    )
    with op.batch_alter_table('study_wrong_codes', schema=None) as batch_op:
        batch_op.create_index('ix_study_wrong_codes_member', ['member_id', 'at'], unique=False)

    op.create_table('targets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('topic_code', sa.String(length=48), nullable=True),
    sa.Column('district_code', sa.String(length=32), nullable=True),
    sa.Column('street_code', sa.String(length=48), nullable=True),
    sa.Column('sector_code', sa.String(length=48), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('title_zh', sa.String(length=128), nullable=False),
    sa.Column('title_en', sa.String(length=128), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('bound_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('targets_district_code_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('targets_member_id_fkey')),
    sa.ForeignKeyConstraint(['sector_code'], ['sectors.code'], name=op.f('targets_sector_code_fkey')),
    sa.ForeignKeyConstraint(['street_code'], ['streets.code'], name=op.f('targets_street_code_fkey')),
    sa.ForeignKeyConstraint(['topic_code'], ['topics.code'], name=op.f('targets_topic_code_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('targets_pkey')),
    sa.UniqueConstraint('chat_id', 'thread_id', name='uq_targets_chat_thread'),
    sa.UniqueConstraint('name', name=op.f('targets_name_key'))
    )
    op.create_table('bind_keys',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('bind_keys_target_id_fkey')),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('bind_keys_pkey'))
    )
    op.create_table('consultation_comments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('pushed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('consultation_comments_consultation_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('consultation_comments_member_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('consultation_comments_pkey')),
    sa.UniqueConstraint('consultation_id', 'number', name=op.f('consultation_comments_consultation_id_number_key'))
    )
    op.create_table('consultation_speak_requests',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('consultation_speak_requests_consultation_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('consultation_speak_requests_member_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('consultation_speak_requests_pkey'))
    )
    op.create_table('consultation_statements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('file', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('in_person', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('consultation_statements_consultation_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('consultation_statements_member_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('consultation_statements_pkey'))
    )
    with op.batch_alter_table('consultation_statements', schema=None) as batch_op:
        batch_op.create_index('ix_consultation_statements_meeting', ['consultation_id'], unique=False)

    op.create_table('consultation_venues',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('checkin_code', sa.String(length=12), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('consultation_venues_consultation_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('consultation_venues_pkey')),
    sa.UniqueConstraint('checkin_code', name=op.f('consultation_venues_checkin_code_key'))
    )
    op.create_table('contributions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('deliberation_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('file_id', sa.String(length=256), nullable=True),
    sa.Column('file_kind', sa.String(length=16), nullable=True),
    sa.Column('naming', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('hidden_by', sa.String(length=64), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['deliberation_id'], ['deliberations.id'], name=op.f('contributions_deliberation_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('contributions_member_id_fkey')),
    sa.ForeignKeyConstraint(['parent_id'], ['contributions.id'], name=op.f('contributions_parent_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('contributions_pkey'))
    )
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.create_index('ix_contributions_member', ['member_id', 'created_at'], unique=False)
        batch_op.create_index('ix_contributions_topic', ['deliberation_id', 'id'], unique=False)

    op.create_table('items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('topic_code', sa.String(length=48), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('district_code', sa.String(length=32), nullable=True),
    sa.Column('street_code', sa.String(length=48), nullable=True),
    sa.Column('observation', sa.Text(), nullable=False),
    sa.Column('analysis', sa.Text(), nullable=True),
    sa.Column('suggestion', sa.Text(), nullable=False),
    sa.Column('privacy', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('claimed_by', sa.Integer(), nullable=True),
    sa.Column('claimed_target_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('duplicate_of', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['members.id'], name=op.f('items_author_id_fkey')),
    sa.ForeignKeyConstraint(['claimed_by'], ['members.id'], name=op.f('items_claimed_by_fkey')),
    sa.ForeignKeyConstraint(['claimed_target_id'], ['targets.id'], name=op.f('items_claimed_target_id_fkey')),
    sa.ForeignKeyConstraint(['district_code'], ['districts.code'], name=op.f('items_district_code_fkey')),
    sa.ForeignKeyConstraint(['duplicate_of'], ['items.id'], name=op.f('items_duplicate_of_fkey')),
    sa.ForeignKeyConstraint(['street_code'], ['streets.code'], name=op.f('items_street_code_fkey')),
    sa.ForeignKeyConstraint(['topic_code'], ['topics.code'], name=op.f('items_topic_code_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('items_pkey')),
    sa.UniqueConstraint('code', name=op.f('items_code_key')),
    sa.UniqueConstraint('source_key', name=op.f('items_source_key_key'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_author', ['author_id'], unique=False)

    op.create_table('notice_receipts',
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('notice_receipts_member_id_fkey')),
    sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('notice_receipts_notice_id_fkey')),
    sa.PrimaryKeyConstraint('notice_id', 'member_id', name=op.f('notice_receipts_pkey'))
    )
    with op.batch_alter_table('notice_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_notice_receipts_member', ['member_id'], unique=False)

    op.create_table('report_clusters',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('topic_code', sa.String(length=48), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('report_clusters_target_id_fkey')),
    sa.ForeignKeyConstraint(['topic_code'], ['topics.code'], name=op.f('report_clusters_topic_code_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('report_clusters_pkey'))
    )
    op.create_table('rule_targets',
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['routing_rules.id'], name=op.f('rule_targets_rule_id_fkey'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('rule_targets_target_id_fkey')),
    sa.PrimaryKeyConstraint('rule_id', 'target_id', name=op.f('rule_targets_pkey'))
    )
    op.create_table('target_liaisons',
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('target_liaisons_member_id_fkey')),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('target_liaisons_target_id_fkey')),
    sa.PrimaryKeyConstraint('target_id', 'member_id', name=op.f('target_liaisons_pkey'))
    )
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('file_id', sa.String(length=256), nullable=True),
    sa.Column('file_name', sa.String(length=256), nullable=True),
    sa.Column('mime_type', sa.String(length=128), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.String(length=32), nullable=True),
    sa.Column('longitude', sa.String(length=32), nullable=True),
    sa.Column('field', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('attachments_item_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('attachments_pkey'))
    )
    op.create_table('consultation_checkins',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('consultation_checkins_consultation_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('consultation_checkins_member_id_fkey')),
    sa.ForeignKeyConstraint(['venue_id'], ['consultation_venues.id'], name=op.f('consultation_checkins_venue_id_fkey')),
    sa.PrimaryKeyConstraint('consultation_id', 'member_id', name=op.f('consultation_checkins_pkey'))
    )
    op.create_table('consultation_responses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=48), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['consultation_statements.id'], name=op.f('consultation_responses_statement_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('consultation_responses_pkey'))
    )
    op.create_table('consultation_rsvps',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=True),
    sa.Column('card_key', sa.String(length=96), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('consultation_rsvps_consultation_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('consultation_rsvps_member_id_fkey')),
    sa.ForeignKeyConstraint(['venue_id'], ['consultation_venues.id'], name=op.f('consultation_rsvps_venue_id_fkey')),
    sa.PrimaryKeyConstraint('consultation_id', 'member_id', name=op.f('consultation_rsvps_pkey'))
    )
    with op.batch_alter_table('consultation_rsvps', schema=None) as batch_op:
        batch_op.create_index('ix_consultation_rsvps_member', ['member_id'], unique=False)

    op.create_table('item_cosigners',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('item_cosigners_item_id_fkey')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('item_cosigners_member_id_fkey')),
    sa.PrimaryKeyConstraint('item_id', 'member_id', name=op.f('item_cosigners_pkey'))
    )
    op.create_table('item_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('status_from', sa.String(length=16), nullable=True),
    sa.Column('status_to', sa.String(length=16), nullable=True),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('to_target_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('item_events_actor_id_fkey')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('item_events_item_id_fkey')),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('item_events_target_id_fkey')),
    sa.ForeignKeyConstraint(['to_target_id'], ['targets.id'], name=op.f('item_events_to_target_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('item_events_pkey'))
    )
    with op.batch_alter_table('item_events', schema=None) as batch_op:
        batch_op.create_index('ix_item_events_item', ['item_id'], unique=False)

    op.create_table('item_outcomes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.String(length=32), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('item_outcomes_actor_id_fkey')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('item_outcomes_department_id_fkey')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('item_outcomes_item_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('item_outcomes_pkey')),
    sa.UniqueConstraint('item_id', 'position', name='uq_item_outcomes_position')
    )
    op.create_table('item_tags',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('tag_code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('item_tags_item_id_fkey')),
    sa.ForeignKeyConstraint(['tag_code'], ['tags.code'], name=op.f('item_tags_tag_code_fkey')),
    sa.PrimaryKeyConstraint('item_id', 'tag_code', name=op.f('item_tags_pkey'))
    )
    op.create_table('item_targets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('card_key', sa.String(length=64), nullable=False),
    sa.Column('routed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('item_targets_item_id_fkey')),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('item_targets_target_id_fkey')),
    sa.PrimaryKeyConstraint('id', name=op.f('item_targets_pkey')),
    sa.UniqueConstraint('card_key', name=op.f('item_targets_card_key_key'))
    )
    with op.batch_alter_table('item_targets', schema=None) as batch_op:
        batch_op.create_index('ix_item_targets_item', ['item_id'], unique=False)

    op.create_table('report_cluster_items',
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['report_clusters.id'], name=op.f('report_cluster_items_cluster_id_fkey')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('report_cluster_items_item_id_fkey')),
    sa.PrimaryKeyConstraint('cluster_id', 'item_id', name=op.f('report_cluster_items_pkey'))
    )


def downgrade() -> None:
    op.drop_table('report_cluster_items')
    with op.batch_alter_table('item_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_item_targets_item')

    op.drop_table('item_targets')
    op.drop_table('item_tags')
    op.drop_table('item_outcomes')
    with op.batch_alter_table('item_events', schema=None) as batch_op:
        batch_op.drop_index('ix_item_events_item')

    op.drop_table('item_events')
    op.drop_table('item_cosigners')
    with op.batch_alter_table('consultation_rsvps', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_rsvps_member')

    op.drop_table('consultation_rsvps')
    op.drop_table('consultation_responses')
    op.drop_table('consultation_checkins')
    op.drop_table('attachments')
    op.drop_table('target_liaisons')
    op.drop_table('rule_targets')
    op.drop_table('report_clusters')
    with op.batch_alter_table('notice_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_receipts_member')

    op.drop_table('notice_receipts')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_author')

    op.drop_table('items')
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.drop_index('ix_contributions_topic')
        batch_op.drop_index('ix_contributions_member')

    op.drop_table('contributions')
    op.drop_table('consultation_venues')
    with op.batch_alter_table('consultation_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_statements_meeting')

    op.drop_table('consultation_statements')
    op.drop_table('consultation_speak_requests')
    op.drop_table('consultation_comments')
    op.drop_table('bind_keys')
    op.drop_table('targets')
    with op.batch_alter_table('study_wrong_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_study_wrong_codes_member')

    op.drop_table('study_wrong_codes')
    with op.batch_alter_table('study_rsvps', schema=None) as batch_op:
        batch_op.drop_index('ix_study_rsvps_member')

    op.drop_table('study_rsvps')
    op.drop_table('study_plan_checkins')
    op.drop_table('point_prefs')
    with op.batch_alter_table('point_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_point_entries_member')

    op.drop_table('point_entries')
    op.drop_table('notices')
    op.drop_table('member_aliases')
    op.drop_table('invites')
    op.drop_table('digest_prefs')
    op.drop_table('deliberations')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index('ix_consultations_starts')

    op.drop_table('consultations')
    op.drop_table('routing_rules')
    op.drop_table('members')
    op.drop_table('study_plan_days')
    op.drop_table('streets')
    op.drop_table('reply_templates')
    op.drop_table('departments')
    op.drop_table('topics')
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_due')

    op.drop_table('timers')
    op.drop_table('tags')
    with op.batch_alter_table('study_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_study_sessions_starts')

    op.drop_table('study_sessions')
    op.drop_table('study_plans')
    op.drop_table('sectors')
    op.drop_table('point_rules')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_status')

    op.drop_table('inbox')
    op.drop_table('flood_counters')
    op.drop_table('domains')
    op.drop_table('districts')
    op.drop_table('digest_runs')
    op.drop_table('counters')
    op.drop_table('conversations')
    op.drop_table('committees')
    op.drop_table('calendar_days')
    op.drop_table('audit_log')
