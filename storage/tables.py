"""Every table, for ``create_all``: the core schema, and the tables a feature keeps beside its
repository (importing the module registers them on the one ``metadata``)."""

from storage.schema import metadata

# feature tables (one import per feature module that defines tables):
import storage.study  # noqa: E402,F401  study_sessions, study_rsvps, study_plans, study_plan_days, study_plan_checkins
import storage.calendar  # noqa: F401,E402  calendar_days (holidays, make-up workdays)
import storage.notices  # noqa: E402,F401  notices, notice_receipts
import storage.digests  # noqa: E402,F401  digest_prefs, digest_runs
import storage.cosign  # noqa: E402,F401  item_cosigners (联名)
import storage.floods  # noqa: E402,F401  flood_counters (inbound limits)
import storage.duplicates  # noqa: E402,F401  report_clusters, report_cluster_items (多区同类问题)
import storage.departments  # noqa: E402,F401  departments (承办单位)
import storage.outcomes  # noqa: E402,F401  item_outcomes (outcome chains), reply_templates
import storage.points  # noqa: E402,F401  point_rules, point_entries, point_prefs (积分)
import storage.selfservice  # noqa: E402,F401  member_phones, year_summaries (a member's self-service)
import storage.serving  # noqa: E402,F401  guide_pages, contacts (服务委员: /guide, /contacts)
import storage.console  # noqa: E402,F401  console_links, console_sessions (the office's web console)
import storage.research  # noqa: E402,F401  research_proposals, _projects, _milestones, _members, _findings, _visits
import storage.channels  # noqa: E402,F401  channels, channel_editors, channel_items, channel_subscriptions, channel_receipts, channel_feeds, channel_feed_runs, channel_profile_consents

__all__ = ["metadata"]
import storage.oversight  # noqa: E402,F401  oversight_items, _steps, _replies, _ratings, _inspections, _findings (民主监督)
