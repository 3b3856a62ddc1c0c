"""The one schema, for SQLite and PostgreSQL alike (SQLAlchemy Core)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table,
                        Text, UniqueConstraint, false)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC (SQLite has no time zones), always returned aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use the clock")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else value.replace(tzinfo=timezone.utc)


# Constraint names as PostgreSQL gives unnamed ones (members_pkey …): a database made before names
# were set has the same, and a revision can name a constraint, on SQLite too.
metadata = MetaData(naming_convention={"pk": "%(table_name)s_pkey", "uq": "%(table_name)s_%(column_0_N_name)s_key",
                                       "fk": "%(table_name)s_%(column_0_N_name)s_fkey"})

# --- reference data (seeds) -------------------------------------------------

districts = Table(
    "districts", metadata,
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(64), nullable=False),
    Column("pilot", Boolean, nullable=False, default=False),
)

streets = Table(
    "streets", metadata,
    Column("code", String(48), primary_key=True),
    Column("district_code", String(32), ForeignKey("districts.code"), nullable=False),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(64), nullable=False),
)

sectors = Table(
    "sectors", metadata,
    Column("code", String(48), primary_key=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(96), nullable=False),
)

committees = Table(
    "committees", metadata,
    Column("code", String(48), primary_key=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(128), nullable=False),
)

domains = Table(  # the first screen of the topic menu (领域)
    "domains", metadata,
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(96), nullable=False),
    Column("position", Integer, nullable=False),
)

topics = Table(
    "topics", metadata,
    Column("code", String(48), primary_key=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(96), nullable=False),
    Column("domain", String(32), nullable=False),  # a domains.code (the loader checks; older databases have no key)
    Column("position", Integer, nullable=False),
)

tags = Table(  # secondary topics a report may carry besides its topic (适老, 助残 …)
    "tags", metadata,
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(96), nullable=False),
    Column("position", Integer, nullable=False),
)

# --- people -------------------------------------------------------------------

members = Table(
    "members", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("roster_id", String(32), nullable=False, unique=True),  # the office's own id
    Column("name", String(64), nullable=False),
    Column("level", String(16), nullable=False),  # city | district
    Column("district_code", String(32), ForeignKey("districts.code")),
    Column("street_code", String(48), ForeignKey("streets.code")),
    Column("sector_code", String(48), ForeignKey("sectors.code")),
    Column("committee_code", String(48), ForeignKey("committees.code")),
    Column("role", String(16), nullable=False, default="member"),  # member | liaison | staff | admin (handlers/core/roles.py)
    Column("language", String(8), nullable=False, default="zh"),
    Column("telegram_user_id", BigInteger, unique=True),
    Column("reachable", Boolean, nullable=False, default=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# What liaisons see for an author named to the office only: random, so neither the database id
# nor the roster order leads back to the person; one per member, so repeat reporters show.
member_aliases = Table(
    "member_aliases", metadata,
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("alias", String(16), nullable=False, unique=True),
)

invites = Table(
    "invites", metadata,
    Column("code", String(48), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

# --- where items go -----------------------------------------------------------

targets = Table(
    "targets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # topic | district | street | sector | office | person | room
    Column("level", String(16), nullable=False),  # city | district
    Column("topic_code", String(48), ForeignKey("topics.code")),
    Column("district_code", String(32), ForeignKey("districts.code")),
    Column("street_code", String(48), ForeignKey("streets.code")),
    Column("sector_code", String(48), ForeignKey("sectors.code")),  # kind == sector (界别)
    Column("member_id", Integer, ForeignKey("members.id")),  # kind == person
    Column("title_zh", String(128), nullable=False),
    Column("title_en", String(128), nullable=False),
    Column("chat_id", BigInteger),  # None until bound
    Column("thread_id", BigInteger),  # a forum topic of a supergroup
    Column("bound_at", UTCDateTime),
    UniqueConstraint("chat_id", "thread_id", name="uq_targets_chat_thread"),
)

bind_keys = Table(
    "bind_keys", metadata,
    Column("key_hash", String(64), primary_key=True),  # sha256 of the key: the key itself is a secret
    Column("target_id", Integer, ForeignKey("targets.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),  # the office withdrew it before it was used
)

target_liaisons = Table(
    "target_liaisons", metadata,
    Column("target_id", Integer, ForeignKey("targets.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
)

routing_rules = Table(
    "routing_rules", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("position", Integer, nullable=False),
    Column("area", String(16)),  # None = any | city | district | street
    Column("topic_code", String(48), ForeignKey("topics.code")),
    Column("district_code", String(32), ForeignKey("districts.code")),
    Column("street_code", String(48), ForeignKey("streets.code")),
    Column("sector_code", String(48), ForeignKey("sectors.code")),
    Column("tag_code", String(32), ForeignKey("tags.code")),  # the item carries this tag
    Column("stop", Boolean, nullable=False, default=True),
    # a district or street item this rule sends somewhere is also shown, for information (知悉),
    # to the city topic group of its topic (handlers/reports/lifecycle.py resolve_route)
    Column("watch", Boolean, nullable=False, default=True),
    Column("note", String(200)),
)

rule_targets = Table(
    "rule_targets", metadata,
    Column("rule_id", Integer, ForeignKey("routing_rules.id", ondelete="CASCADE"), primary_key=True),
    Column("target_id", Integer, ForeignKey("targets.id"), primary_key=True),
)

# --- social-opinion items -----------------------------------------------------

items = Table(
    "items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("title", String(64)),  # 标题, the member's own words; None on reports from before titles
    Column("author_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("topic_code", String(48), ForeignKey("topics.code"), nullable=False),
    Column("area", String(16), nullable=False),  # city | district | street
    Column("district_code", String(32), ForeignKey("districts.code")),
    Column("street_code", String(48), ForeignKey("streets.code")),
    Column("observation", Text, nullable=False),
    Column("analysis", Text),
    Column("suggestion", Text, nullable=False),
    Column("privacy", String(16), nullable=False),  # named | office | anonymous
    Column("status", String(16), nullable=False),
    Column("level", String(16), nullable=False),  # where it is handled now: city | district
    Column("claimed_by", Integer, ForeignKey("members.id")),
    Column("claimed_target_id", Integer, ForeignKey("targets.id")),
    Column("outcome", String(16)),  # adopted | reported_up | instructed | answered | not_adopted | duplicate
    Column("duplicate_of", Integer, ForeignKey("items.id")),  # merged into that report, which it follows
    Column("source_key", String(64), unique=True),  # the update that submitted it: exactly once
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
)
Index("ix_items_author", items.c.author_id)
Index("ix_items_topic", items.c.topic_code, items.c.id)  # the newest on a topic (similar ones, at every submit)
Index("ix_items_duplicate_of", items.c.duplicate_of)  # the reports merged into one (its followers)

attachments = Table(
    "attachments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # photo | document | voice | location
    Column("file_id", String(256)),
    Column("file_name", String(256)),
    Column("mime_type", String(128)),
    Column("file_size", Integer),
    Column("latitude", String(32)),
    Column("longitude", String(32)),
    # a voice message given for a text step: observation | analysis | suggestion (the text holds a
    # placeholder), or info (an answer to a liaison's question); None: an attachment the member added
    Column("field", String(16)),
)
Index("ix_attachments_item", attachments.c.item_id, attachments.c.position)

item_tags = Table(
    "item_tags", metadata,
    Column("item_id", Integer, ForeignKey("items.id"), primary_key=True),
    Column("tag_code", String(32), ForeignKey("tags.code"), primary_key=True),
)

item_targets = Table(
    "item_targets", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("target_id", Integer, ForeignKey("targets.id"), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    # handle: the item is handled here (claim, reply...; the receipt, deadlines, queues, exports);
    # watch: shown here for information (知悉) only, with the one action 提级办理
    Column("role", String(8), nullable=False, default="handle"),
    Column("card_key", String(64), nullable=False, unique=True),  # outbox key of the card message
    Column("routed_at", UTCDateTime, nullable=False),
)
Index("ix_item_targets_item", item_targets.c.item_id)
Index("ix_item_targets_target", item_targets.c.target_id, item_targets.c.item_id)  # a liaison's reports

item_events = Table(
    "item_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("actor_id", Integer, ForeignKey("members.id")),  # None = the system
    Column("kind", String(24), nullable=False),
    Column("status_from", String(16)),
    Column("status_to", String(16)),
    Column("target_id", Integer, ForeignKey("targets.id")),
    Column("to_target_id", Integer, ForeignKey("targets.id")),
    Column("reason", Text),
    Column("body", Text),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_item_events_item", item_events.c.item_id)

# --- conversation state (drafts survive restarts) -------------------------------

conversations = Table(
    "conversations", metadata,
    Column("user_id", BigInteger, primary_key=True),  # Telegram user, private chat
    Column("flow", String(24), nullable=False),
    Column("step", String(24), nullable=False),
    Column("data", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# --- the reliable edges: inbox and outbox ---------------------------------------

inbox = Table(
    "inbox", metadata,
    Column("update_id", BigInteger, primary_key=True),
    Column("payload", JSON, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("status", String(12), nullable=False, default="new"),  # new | done | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("handled_at", UTCDateTime),
)
Index("ix_inbox_status", inbox.c.status, inbox.c.update_id)
Index("ix_inbox_handled", inbox.c.status, inbox.c.handled_at)  # the nightly retention finds the old ones

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(96), unique=True),  # names a message so later rows can edit or reply to it
    Column("method", String(32), nullable=False),
    Column("params", JSON, nullable=False),
    Column("chat_id", BigInteger),  # None for calls not addressed to a chat (answerCallbackQuery)
    Column("is_group", Boolean, nullable=False, default=False),
    Column("priority", Integer, nullable=False, default=0),  # 0 = interactive, 1 = bulk
    Column("status", String(12), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Column("message_id", BigInteger),
    Column("error", Text),
    Column("blanked", Boolean, nullable=False, default=False, server_default=false()),  # params emptied (retention)
)
Index("ix_outbox_due", outbox.c.status, outbox.c.priority, outbox.c.not_before, outbox.c.id)
Index("ix_outbox_sent_at", outbox.c.sent_at)  # a new leader counts the last minute's sends
# the sender's look (storage/outbox.py ``due``): pending rows in the order they go
Index("ix_outbox_pending", outbox.c.status, outbox.c.priority, outbox.c.id)
# a chat's unfinished rows (``due``: before and after a candidate), past its ever-growing history of sent ones
Index("ix_outbox_chat_status", outbox.c.chat_id, outbox.c.status, outbox.c.id)
Index("ix_outbox_unblanked", outbox.c.blanked, outbox.c.created_at)  # the nightly retention: only rows not yet emptied

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("actor", String(64), nullable=False),  # "member:12", "cli", "system"
    Column("action", String(48), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

counters = Table(
    "counters", metadata,
    Column("name", String(48), primary_key=True),
    Column("value", Integer, nullable=False),
)

# --- what is due when: reminders, digests, deadlines (the scheduler is rebuilt from here) ----

timers = Table(
    "timers", metadata,
    # the occurrence key: (job, due time) — fires once; by code point, so a prefix is a range (timers.py)
    Column("key", String(128).with_variant(String(128, collation="C"), "postgresql"), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),  # after this a late firing is skipped, not sent
    Column("payload", JSON, nullable=False),
    Column("status", String(12), nullable=False, default="pending"),  # pending | done | skipped
    Column("fired_at", UTCDateTime),
    Column("note", String(200)),
)
Index("ix_timers_due", timers.c.status, timers.c.due_at)
Index("ix_timers_pending_key", timers.c.status, timers.c.key)  # a report's pending nudges: a seek (timers.py)

# --- 网络议政: online deliberation (handlers/deliberation/) ------------------------------

deliberations = Table(  # a topic (议题) a special committee puts to members
    "deliberations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),  # the background, as written
    Column("file_id", String(256)),  # a background document (Telegram file id), sent after the card
    Column("link", String(500)),
    Column("questions", JSON, nullable=False),  # 0–5 short questions, in order
    Column("committee_code", String(48), ForeignKey("committees.code"), nullable=False),
    Column("audience", JSON, nullable=False),  # a handlers/core/audience.py spec
    Column("opens_at", UTCDateTime, nullable=False),
    Column("closes_at", UTCDateTime, nullable=False),
    Column("status", String(12), nullable=False),  # scheduled | open | closed
    Column("opened_by", Integer, ForeignKey("members.id")),  # None: the command line
    Column("conclusion", Text),  # 议政结论
    Column("concluded_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)

contributions = Table(  # a member's view (意见) on a topic, or a reply (跟帖) to one
    "contributions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deliberation_id", Integer, ForeignKey("deliberations.id"), nullable=False),
    Column("number", Integer, nullable=False),  # 1, 2 … within the topic, as members see it
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("parent_id", Integer, ForeignKey("contributions.id")),  # the root a reply belongs to
    Column("question", Integer),  # the question's position (1…), None: the topic as a whole
    Column("text", Text, nullable=False),
    Column("file_id", String(256)),
    Column("file_kind", String(16)),  # photo | document
    Column("naming", String(12), nullable=False),  # named | committee (named to the committee only)
    Column("status", String(12), nullable=False, default="visible"),  # visible | hidden | withdrawn
    Column("hidden_reason", Text),
    Column("hidden_by", String(64)),
    Column("pinned", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("edited_at", UTCDateTime),
)
Index("ix_contributions_topic", contributions.c.deliberation_id, contributions.c.id)
Index("ix_contributions_member", contributions.c.member_id, contributions.c.created_at)
# --- 远程协商: consultation meetings (handlers/consultation/, storage/consultation.py) ---------

consultations = Table(
    "consultations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("theme", Text, nullable=False),
    Column("committee_code", String(48), nullable=False),  # the organising special committee
    Column("host_id", Integer, ForeignKey("members.id")),  # live comments reach their private chat
    Column("audience", JSON, nullable=False),  # handlers.core.audience spec
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("statements_by", UTCDateTime, nullable=False),  # the written statements' deadline
    Column("status", String(12), nullable=False),  # draft | announced
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("announced_at", UTCDateTime),
)
Index("ix_consultations_starts", consultations.c.starts_at)

consultation_venues = Table(
    "consultation_venues", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consultation_id", Integer, ForeignKey("consultations.id"), nullable=False),
    Column("kind", String(8), nullable=False),  # main (主会场) | sub (分会场)
    Column("name", String(100), nullable=False),
    Column("place", String(200)),
    Column("link", String(500)),
    Column("checkin_code", String(12), nullable=False, unique=True),
    Column("position", Integer, nullable=False),
)

consultation_rsvps = Table(
    "consultation_rsvps", metadata,
    Column("consultation_id", Integer, ForeignKey("consultations.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("answer", String(8), nullable=False),  # invited | venue | online | absent
    Column("venue_id", Integer, ForeignKey("consultation_venues.id")),  # with answer venue
    Column("card_key", String(96)),  # the invitation card's outbox key (edited in place)
    Column("answered_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_consultation_rsvps_member", consultation_rsvps.c.member_id)

consultation_checkins = Table(
    "consultation_checkins", metadata,
    Column("consultation_id", Integer, ForeignKey("consultations.id"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("venue_id", Integer, ForeignKey("consultation_venues.id")),  # None: online
    Column("at", UTCDateTime, nullable=False),
)

consultation_statements = Table(
    "consultation_statements", metadata,  # 书面发言
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consultation_id", Integer, ForeignKey("consultations.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("title", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("file", JSON),  # an attachment record (handlers.core.events.Attachment.record)
    Column("status", String(12), nullable=False),  # submitted | accepted | returned
    Column("note", Text),  # the organiser's note when returned
    Column("position", Integer),  # order in the meeting and the compilation (发言摘登)
    Column("in_person", Boolean, nullable=False, default=False),  # speaks at the meeting
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
)
Index("ix_consultation_statements_meeting", consultation_statements.c.consultation_id)

consultation_speak_requests = Table(
    "consultation_speak_requests", metadata,  # 申请发言
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consultation_id", Integer, ForeignKey("consultations.id"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("topic", String(300), nullable=False),
    Column("status", String(12), nullable=False),  # pending | accepted | declined
    Column("created_at", UTCDateTime, nullable=False),
    Column("decided_at", UTCDateTime),
)

consultation_comments = Table(
    "consultation_comments", metadata,  # 在线留言, numbered per meeting in the order they came
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consultation_id", Integer, ForeignKey("consultations.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("named", Boolean, nullable=False),  # False: shown by the member's alias outside the committee
    Column("created_at", UTCDateTime, nullable=False),
    Column("pushed_at", UTCDateTime),  # posted to the meeting's group
    UniqueConstraint("consultation_id", "number"),
)

consultation_responses = Table(
    "consultation_responses", metadata,  # a department's answer to a statement
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("statement_id", Integer, ForeignKey("consultation_statements.id"), nullable=False),
    Column("department_code", String(48), nullable=False),
    Column("body", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
