"""Study sessions and reading plans: end to end through the real bot (in-process: tests/fast.py),
with the office acting through the same functions as the command line, and the movable clock
driving reminders (PRODUCT.md §7)."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main as cli_main
from bot.scheduler import Scheduler
from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.i18n import translator
from handlers.core import localtime
from handlers.core.localtime import local_at, local_day
from handlers.features import REGISTRY
from handlers.study import attendance, plans, sessions, terms, views
from seeds.demo_calendar import calendar_lines, sample_calendar
from storage import study as store
from storage.schema import timers

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30


def plain(text: str) -> str:
    """What Telegram shows for one of our HTML texts."""
    return re.sub(r"<[^>]+>", "", text)


async def office(stack, work):
    """The office acting like the command line: one transaction of its own on the bot's database."""
    async with stack.app.db.transaction() as conn:
        result = await work(Ctx.offline(conn, stack.app.clock.now(), stack.app.scheduler.config, REGISTRY))
    stack.app.sender.wake.set()
    return result


async def add_session(stack, **fields):
    fields.setdefault("kind", "study")
    fields.setdefault("place", "委员之家·第一学习室")
    return await office(stack, lambda ctx: sessions.add_session(ctx, **fields))


def day_after(stack, days: int) -> date:
    return local_day(stack.app.clock.now()) + timedelta(days=days)


def soon(stack, **delta) -> datetime:
    return stack.app.clock.now() + timedelta(**delta)


async def card_of(stack, user, session_id: int):
    return await stack.sb.wait_for(user, lambda m: f"st:a:{session_id}" in m.button_data.values(), TIMEOUT)


async def rsvp(stack, session_id: int, roster_id: str):
    member = (await stack.row("members", roster_id=roster_id)).id
    async with stack.app.db.read() as conn:
        return await store.rsvp(conn, session_id, member)


async def bot_texts(stack, user, needle: str) -> list[str]:
    await stack.settle()
    return [m.text for m in await stack.sb.messages(user) if m.from_bot and needle in (m.text or "")]


# --- time zones (no bot needed) ----------------------------------------------------------------

def test_shanghai_input_is_stored_in_utc_and_shown_back_in_shanghai():
    stored = localtime.parse_local("2026-12-03 14:30")
    assert stored == datetime(2026, 12, 3, 6, 30, tzinfo=timezone.utc)
    assert localtime.shown(stored) == "2026-12-03 14:30"
    early = localtime.parse_local("2026-12-03 07:00")  # before 08:00 in Shanghai is the previous day in UTC
    assert early == datetime(2026, 12, 2, 23, 0, tzinfo=timezone.utc)
    assert localtime.show_span(early, localtime.parse_local("2026-12-03 09:00")) == "2026-12-03 07:00–09:00"
    assert local_at(date(2026, 12, 7), "08:30") == datetime(2026, 12, 7, 0, 30, tzinfo=timezone.utc)
    with pytest.raises(AdminError):
        localtime.parse_local("3 Dec 2pm")


def test_reading_plan_days_are_parsed_with_their_kinds():
    days = plans.parse_days("self-study:读第一章; 自学+辅导：上午自学，下午专题辅导;discussion:分组研讨")
    assert days == [("self-study", "读第一章"), ("self-study+lecture", "上午自学，下午专题辅导"),
                    ("discussion", "分组研讨")]
    for bad in ("nap:睡觉", "lecture:", "", "只有内容"):
        with pytest.raises(terms.StudyError):
            plans.parse_days(bad)


async def test_a_1430_session_is_stored_0630_utc_and_shown_1430(stack):
    member = await stack.world.join("C002", "李静怡")
    day = day_after(stack, 3)
    session = await add_session(stack, title="专题学习会", start=f"{day} 14:30", end=f"{day} 16:30",
                                audience_spec="list:C002")
    async with stack.app.db.read() as conn:
        raw = (await conn.exec_driver_sql("SELECT starts_at, ends_at FROM study_sessions")).one()
    assert str(raw[0]).startswith(f"{day} 06:30") and str(raw[1]).startswith(f"{day} 08:30")
    assert session.starts_at == datetime(day.year, day.month, day.day, 6, 30, tzinfo=timezone.utc)

    card = await card_of(stack, member, session.id)
    assert "专题学习会" in card.text and f"{day} 14:30–16:30" in card.text
    assert "06:30" not in card.text
    assert set(card.button_data.values()) == {f"st:a:{session.id}", f"st:e:{session.id}"}
    # the reminders are timers at 48 h and 2 h before the start, expiring at the start
    async with stack.app.db.read() as conn:
        rows = {r.key: r for r in await conn.execute(select(timers).where(timers.c.key.like("study:%")))}
    reminders = {f"study:{session.id}:remind:2880", f"study:{session.id}:remind:120"}
    assert set(rows) == reminders | {f"study:{session.id}:open"}
    assert rows[f"study:{session.id}:remind:120"].due_at == session.starts_at - timedelta(hours=2)
    assert all(rows[key].expires_at == session.starts_at for key in reminders)
    opens = rows[f"study:{session.id}:open"]  # check-in opens 15 minutes before the start, until the end
    assert (opens.due_at, opens.expires_at) == (session.starts_at - timedelta(minutes=15), session.ends_at)


# --- RSVP ----------------------------------------------------------------------------------------

async def test_capacity_waiting_list_excuse_with_reason_and_promotion(stack):
    sb, world = stack.sb, stack.world
    first = await world.join("C001", "王晓明")
    second = await world.join("C002", "李静怡")
    third = await world.join("C006", "杨慧敏")
    session = await add_session(stack, title="读书分享会", start=soon(stack, days=2), end=soon(stack, days=2, hours=2),
                                capacity=1, audience_spec="list:C001,C002,C006")
    cards = {u.id: await card_of(stack, u, session.id) for u in (first, second, third)}
    assert zh("👥 Places: {capacity}, {free} left", capacity=1, free=1) in cards[first.id].text

    answer = await sb.callback_answer(await sb.press(first, cards[first.id], data=f"st:a:{session.id}"))
    assert answer["text"] == zh.plain("✅ Registered. See you there!")
    edited = await sb.wait_for(first, lambda m: m.id == cards[first.id].id and m.edits > 0, TIMEOUT)
    assert zh("attending") in edited.text

    for user, position in ((second, 1), (third, 2)):
        answer = await sb.callback_answer(await sb.press(user, cards[user.id], data=f"st:a:{session.id}"))
        assert answer["show_alert"]
        assert answer["text"] == zh.plain("The session is full. You are number {position} on the waiting list; "
                                          "I will tell you if a place opens.", position=position)
    assert [(await rsvp(stack, session.id, r)).status for r in ("C001", "C002", "C006")] == \
        ["attending", "waiting", "waiting"]

    # the attendee turns to "excused": asked for a reason in private, then the first in line moves up
    await sb.press(first, cards[first.id], data=f"st:e:{session.id}")
    await sb.wait_for(first, "读书分享会", TIMEOUT)
    assert (await rsvp(stack, session.id, "C001")).status == "attending"  # nothing changes before the reason
    await sb.send(first, "单位临时有会")
    await sb.wait_for(first, plain(zh("🙏 Noted: you are excused from <b>{title}</b>.", title="读书分享会")), TIMEOUT)
    excused = await rsvp(stack, session.id, "C001")
    assert (excused.status, excused.reason) == ("excused", "单位临时有会")

    told = await sb.wait_for(second, "🎉", TIMEOUT)
    assert "读书分享会" in told.text
    promoted_card = await sb.wait_for(second, lambda m: m.id == cards[second.id].id and m.edits > 0, TIMEOUT)
    assert zh("attending") in promoted_card.text
    assert (await rsvp(stack, session.id, "C002")).status == "attending"
    last = (await stack.row("members", roster_id="C006")).id
    async with stack.app.db.read() as conn:
        assert await store.waiting_position(conn, session.id, last) == 1

    answer = await sb.callback_answer(await sb.press(third, cards[third.id], data=f"st:a:{session.id}"))
    assert answer["text"] == zh.plain("You are already on the waiting list (number {position}).", position=1)
    await stack.settle()
    assert await stack.count("conversations") == 0  # the excuse conversation is over

    # the office sees the counts in chat; a member may not
    await sb.send(second, "/study")
    assert (await sb.wait_for(second, None, TIMEOUT)).text == zh("This command is for the city office.")
    admin = await world.join("O001", "何欣然")
    await sb.send(admin, "/study")
    listing = await sb.wait_for(admin, "读书分享会", TIMEOUT)
    assert zh("attending {attending} · excused {excused} · waiting {waiting} · checked in {checked_in} · "
              "no answer {invited} · check-in code {code}", attending=1, excused=1, waiting=1, checked_in=0,
              invited=0, code=session.checkin_code) in listing.text


async def test_forged_and_stale_rsvp_buttons_are_refused_politely(stack):
    sb, world = stack.sb, stack.world
    member = await world.join("C002", "李静怡")
    outsider = await world.join("C006", "杨慧敏")
    session = await add_session(stack, title="仅限受邀", start=soon(stack, hours=3), end=soon(stack, hours=4),
                                audience_spec="list:C002")
    card = await card_of(stack, member, session.id)
    elsewhere = (await sb.messages(outsider))[-1]

    async def refused(user, message, data: str) -> str:
        answer = await sb.callback_answer(await sb.press(user, message, data=data, forge=True))
        assert answer["show_alert"]
        return answer["text"]

    assert await refused(outsider, elsewhere, f"st:a:{session.id}") == \
        zh.plain("This session is not one you were invited to.")
    for data in ("st:a:999999", "st:a:abc", "st:x:1", "st:a:", "st:p:1", f"st:a:{session.id}0000000000"):
        assert await refused(member, card, data) == zh.plain("This button is not valid.")

    draft = await add_session(stack, title="草稿", start=soon(stack, hours=3), end=soon(stack, hours=4),
                              audience_spec="list:C002", draft=True)
    assert await refused(member, card, f"st:a:{draft.id}") == zh.plain("This button is not valid.")
    cancelled = await add_session(stack, title="取消的", start=soon(stack, hours=3), end=soon(stack, hours=4),
                                  audience_spec="list:C002")
    await office(stack, lambda ctx: sessions.cancel_session(ctx, cancelled.id))
    await sb.wait_for(member, "❌", TIMEOUT)
    assert await refused(member, card, f"st:a:{cancelled.id}") == zh.plain("This session was cancelled.")

    stack.app.clock.advance(timedelta(hours=3, minutes=10))  # the session has begun
    assert await refused(member, card, f"st:e:{session.id}") == \
        zh.plain("The session has begun: answers can no longer be changed.")
    stack.app.clock.advance(timedelta(hours=1))  # ... and is over
    assert await refused(member, card, f"st:a:{session.id}") == zh.plain("This session is over.")

    await stack.settle()
    assert (await rsvp(stack, session.id, "C002")).status == "invited"
    assert await rsvp(stack, session.id, "C006") is None
    assert await stack.count("conversations") == 0


# --- check-in ------------------------------------------------------------------------------------

async def test_checkin_code_window_reuse_and_another_sessions_code(stack):
    sb, world = stack.sb, stack.world
    member = await world.join("C002", "李静怡")
    other = await world.join("C006", "杨慧敏")
    start, end = soon(stack, hours=1), soon(stack, hours=3)
    mine = await add_session(stack, title="学习会甲", start=start, end=end, audience_spec="list:C002,C006")
    also_mine = await add_session(stack, title="学习会乙", start=start, end=end, audience_spec="list:C002")
    not_mine = await add_session(stack, title="学习会丙", start=start, end=end, audience_spec="list:C006")
    await stack.settle()

    # before the window (it opens 15 minutes before the start)
    await sb.send(member, f"/checkin {mine.checkin_code}")
    before = await sb.wait_for(member, None, TIMEOUT)
    assert before.text == zh("Check-in for {title} opens at {time}.", title="学习会甲",
                             time=localtime.shown(start - timedelta(minutes=15)))

    stack.app.clock.advance(timedelta(minutes=50))  # 10 minutes before the start: open
    await sb.send(member, f"/checkin {not_mine.checkin_code}")
    assert (await sb.wait_for(member, None, TIMEOUT)).text == \
        zh("You were not invited to {title}, so you cannot check in to it.", title="学习会丙")
    await sb.send(member, "/checkin 000000")
    assert (await sb.wait_for(member, None, TIMEOUT)).text == \
        zh("This check-in code is not valid. Please check it and try again.")

    # the 📍 button of one session, then the code of another: refused; then the right code
    await sb.send(member, "/sessions")
    listed = await sb.wait_for(member, lambda m: f"st:c:{mine.id}" in m.button_data.values(), TIMEOUT)
    await sb.press(member, listed, data=f"st:c:{mine.id}")
    await sb.wait_for(member, plain(zh("Type the check-in code shown at <b>{title}</b>.", title="学习会甲")), TIMEOUT)
    await sb.send(member, also_mine.checkin_code)
    assert "学习会甲" in (await sb.wait_for(member, None, TIMEOUT)).text
    assert (await rsvp(stack, also_mine.id, "C002")).checked_in_at is None
    await sb.send(member, mine.checkin_code)
    await sb.wait_for(member, plain(zh("✅ Checked in to <b>{title}</b>. Thank you!", title="学习会甲")), TIMEOUT)
    checked = (await rsvp(stack, mine.id, "C002")).checked_in_at
    assert checked is not None

    await sb.send(member, f"/checkin {mine.checkin_code}")
    again = await sb.wait_for(member, None, TIMEOUT)
    assert again.text == zh("You already checked in to {title} at {time}.", title="学习会甲",
                            time=localtime.shown(checked))
    assert (await rsvp(stack, mine.id, "C002")).checked_in_at == checked

    # materials go to those who checked in, when the session ends
    outcome = await office(stack, lambda ctx: sessions.set_materials(
        ctx, mine.id, link="https://materials.example.org/jia"))
    assert outcome.startswith("will be sent at the end")
    stack.app.clock.advance(timedelta(hours=2, minutes=15))  # after the end: closed
    await stack.app.scheduler.fire_due()
    await sb.send(member, f"/checkin {also_mine.checkin_code}")
    assert (await sb.wait_for(member, "学习会乙", TIMEOUT)).text == \
        zh("Check-in for {title} closed at {time}, when the session ended.", title="学习会乙",
           time=localtime.shown(end))
    assert len(await bot_texts(stack, member, "https://materials.example.org/jia")) == 1
    assert await bot_texts(stack, other, "https://materials.example.org/jia") == []
    assert await stack.count("study_rsvps", session_id=also_mine.id) == 1
    assert (await rsvp(stack, also_mine.id, "C002")).checked_in_at is None


async def test_guessing_checkin_codes_is_capped_for_an_hour(stack):
    sb = stack.sb
    member = await stack.world.join("C002", "李静怡")
    session = await add_session(stack, title="猜不中", start=soon(stack, minutes=10), end=soon(stack, hours=3),
                                audience_spec="list:C002")
    await card_of(stack, member, session.id)
    wrong = [code for code in (f"{n:06d}" for n in range(100000, 100100)) if code != session.checkin_code]
    for guess in wrong[:attendance.WRONG_CODES_PER_HOUR]:
        await sb.send(member, f"/checkin {guess}")
        assert (await sb.wait_for(member, None, TIMEOUT)).text == \
            zh("This check-in code is not valid. Please check it and try again.")
    assert await stack.count("study_wrong_codes") == attendance.WRONG_CODES_PER_HOUR
    member_id = (await stack.row("members", roster_id="C002")).id
    async with stack.app.db.read() as conn:
        first_guess = min(await store.wrong_codes_since(conn, member_id, datetime.min.replace(tzinfo=timezone.utc)))

    stack.app.clock.advance(timedelta(minutes=30))
    await sb.send(member, f"/checkin {session.checkin_code}")  # even the right code waits now
    assert (await sb.wait_for(member, None, TIMEOUT)).text == \
        zh("Too many wrong check-in codes. Please ask the organisers for the code; you can try again after {time}.",
           time=localtime.shown(first_guess + timedelta(hours=1)))
    assert (await rsvp(stack, session.id, "C002")).checked_in_at is None

    stack.app.clock.advance(timedelta(minutes=31))  # the wrong codes are more than an hour old
    await sb.send(member, f"/checkin {session.checkin_code}")
    await sb.wait_for(member, plain(zh("✅ Checked in to <b>{title}</b>. Thank you!", title="猜不中")), TIMEOUT)
    assert (await rsvp(stack, session.id, "C002")).checked_in_at is not None


# --- reminders -----------------------------------------------------------------------------------

async def test_a_late_reminder_goes_out_before_the_start_and_is_skipped_after_it(stack):
    sb, world = stack.sb, stack.world
    attending = await world.join("C002", "李静怡")
    silent = await world.join("C006", "杨慧敏")
    excused = await world.join("C001", "王晓明")
    useful = await add_session(stack, title="迟到仍有用", start=soon(stack, hours=3), end=soon(stack, hours=4),
                               reminders="120", audience_spec="list:C001,C002,C006")
    useless = await add_session(stack, title="迟到已无用", start=soon(stack, hours=4), end=soon(stack, hours=5),
                                reminders=[120], audience_spec="list:C002")
    # both cards before any press: a press moves the cursor past a card that has already arrived
    cards = {user.id: await card_of(stack, user, useful.id) for user in (attending, excused)}
    await sb.press(attending, cards[attending.id], data=f"st:a:{useful.id}")
    await sb.press(excused, cards[excused.id], data=f"st:e:{useful.id}")
    await sb.wait_for(excused, "迟到仍有用", TIMEOUT)
    await sb.send(excused, "出差")
    await sb.wait_for(excused, "🙏", TIMEOUT)

    stack.app.clock.advance(timedelta(hours=1, minutes=30))  # 30 minutes past the reminder, before the start
    await stack.app.scheduler.fire_due()
    for user in (attending, silent):  # attending, and those who have not answered (with the buttons)
        reminder = await sb.wait_for(user, "⏰", TIMEOUT)
        assert "迟到仍有用" in reminder.text and localtime.shown(useful.starts_at) in reminder.text
    assert f"st:a:{useful.id}" in reminder.button_data.values()
    assert await bot_texts(stack, excused, "⏰") == []
    assert (await stack.row("timers", key=f"study:{useful.id}:remind:120")).status == "done"

    stack.app.clock.advance(timedelta(hours=3))  # past the start of the second session: too late
    await stack.app.scheduler.fire_due()
    skipped = await stack.row("timers", key=f"study:{useless.id}:remind:120")
    assert skipped.status == "skipped" and "late" in skipped.note
    texts = await bot_texts(stack, attending, "迟到已无用")
    assert len(texts) == 1 and "⏰" not in texts[0]  # the card only: no reminder after the start
    assert "timer skipped" in open(stack.app.settings.log_file, encoding="utf-8").read()


async def test_reminders_fire_once_across_a_restart(stack):
    sb = stack.sb
    member = await stack.world.join("C002", "李静怡")
    session = await add_session(stack, title="重启不重发", start=soon(stack, hours=5), end=soon(stack, hours=6),
                                reminders="240,120", audience_spec="list:C002")
    clock = stack.app.clock
    clock.advance(timedelta(hours=1, minutes=30))  # the 240-minute reminder is due
    await stack.app.scheduler.fire_due()
    await sb.wait_for(member, "⏰", TIMEOUT)
    await stack.settle()

    await stack.app.stop()
    clock.advance(timedelta(hours=2))  # the 120-minute reminder falls due while the bot is down
    stack.app = stack.new_app(clock=clock)
    await stack.app.start()  # catches up: the 120-minute reminder goes out late, the 240 not again
    await stack.app.scheduler.fire_due()
    extra = Scheduler(stack.app.db, clock, stack.app.scheduler.config, asyncio.Event())
    await extra.start()  # a second scheduler on the same database fires nothing more
    await extra.fire_due()
    await extra.stop()
    await stack.settle()
    reminders = await bot_texts(stack, member, "⏰")
    assert len(reminders) == 2 and all("重启不重发" in text for text in reminders)
    for minutes in (240, 120):
        assert (await stack.row("timers", key=f"study:{session.id}:remind:{minutes}")).status == "done"


async def test_moving_and_cancelling_a_session_reschedules_and_drops_its_reminders(stack):
    member = await stack.world.join("C002", "李静怡")
    session = await add_session(stack, title="改期", start=soon(stack, days=3), end=soon(stack, days=3, hours=2),
                                audience_spec="list:C002")
    new_day = day_after(stack, 5)
    moved = await office(stack, lambda ctx: sessions.edit_session(
        ctx, session.id, start=f"{new_day} 09:00", end=f"{new_day} 11:00"))
    notice = await stack.sb.wait_for(member, "🔁", TIMEOUT)
    assert f"{new_day} 09:00–11:00" in notice.text
    async with stack.app.db.read() as conn:
        rows = {r.key: r.status for r in await conn.execute(select(timers).where(timers.c.key.like("study:%")))}
    assert rows == {f"study:{session.id}:{name}": "skipped" for name in ("remind:2880", "remind:120", "open")} | \
        {f"study:{session.id}:{name}:r1": "pending" for name in ("remind:2880", "remind:120", "open")}
    assert (await stack.row("timers", key=f"study:{session.id}:remind:120:r1")).due_at == \
        moved.starts_at - timedelta(hours=2)
    await office(stack, lambda ctx: sessions.cancel_session(ctx, session.id))
    await stack.sb.wait_for(member, "❌", TIMEOUT)
    async with stack.app.db.read() as conn:
        ours = [r.status for r in await conn.execute(select(timers).where(timers.c.key.like(f"study:{session.id}:%")))]
    assert ours and set(ours) == {"skipped"}


async def test_editing_a_session_tells_a_new_place_and_keeps_the_answers(stack):
    sb = stack.sb
    member = await stack.world.join("C002", "李静怡")
    session = await add_session(stack, title="专题学习", start=soon(stack, days=3), end=soon(stack, days=3, hours=2),
                                audience_spec="list:C002")
    card = await card_of(stack, member, session.id)
    await sb.callback_answer(await sb.press(member, card, data=f"st:a:{session.id}"))  # attending
    renamed = await office(stack, lambda ctx: sessions.edit_session(ctx, session.id, title="专题学习会"))
    assert (renamed.title, renamed.revision) == ("专题学习会", 0)  # a title alone is not announced again
    placed = zh.plain("📍 The place of this session has changed:")
    assert await bot_texts(stack, member, placed) == []
    with pytest.raises(AdminError, match="give a place") as refused:
        await office(stack, lambda ctx: sessions.edit_session(ctx, session.id, place=""))
    assert refused.value.field == "place"
    with pytest.raises(AdminError, match="in the past") as refused:
        await office(stack, lambda ctx: sessions.edit_session(ctx, session.id, start=soon(stack, hours=-1)))
    assert refused.value.field == "start"
    moved = await office(stack, lambda ctx: sessions.edit_session(ctx, session.id, place="委员之家·第二学习室"))
    told = await sb.wait_for(member, placed, TIMEOUT)
    assert "第二学习室" in told.text
    assert "专题学习会" in told.text and moved.revision == 1
    assert (await rsvp(stack, session.id, "C002")).status == "attending"  # the answer is kept
    async with stack.app.db.read() as conn:  # the reminders follow the revision
        pending = {r.key for r in await conn.execute(select(timers).where(timers.c.key.like("study:%")))
                   if r.status == "pending"}
    assert pending == {f"study:{session.id}:{name}:r1" for name in ("remind:2880", "remind:120", "open")}
    out = await asyncio.to_thread(CliRunner().invoke, cli_main, [
        "--database", stack.app.settings.database, "study", "edit", str(session.id), "--link", "https://meeting.example/1"],
        catch_exceptions=False, env={"LINKAGE_QUIET_HOURS": ""})
    stack.app.sender.wake.set()
    assert out.exit_code == 0 and "https://meeting.example/1" not in out.output and "第二学习室" in out.output
    assert (await sb.wait_for(member, lambda m: m.from_bot and "meeting.example" in (m.text or ""), TIMEOUT))


# --- reading plans -------------------------------------------------------------------------------

async def test_reading_plan_daily_reminder_and_one_checkin_per_day(stack):
    sb = stack.sb
    member = await stack.world.join("C002", "李静怡")
    first_day = day_after(stack, 1)
    plan_id = await office(stack, lambda ctx: plans.add_plan(
        ctx, title="主题读书班", start_date=first_day.isoformat(), audience_spec="list:C002",
        days="self-study:通读第一章;self-study+lecture:上午自学，下午专题辅导;discussion:分组研讨"))
    intro = await sb.wait_for(member, "主题读书班", TIMEOUT)
    assert "通读第一章" in intro.text and "分组研讨" in intro.text and "08:30" in intro.text

    clock = stack.app.clock
    clock.advance(local_at(first_day, "08:31") - clock.now())
    await stack.app.scheduler.fire_due()
    today = await sb.wait_for(member, lambda m: f"st:p:{plan_id}:1" in m.button_data.values(), TIMEOUT)
    assert "通读第一章" in today.text and list(today.button_data) == [zh.plain("✅ Studied today")]
    assert (await stack.row("timers", key=f"study:plan:{plan_id}:day:2")).status == "pending"

    answer = await sb.callback_answer(await sb.press(member, today, data=f"st:p:{plan_id}:1"))
    assert answer["text"] == zh.plain("✅ Recorded. Well done!")
    done = await sb.wait_for(member, lambda m: m.id == today.id and m.edits > 0, TIMEOUT)
    assert done.button_data == {}
    again = await sb.callback_answer(await sb.press(member, today, data=f"st:p:{plan_id}:1", forge=True))
    assert again["text"] == zh.plain("You already checked in for today.")
    early = await sb.callback_answer(await sb.press(member, today, data=f"st:p:{plan_id}:2", forge=True))
    assert early["text"] == zh.plain("Day {n} has not begun yet.", n=2)
    assert await stack.count("study_plan_checkins", plan_id=plan_id) == 1

    clock.advance(timedelta(days=1))  # day 2: its reminder; yesterday's button is over
    await stack.app.scheduler.fire_due()
    await sb.wait_for(member, lambda m: f"st:p:{plan_id}:2" in m.button_data.values(), TIMEOUT)
    late = await sb.callback_answer(await sb.press(member, today, data=f"st:p:{plan_id}:1", forge=True))
    assert late["text"] == zh.plain("Day {n} is over: the check-in is for that day only.", n=1)
    await sb.send(member, "/sessions")
    listed = await sb.wait_for(member, lambda m: f"st:p:{plan_id}:2" in m.button_data.values(), TIMEOUT)
    assert "上午自学，下午专题辅导" in listed.text
    await sb.callback_answer(await sb.press(member, listed, data=f"st:p:{plan_id}:2"))
    assert await stack.count("study_plan_checkins", plan_id=plan_id) == 2
    assert await stack.count("study_plan_checkins", plan_id=plan_id, day_no=2) == 1


# --- the command line and the demo's calendar ----------------------------------------------------

async def test_the_command_line_announces_through_the_running_bot(stack, tmp_path):
    member = await stack.world.join("H001", "赵丽娟")
    day = day_after(stack, 4)
    database = stack.app.settings.database
    runner = CliRunner()

    def linkage(*args: str):
        result = runner.invoke(cli_main, ["--database", database, "study", *args])
        assert result.exit_code == 0, result.output
        return result.output

    out = await asyncio.to_thread(linkage, "add", "--title", "红桥区履职培训", "--kind", "培训", "--start",
                                  f"{day} 09:00", "--end", f"{day} 11:30", "--place", "红桥区委员活动室",
                                  "--audience", "district:hongqiao", "--capacity", "20", "--reminders", "1440")
    session_id = int(re.search(r"session #(\d+)", out)[1])
    card = await card_of(stack, member, session_id)
    assert "红桥区履职培训" in card.text and f"{day} 09:00–11:30" in card.text
    await stack.sb.press(member, card, data=f"st:a:{session_id}")
    await stack.sb.wait_for(member, lambda m: m.id == card.id and m.edits > 0, TIMEOUT)
    shown = await asyncio.to_thread(linkage, "show", str(session_id))
    assert "H001 赵丽娟: attending" in shown and "stored in UTC" in shown and f"{day} 01:00" in shown
    code = (await asyncio.to_thread(linkage, "code", str(session_id))).strip()
    assert code == (await stack.row("study_sessions", id=session_id)).checkin_code
    bad = await asyncio.to_thread(runner.invoke, cli_main, [
        "--database", database, "study", "add", "--title", "x", "--kind", "nap", "--start", f"{day} 09:00",
        "--end", f"{day} 10:00", "--place", "p"])
    assert bad.exit_code != 0 and "kind must be one of" in bad.output
    assert "红桥区履职培训" in await asyncio.to_thread(linkage, "list")

    # a document as materials for everyone invited: uploaded by the bot when the session ends
    notes = tmp_path / "学习材料.pdf"
    notes.write_bytes(b"%PDF-1.4 sample study notes\n")
    assert "will be sent at the end" in await asyncio.to_thread(
        linkage, "materials", str(session_id), "--file", str(notes), "--to", "invited")
    stack.app.clock.advance(timedelta(days=5))
    await stack.app.scheduler.fire_due()
    document = await stack.sb.wait_for(member, lambda m: m.kind == "document", TIMEOUT)
    assert "红桥区履职培训" in document.text


async def test_sample_calendar_for_the_demo(stack):
    hongqiao = await stack.world.join("H001", "赵丽娟")
    calendar = await office(stack, sample_calendar)
    assert set(calendar.sessions) == {"study", "live", "training"}
    await card_of(stack, hongqiao, calendar.sessions["training"])
    async with stack.app.db.read() as conn:
        lines = await calendar_lines(conn, stack.app.clock.now())
    assert any("红桥区政协委员履职培训" in line for line in lines)
    assert sum("   " in line for line in lines) == 7  # the reading class's seven days
    assert await stack.count("outbox", method="sendMessage") > 0
    assert await stack.count("study_plan_days", plan_id=calendar.plan) == 7
    # the weekly digest's "Coming up" (handlers/digest.py hook): the member's sessions and the plan
    member = await stack.row("members", roster_id="H001")
    now = stack.app.clock.now()
    city = await stack.row("members", roster_id="C001")
    firing: dict = {}  # one digest firing: the calendar is read once for every member
    async with stack.app.db.read() as conn:
        coming = await views.upcoming_for_digest(conn, member, now, now + timedelta(days=14), "zh", firing)
        for_city = await views.upcoming_for_digest(conn, city, now, now + timedelta(days=14), "zh", firing)
    assert len(coming) == 4 and "红桥区政协委员履职培训" in coming[2] and "主题教育读书班" in coming[3]
    assert zh("not answered yet") in coming[2]
    assert not any("红桥区政协委员履职培训" in line for line in for_city)  # the Hongqiao training is not theirs


# --- the same on PostgreSQL (row locks, GROUP BY and dates are stricter there) --------------------

async def test_capacity_and_waiting_list_on_postgres(pg_stack):
    await test_capacity_waiting_list_excuse_with_reason_and_promotion(pg_stack)


async def test_reading_plan_on_postgres(pg_stack):
    await test_reading_plan_daily_reminder_and_one_checkin_per_day(pg_stack)
