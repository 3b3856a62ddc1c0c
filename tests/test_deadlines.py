"""Deadlines: working-day arithmetic with China's holidays and make-up workdays (调休), the
office editing the calendar, and the nudge chain owner → group → city office on the movable
clock, once per timer even across a scheduler restart."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from bot.cli import main as cli
from bot.clock import Clock
from bot.scheduler import Scheduler
from handlers.features import REGISTRY
from handlers.reports import deadlines
from handlers.core.context import Ctx, HandlerConfig
from handlers.core.localtime import SHANGHAI
from handlers.reports.deadlines import add_working_days, working_days_overdue
from handlers.core.i18n import translator
from handlers.reports import transitions
from handlers.reports.transitions import route_item
from seeds.loader import load_seeds, read_yaml
from storage import cache
from storage import calendar as calendar_store
from storage import items as item_store
from storage import people
from storage.calendar import WorkCalendar
from storage.db import Database
from storage.schema import audit_log, members, outbox, targets, timers

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
END = time(17, 30)
SEEDED = calendar_store.seed_rows(read_yaml("holidays.yaml"))
CHINA = WorkCalendar(off=frozenset(r["day"] for r in SEEDED if r["kind"] == "holiday"),
                     on=frozenset(r["day"] for r in SEEDED if r["kind"] == "workday"))
OPENINGS = {step: zh(text) for step, text in deadlines.OPENING.items()}


def sh(y, m, d, hh=10, mm=0) -> datetime:
    """A moment in Tianjin."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def due(start: datetime, n: int, calendar: WorkCalendar = CHINA) -> datetime:
    return add_working_days(start, n, calendar, END).astimezone(SHANGHAI)


# --- arithmetic ---------------------------------------------------------------------------------

def test_a_friday_plus_one_working_day_is_monday_and_a_weekend_start_counts_from_monday():
    plain = WorkCalendar()
    assert due(sh(2026, 3, 6), 1, plain) == sh(2026, 3, 9, 17, 30)  # Friday → Monday 17:30
    assert due(sh(2026, 3, 6, 23, 59), 1, plain) == sh(2026, 3, 9, 17, 30)
    assert due(sh(2026, 3, 7), 1, plain) == sh(2026, 3, 9, 17, 30)  # Saturday → Monday
    assert due(sh(2026, 3, 9), 1, plain) == sh(2026, 3, 10, 17, 30)  # Monday → Tuesday
    assert due(sh(2026, 3, 9), 7, plain) == sh(2026, 3, 18, 17, 30)
    assert due(sh(2026, 3, 7), 0, plain) == sh(2026, 3, 9, 17, 30)  # n = 0: the next working day's end


def test_national_day_week_and_its_make_up_weekend_days():
    # 2025: 1–8 October off; Sunday 28 September and Saturday 11 October are working days
    assert due(sh(2025, 9, 26), 1) == sh(2025, 9, 28, 17, 30)  # Friday → the make-up Sunday
    assert due(sh(2025, 9, 27), 1) == sh(2025, 9, 28, 17, 30)  # Saturday (off) → Sunday (on)
    assert due(sh(2025, 9, 28), 1) == sh(2025, 9, 29, 17, 30)
    assert due(sh(2025, 9, 30), 1) == sh(2025, 10, 9, 17, 30)  # over the whole Golden Week
    assert due(sh(2025, 10, 3), 1) == sh(2025, 10, 9, 17, 30)  # starts inside the holiday
    assert due(sh(2025, 10, 9), 2) == sh(2025, 10, 11, 17, 30)  # Friday, then the make-up Saturday
    # 2026: 1–7 October off; Saturday 10 October works
    assert due(sh(2026, 9, 30), 1) == sh(2026, 10, 8, 17, 30)
    assert due(sh(2026, 10, 9), 1) == sh(2026, 10, 10, 17, 30)
    assert not CHINA.is_working_day(date(2026, 10, 5)) and CHINA.is_working_day(date(2026, 9, 20))


def test_a_deadline_across_the_spring_festival():
    # 2026: 15–23 February off; Saturdays 14 and 28 February work
    assert due(sh(2026, 2, 13, 15), 3) == sh(2026, 2, 25, 17, 30)  # Sat 14 (on), Tue 24, Wed 25
    assert due(sh(2026, 2, 12), 7) == sh(2026, 2, 28, 17, 30)  # 13, 14, 24, 25, 26, 27 and the make-up Sat 28
    assert due(sh(2026, 2, 12), 8) == sh(2026, 3, 2, 17, 30)
    # 2025: 28 January – 4 February off; Sunday 26 January and Saturday 8 February work
    assert due(sh(2025, 1, 24), 1) == sh(2025, 1, 26, 17, 30)
    assert due(sh(2025, 1, 27), 1) == sh(2025, 2, 5, 17, 30)
    assert due(sh(2025, 2, 7), 1) == sh(2025, 2, 8, 17, 30)


def test_the_day_is_taken_in_asia_shanghai_not_utc():
    late_monday = sh(2026, 3, 9, 23, 30)  # 15:30 UTC on Monday
    just_tuesday = sh(2026, 3, 10, 0, 30)  # 16:30 UTC, still Monday in UTC
    assert late_monday.astimezone(timezone.utc).date() == just_tuesday.astimezone(timezone.utc).date()
    first, second = add_working_days(late_monday, 1, CHINA, END), add_working_days(just_tuesday, 1, CHINA, END)
    assert first == datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)  # Tuesday 17:30 in Tianjin
    assert second == datetime(2026, 3, 11, 9, 30, tzinfo=timezone.utc)  # Wednesday 17:30
    assert first.tzinfo is not None and first.utcoffset() == timedelta(0)


def test_how_overdue_counts_working_days():
    deadline = add_working_days(sh(2026, 3, 5), 1, CHINA, END)  # Friday 6 March 17:30
    assert working_days_overdue(deadline, deadline, CHINA, END) == 0
    assert working_days_overdue(deadline, sh(2026, 3, 9, 17, 29), CHINA, END) == 0
    assert working_days_overdue(deadline, sh(2026, 3, 9, 17, 30), CHINA, END) == 1  # the weekend is no day
    assert working_days_overdue(deadline, sh(2026, 3, 11, 9), CHINA, END) == 2


def test_the_seed_file_is_checked():
    assert len(SEEDED) == len({r["day"] for r in SEEDED})
    assert {r["day"].year for r in SEEDED} == {2025, 2026, 2027}
    with pytest.raises(ValueError, match="twice"):
        calendar_store.seed_rows({"years": {2026: {"holidays": [{"from": "2026-01-01", "to": "2026-01-03", "name": "元旦"}],
                                                   "workdays": [{"date": "2026-01-02", "name": "x"}]}}})
    with pytest.raises(ValueError, match="range"):
        calendar_store.seed_rows({"years": {2026: {"holidays": [{"from": "2026-02-23", "to": "2026-02-15",
                                                                 "name": "春节"}]}}})


# --- the office edits the table -----------------------------------------------------------------

def test_the_office_edits_the_holiday_table_and_the_arithmetic_follows(tmp_path):
    path = str(tmp_path / "calendar.db")
    runner = CliRunner()

    def linkage(*args):
        result = runner.invoke(cli, ["--database", path, *args], catch_exceptions=False)
        return result

    async def seed():
        db = Database(path)
        await db.ensure_schema()
        await load_seeds(db, Clock().now(), roster=False)
        await db.close()

    async def calendar_and_audit():
        db = Database(path)
        async with db.read() as conn:
            cal = await calendar_store.load(conn)
            actions = list((await conn.execute(select(audit_log.c.action, audit_log.c.actor)
                                                .where(audit_log.c.action.like("holiday.%")))).all())
        await db.close()
        return cal, actions

    asyncio.run(seed())
    cal, _ = asyncio.run(calendar_and_audit())
    assert due(sh(2027, 3, 1), 1, cal) == sh(2027, 3, 2, 17, 30)
    assert due(sh(2027, 2, 4), 1, cal) == sh(2027, 2, 9, 17, 30)  # the seeded Spring Festival 5–8 Feb

    assert linkage("holidays", "add", "2027-03-02", "--kind", "holiday", "--name", "临时休假").exit_code == 0
    assert linkage("holidays", "add", "2027-03-06", "--kind", "workday", "--name", "调休上班").exit_code == 0
    assert linkage("holidays", "remove", "2027-02-08").exit_code == 0
    cal, actions = asyncio.run(calendar_and_audit())
    assert due(sh(2027, 3, 1), 1, cal) == sh(2027, 3, 3, 17, 30)  # Tuesday is now off
    assert due(sh(2027, 3, 5), 1, cal) == sh(2027, 3, 6, 17, 30)  # Saturday now works
    assert due(sh(2027, 2, 4), 1, cal) == sh(2027, 2, 8, 17, 30)  # Monday 8 Feb works again
    assert sorted(actions) == [("holiday.remove", "cli"), ("holiday.set", "cli"), ("holiday.set", "cli")]

    listing = linkage("holidays", "list", "--year", "2027").output
    assert "临时休假" in listing and "2027-03-06 Sat  make-up workday" in listing
    assert "2027-02-08 Mon  ordinary day" in listing

    asyncio.run(seed())  # a re-seed keeps the office's edits
    cal, _ = asyncio.run(calendar_and_audit())
    assert due(sh(2027, 2, 4), 1, cal) == sh(2027, 2, 8, 17, 30)
    assert due(sh(2027, 3, 1), 1, cal) == sh(2027, 3, 3, 17, 30)

    bad = runner.invoke(cli, ["--database", path, "holidays", "remove", "2027-03-09"])
    assert bad.exit_code != 0 and "not in the holiday table" in bad.output
    bad = runner.invoke(cli, ["--database", path, "holidays", "add", "2027-02-30", "--kind", "holiday",
                              "--name", "x"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


# --- timers without Telegram: fire once across a restart; re-timed by calendar edits ------------------

def quiet_monday(calendar: WorkCalendar, after: datetime) -> datetime:
    """10:00 on a Monday at least a week ahead whose week (Mon–Fri) is all working days."""
    day = after.astimezone(SHANGHAI).date() + timedelta(days=7)
    while not (day.weekday() == 0 and all(calendar.is_working_day(day + timedelta(days=i)) for i in range(5))
               and all(not calendar.is_working_day(day + timedelta(days=i)) for i in (5, 6))):
        day += timedelta(days=1)
    return datetime.combine(day, time(10), tzinfo=SHANGHAI)


async def _outbox_texts(db) -> list[str]:
    async with db.read() as conn:
        return [p.get("text", "") for p in (await conn.execute(select(outbox.c.params))).scalars()]


async def test_deadline_timers_fire_once_across_a_restart_and_follow_calendar_edits(tmp_path):
    db = Database(str(tmp_path / "deadlines.db"))
    await db.ensure_schema()
    clock = Clock()
    await load_seeds(db, clock.now())
    config = HandlerConfig()
    async with db.transaction() as conn:
        monday = quiet_monday(await calendar_store.load(conn), clock.now())
        for roster_id, user_id in (("C001", 9001), ("C003", 9003), ("O001", 9009)):
            await conn.execute(update(members).where(members.c.roster_id == roster_id)
                               .values(telegram_user_id=user_id))
        await conn.execute(update(targets).where(targets.c.name == "topic:smart_parking").values(chat_id=-777))
        await cache.changed(conn)  # as /bind would
        author = await people.by_roster_id(conn, "C001")
        code = await item_store.next_code(conn, monday.year)
        item_id = await item_store.create(
            conn, files=[], code=code, author_id=author.id, topic_code="smart_parking", area="city",
            observation="情况", suggestion="建议", privacy="named", status="submitted", level="city",
            created_at=monday, updated_at=monday)
        ctx = Ctx.offline(conn, monday, config, REGISTRY)
        assert [t.name for t in (await route_item(ctx, item_id)).targets] == ["topic:smart_parking"]

    clock.advance(monday + timedelta(days=1, hours=7, minutes=31) - clock.now())  # Tuesday 17:31
    first = Scheduler(db, clock, config, asyncio.Event(), tick_seconds=3600)
    await first.start()  # the catch-up at start fires the owner's nudge
    await first.fire_due()
    await first.stop()
    second = Scheduler(db, clock, config, asyncio.Event(), tick_seconds=3600)
    await second.start()
    assert await second.fire_due() == 0
    await second.stop()
    nudges = [t for t in await _outbox_texts(db) if code in t and t.startswith(OPENINGS[1])]
    assert len(nudges) == 1
    assert "topic:smart_parking" not in nudges[0] and "智慧停车" in nudges[0]

    # the office makes Wednesday a holiday: the group's nudge moves to Thursday 17:30
    wednesday = (monday + timedelta(days=2)).date()
    async with db.transaction() as conn:
        moved = await deadlines.set_day(conn, wednesday, "holiday", "临时休假", clock.now(), config)
        group_step = (await conn.execute(select(timers).where(timers.c.key.like(f"deadline:{item_id}:claim:%:2")))).one()
    assert moved == 2  # steps 2 and 3 of the claim clock
    assert group_step.due_at == datetime.combine(wednesday + timedelta(days=1), END, tzinfo=SHANGHAI)
    async with db.transaction() as conn:
        await deadlines.remove_day(conn, wednesday, clock.now(), config)
        group_step = (await conn.execute(select(timers).where(timers.c.key == group_step.key))).one()
    assert group_step.due_at == datetime.combine(wednesday, END, tzinfo=SHANGHAI)

    # the member withdraws the report (as handlers/reports/submit.py does): every pending nudge is cancelled
    async with db.transaction() as conn:
        ctx = Ctx.offline(conn, clock.now(), config, REGISTRY)
        item = await item_store.by_id(conn, item_id)
        await transitions.move(ctx, item, "withdrawn", "withdrawn", actor_id=None, closed_at=ctx.now)
        assert await deadlines.next_nudge(conn, item_id) is None
        notes = (await conn.execute(select(timers.c.note).where(timers.c.key.like(f"deadline:{item_id}:%"),
                                                                timers.c.status == "skipped"))).scalars().all()
    assert notes == ["cancelled", "cancelled"]
    await db.close()


# --- the whole chain through the real bot ---------------------------------------------------------

async def _jump_to_quiet_monday(stack) -> datetime:
    async with stack.app.db.read() as conn:
        monday = quiet_monday(await calendar_store.load(conn), stack.app.clock.now())
    stack.app.clock.advance(monday - stack.app.clock.now())
    return monday


async def _at(stack, moment: datetime) -> None:
    """Move the clock to ``moment`` and let the scheduler fire what fell due."""
    stack.app.clock.advance(moment - stack.app.clock.now())
    await stack.app.scheduler.fire_due()
    await stack.settle()


async def _nudges(stack, chat, code: str, step: int | None = None) -> list:
    openings = [OPENINGS[step]] if step else list(OPENINGS.values())
    return [m for m in await stack.sb.messages(chat)
            if m.from_bot and code in (m.text or "") and (m.text or "").startswith(tuple(openings))]


async def _deadline_timers(stack, item_id: int) -> dict[str, tuple]:
    async with stack.app.db.read() as conn:
        rows = await conn.execute(select(timers).where(timers.c.key.like(f"deadline:{item_id}:%")))
        return {r.key: (r.status, r.note, r.due_at) for r in rows}


async def test_nudges_go_to_the_owner_then_the_group_then_the_city_office(stack):
    await _nudge_chain(stack)


async def test_nudges_go_to_the_owner_then_the_group_then_the_city_office_on_postgres(pg_stack):
    await _nudge_chain(pg_stack)


async def _nudge_chain(stack):
    pilot = await stack.pilot()
    world = stack.world
    monday = await _jump_to_quiet_monday(stack)
    code = await world.submit(pilot.city, topic="smart_parking", area="city", privacy="anonymous",
                              observation="地铁站周边共享单车乱停放。", suggestion="划定停放区。")
    await stack.settle()
    item = await stack.row("items", code=code)
    armed = await _deadline_timers(stack, item.id)
    assert sorted((k.split(":")[2], k.split(":")[4]) for k in armed) == [("claim", "1"), ("claim", "2"), ("claim", "3")]
    assert sorted(due_at for _, _, due_at in armed.values()) == [
        (monday + timedelta(days=d)).replace(hour=17, minute=30) for d in (1, 2, 3)]

    chats = (pilot.topic_liaison, pilot.topic_group.chat, pilot.office)
    await _at(stack, monday + timedelta(days=1, hours=7, minutes=29))  # Tuesday 17:29: not yet
    assert [len(await _nudges(stack, chat, code)) for chat in chats] == [0, 0, 0]

    async with stack.app.db.read() as conn:
        assert await deadlines.next_nudge(conn, item.id) == monday + timedelta(days=1, hours=7, minutes=30)
    await _at(stack, monday + timedelta(days=1, hours=7, minutes=31))  # Tuesday 17:31: the owner
    [owner] = await _nudges(stack, pilot.topic_liaison, code, 1)
    assert "待签收" in owner.text and "已超过办理时限（超期不足1个工作日）" in owner.text
    assert [len(await _nudges(stack, chat, code)) for chat in chats] == [1, 0, 0]

    await _at(stack, monday + timedelta(days=2, hours=7, minutes=31))  # Wednesday: the group
    [group] = await _nudges(stack, pilot.topic_group.chat, code, 2)
    card = await world.card(pilot.topic_group, code)
    assert group.reply_to == card.id
    assert "1个工作日" in group.text
    assert [len(await _nudges(stack, chat, code)) for chat in chats] == [1, 1, 0]

    await _at(stack, monday + timedelta(days=3, hours=7, minutes=31))  # Thursday: the city office
    [office] = await _nudges(stack, pilot.office, code, 3)
    assert "2个工作日" in office.text
    assert [len(await _nudges(stack, chat, code)) for chat in chats] == [1, 1, 1]

    for message in [owner, group, office]:
        assert "王晓明" not in message.text  # an anonymous author stays anonymous
    await _at(stack, monday + timedelta(days=10))  # nothing more, nothing twice
    assert [len(await _nudges(stack, chat, code)) for chat in chats] == [1, 1, 1]
    assert {status for status, _, _ in (await _deadline_timers(stack, item.id)).values()} == {"done"}
    async with stack.app.db.read() as conn:
        assert await deadlines.next_nudge(conn, item.id) is None


async def test_claiming_cancels_the_claim_nudges_and_a_first_reply_stops_the_reply_clock(stack):
    pilot = await stack.pilot()
    world = stack.world
    monday = await _jump_to_quiet_monday(stack)
    code = await world.submit(pilot.city, topic="smart_parking", area="city",
                              observation="停车收费标准不透明。", suggestion="公示收费标准。")
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim")
    await stack.settle()
    item = await stack.row("items", code=code)
    armed = await _deadline_timers(stack, item.id)
    by_phase = {}
    for key, (status, note, _) in armed.items():
        by_phase.setdefault(key.split(":")[2], set()).add((status, note))
    assert by_phase == {"claim": {("skipped", "cancelled")}, "reply": {("pending", None)},
                        "outcome": {("pending", None)}}

    # Thursday 17:31: the claim clock would have reached the office by now; the reply clock is due
    await _at(stack, monday + timedelta(days=3, hours=7, minutes=31))
    everywhere = (pilot.topic_liaison, pilot.topic_group.chat, pilot.office)
    assert not [m for chat in everywhere for m in await _nudges(stack, chat, code) if "待签收" in m.text]
    [reply_nudge] = await _nudges(stack, pilot.topic_liaison, code, 1)
    assert "尚未首次向委员反馈" in reply_nudge.text

    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "reply")
    await stack.sb.wait_for(pilot.topic_liaison, code, 30)
    await world.reply_privately(pilot.topic_liaison, "已转交市交通运输委，正在核实。")
    await stack.sb.wait_for(pilot.city, "已转交市交通运输委", 30)
    await stack.settle()
    states = {k.split(":", 2)[2]: v[:2] for k, v in (await _deadline_timers(stack, item.id)).items()}
    assert [v for k, v in states.items() if k.startswith("reply:") and k.endswith(":1")] == [("done", None)]
    assert {v for k, v in states.items() if k.startswith("reply:") and not k.endswith(":1")} == {("skipped", "cancelled")}
    assert {v for k, v in states.items() if k.startswith("outcome:")} == {("pending", None)}

    await _at(stack, monday + timedelta(days=5))  # past the reply clock's group step: nothing
    assert await _nudges(stack, pilot.topic_group.chat, code) == []


async def test_office_admins_edit_the_holiday_table_in_chat_and_others_cannot(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await sb.send(pilot.city, "/holidays add 2027-03-02 holiday 临时休假")
    assert (await sb.wait_for(pilot.city, None, 30)).text == zh("This command is for the city office.")
    assert (await stack.row("calendar_days", day=date(2027, 3, 2))) is None

    await sb.send(pilot.office, "/holidays add 2027-03-02 holiday 临时休假")
    saved = await sb.wait_for(pilot.office, None, 30)
    assert "2027-03-02" in saved.text and "临时休假" in saved.text
    row = await stack.row("calendar_days", day=date(2027, 3, 2))
    assert (row.kind, row.name, row.source) == ("holiday", "临时休假", "office")
    assert (await stack.row("audit_log", action="holiday.set")).actor.startswith("member:")

    await sb.send(pilot.office, "/holidays add 2027-02-30 holiday x")
    assert "2027-02-30" in (await sb.wait_for(pilot.office, None, 30)).text
    await sb.send(pilot.office, "/holidays 2027")
    listing = await sb.wait_for(pilot.office, lambda m: "临时休假" in (m.text or ""), 30)
    assert "03-02" in listing.text and "春节" in listing.text
