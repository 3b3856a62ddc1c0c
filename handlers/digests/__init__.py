"""Digests (PRODUCT.md §9): the members' weekly digest, the news at the pace each member chose,
the liaisons' daily queue and the office's weekly statistics with a chart.

Timers (one occurrence key each, planned by ``schedule.plan_digests``, a ``@recurring`` planner
that keeps the next occurrence of each in the timers table; times in Asia/Shanghai):

- ``digest:weekly:{YYYY-MM-DD}`` — every ``digest_weekday`` (Monday) at ``digest_time`` (09:00):
  every member's weekly digest: their own reports (status and latest hop of each open one,
  those closed this week) and — for members who chose *weekly* — the news: numbers for the
  city and their district by topic (new / answered / adopted this week), adopted highlights
  (the 3 most recent per topic and for their district: codes and topics, the author only when
  the report is named — never an anonymous or office-only author) and upcoming sessions. A
  member who chose *daily* gets the news of the last day in it instead (no daily digest that
  day), *instant* or *off* only their reports (and nothing when they have none).
- ``digest:daily:{date}`` — the other days at ``digest_time``: the last day's news to members
  who chose *daily* (nothing when nothing happened).
- ``digest:instant:{date}T{HH}`` — every hour: adoptions of the last hour to members who chose
  *instant* (nothing when there were none).
- ``digest:liaison:{date}`` — working days (China's calendar, ``storage/calendar.py``) at
  ``digest_liaison_time`` (08:00): each liaison's queue per target they are a liaison of —
  unclaimed, overdue, waiting for the member (nothing when the queue is empty).
- ``digest:office:{date}`` — with the weekly digest: the office admins' statistics by topic and
  district, and a chart (``charts.py``) sent as a photo.

Each digest is ONE outbox row per recipient, key ``digest:{period}:{member_id}`` (e.g.
``digest:weekly:2026-06-15:42``; a text over 4096 characters goes as several messages, the
first in that row), at bulk priority. The members' digests are queued in chunks
(``scheduled.Chunked``) as *drafts* (handlers/core/drafts.py): each chunk of ``digest_chunk``
members (2,000) is one INSERT … SELECT of their drafts with the run's cursor
(``digest_runs.cursor``), in a short transaction of its own, so members' updates commit between
chunks and a crash between chunks resumes after the last one written. The sender has each draft
written just before it goes (``send.write_digests``): the window's news read once per firing and
process, the members' own reports read set-based per batch. A crash mid-send resumes from the
outbox, and each member gets it once (a duplicate only for a row caught 'sending' at the kill).
Firing again — a second timer, ``linkage digest send`` — skips every recipient whose row exists:
once per period.

Upcoming sessions come from the features' ``upcoming`` hooks (``ctx.features.upcoming``; the
study calendar declares one: ``async def hook(conn, member, start, end, lang, cache) -> list[str]``,
HTML lines; ``cache`` is a dict that lives for one firing, for what is the same for every member).
The features' ``recent`` hooks take the same arguments for the digest's own window (since, until)
and give the news of it with their own heading (a deliberation's 议政结论, a meeting's outcome).

The package: ``schedule`` (when each digest falls due, its keys), ``news`` (what a firing loads),
``render`` (the texts), ``send`` (the jobs), ``settings`` (/settings, /stats, /mydata),
``preview`` (the command line's preview), ``charts`` (the office's PNG).
"""

from handlers.core import roles
from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.digests import schedule, send, settings

FEATURE = Feature(
    name="digests",
    commands={"settings": settings.settings_command, "stats": settings.stats_command},
    menu=[("settings", N_("How often news reaches you"), None), ("stats", N_("This week's numbers"), roles.is_admin)],
    buttons={settings.FREQUENCY: settings.on_settings_button},
    drafts={send.DRAFT: send.DIGESTS},
    jobs={"digest_weekly": send.WEEKLY, "digest_daily": send.DAILY,
          "digest_instant": send.INSTANT, "digest_liaison": send.fire_liaison,
          "digest_office": send.fire_office},
    planners=[schedule.plan_digests],
    personal_data=settings.personal_data,
)
