"""A member's self-service: /calendar (every feature's entries in time order, for this member only,
paged, politely empty), /phone (typed or the member's own shared contact; someone else's contact,
a foreign or malformed number refused and nothing changed; audited), and the yearly summary (its
timer planned, surviving a restart, one message per joined member, never twice; the office's
``linkage summary send``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.core.localtime import local_at, local_day
from handlers.features import REGISTRY
from handlers.selfservice import phone, summary
from storage import consultation as consultation_store
from storage import deliberation as deliberation_store
from storage import digests, people, timers
from storage import selfservice as store
from storage import study as study_store
from storage.schema import audit_log

STACK_TIER = "fast"
zh = translator("zh")
TIMEOUT = 30


async def office(stack, work):
    async with stack.app.db.transaction() as conn:
        return await work(conn, stack.app.clock.now())


async def a_month_ahead(conn, now):
    """For Hongqiao's members: a session (H001 answered attending), a consultation meeting with its
    statements' deadline, an open topic closing, a two-day reading plan; for Heping only: a session."""
    h001 = await people.find(conn, "H001")
    hongqiao = {"kind": "district", "value": "hongqiao"}

    async def session(title, days, spec):
        session_id = await study_store.create_session(
            conn, title=title, kind="study", starts_at=now + timedelta(days=days),
            ends_at=now + timedelta(days=days, hours=2), place="市政协机关", audience=spec, reminders=[],
            status="announced", checkin_code=await study_store.new_code(conn), revision=0, created_by="cli",
            created_at=now)
        return session_id

    s = await session("红桥区委员学习", 3, hongqiao)
    await study_store.ensure_rsvp(conn, s, h001.id, now)
    await study_store.change_rsvp(conn, s, h001.id, now, status="attending")
    await session("和平区委员学习", 4, {"kind": "district", "value": "heping"})
    await session("明年的学习", 45, hongqiao)  # past the window
    await consultation_store.create(
        conn, title="老旧小区改造专题协商会", theme="改造", committee_code="social_legal", audience=hongqiao,
        starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=10, hours=3),
        statements_by=now + timedelta(days=7), status="announced", created_by="cli", created_at=now)
    await deliberation_store.create(
        conn, title="加装电梯如何破解协调难", body="背景", questions=[], committee_code="social_legal", audience=hongqiao,
        opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=5), status="open", created_at=now)
    today = local_day(now)
    await study_store.create_plan(
        conn, [{"day_no": n, "on_date": today + timedelta(days=n), "kinds": "self-study", "assignment": f"读第{n}章"}
               for n in (1, 2)], title="读书计划", start_date=today + timedelta(days=1), remind_at="08:30",
        audience=hongqiao, status="active", created_by="cli", created_at=now)


async def test_calendar_shows_my_month_in_time_order_paged_and_politely_empty(stack):
    sb, world = stack.sb, stack.world
    h001, city = await world.join("H001", "赵丽娟"), await world.join("C001", "王晓明")
    await sb.send(city, "/calendar")
    empty = await sb.wait_for(city, lambda m: m.from_bot and "🗓" in (m.text or ""), TIMEOUT)
    assert empty.text == zh.plain("🗓 Nothing is coming up for you in the next {days} days: no study session, "
                                  "consultation meeting or deliberation topic. /sessions and /deliberations show "
                                  "what is open now.", days=30) and not empty.buttons

    await office(stack, a_month_ahead)
    await sb.send(h001, "/calendar")
    shown = await sb.wait_for(h001, lambda m: m.from_bot and "🗓" in (m.text or ""), TIMEOUT)
    text = shown.text
    order = ["读第1章", "读第2章", "红桥区委员学习", "加装电梯如何破解协调难", "老旧小区改造专题协商会"]
    positions = [text.index(word) for word in order]
    assert positions == sorted(positions), text
    assert text.count("老旧小区改造专题协商会") == 2  # its statements' deadline (day 7) and the meeting (day 10)
    assert text.index("📝") < text.index("🏛")  # the deadline, then the meeting
    assert zh.plain("attending") in text.split("红桥区委员学习")[1].split("\n")[0]  # my answer beside it
    assert "和平区委员学习" not in text and "明年的学习" not in text  # not mine; past the 30 days
    assert not shown.buttons  # one page

    # many entries: pages of ten, ◀ ▶ redraw in place; a forged page is refused, a stale one clamped
    async def many(conn, now):
        for n in range(14):
            await study_store.create_session(
                conn, title=f"专题学习{n:02d}", kind="study", starts_at=now + timedelta(days=20, hours=n),
                ends_at=now + timedelta(days=20, hours=n, minutes=50), place="线上", audience={"kind": "all"},
                reminders=[], status="announced", checkin_code=await study_store.new_code(conn), revision=0,
                created_by="cli", created_at=now)
    await office(stack, many)
    await sb.send(h001, "/calendar")
    first = await sb.wait_for(h001, lambda m: m.from_bot and "cal:2" in m.button_data.values(), TIMEOUT)
    assert zh.plain("(page {page} of {pages})", page=1, pages=2) in first.text
    assert first.buttons == [[zh.plain("Later ▶")]]
    await sb.press(h001, first, data="cal:2")
    second = await sb.wait_for(h001, lambda m: m.id == first.id and "cal:1" in m.button_data.values(), TIMEOUT)
    assert "专题学习13" in second.text and "读第1章" not in second.text
    assert zh.plain("(page {page} of {pages})", page=2, pages=2) in second.text
    refused = await sb.callback_answer(await sb.press(h001, second, data="cal:x", forge=True))
    assert refused["text"] == zh.plain("This button is not valid.")
    await sb.press(h001, second, data="cal:9", forge=True)  # past the end: the last page
    await stack.settle()
    assert "专题学习13" in (await sb.message(h001, second.id)).text


async def test_a_member_sets_their_own_phone_typed_or_shared_and_bad_numbers_change_nothing(stack):
    sb, world = stack.sb, stack.world
    h001, c001 = await world.join("H001", "赵丽娟"), await world.join("C001", "王晓明")

    async def stored(roster_id):
        async with stack.app.db.read() as conn:
            row = await store.phone(conn, (await people.find(conn, roster_id)).id)
            return None if row is None else (row.phone, row.source)

    await sb.send(h001, "/settings")  # where a member looks for their preferences
    await sb.wait_for(h001, lambda m: m.from_bot and zh.plain("Language: /language · your phone number: /phone")
                      in (m.text or ""), TIMEOUT)
    await sb.send(h001, "/phone")
    prompt = await sb.wait_for(h001, lambda m: m.from_bot and m.keyboard, TIMEOUT)
    assert prompt.keyboard == [[zh.plain("📱 Share my phone number")], [zh.plain("✖ Cancel")]]
    assert prompt.reply_markup["keyboard"][0][0]["request_contact"] is True
    assert zh.plain("You have not given a phone number yet.") in prompt.text

    wrong = zh.plain("That does not look like a mainland China phone number. Please send a mobile number (11 digits, "
                     "such as 138 0013 8000) or a landline with its area code (such as 022-2345 6789). "
                     "Nothing was changed.")
    for bad in ("12345", "+1 202 555 0100", "1" * 200, "电话"):
        await sb.send(h001, bad)
        await sb.wait_for(h001, lambda m: m.from_bot and m.text == wrong, TIMEOUT)
    await sb.send_contact(h001, "+8613912345678", user_id=c001.id)  # someone else's contact
    await sb.wait_for(h001, lambda m: m.from_bot and m.text == zh.plain(
        "That is someone else's contact. Please press the button to share your own number, or type it. "
        "Nothing was changed."), TIMEOUT)
    await sb.send_photo(h001)
    await sb.wait_for(h001, lambda m: m.from_bot and m.text == zh.plain(
        "Please type your phone number, or press the button to share it. /cancel to stop."), TIMEOUT)
    await stack.settle()
    assert await stored("H001") is None

    await sb.send(h001, "022-2345 6789")
    saved = await sb.wait_for(h001, lambda m: m.from_bot and "022 2345 6789" in (m.text or ""), TIMEOUT)
    assert saved.text == zh.plain("✅ Saved: your phone number is now {number}.", number="022 2345 6789")
    assert await stored("H001") == ("+862223456789", "typed")
    await sb.send(h001, "13800138000")  # the conversation is over: an ordinary message again
    await sb.wait_for(h001, lambda m: m.from_bot and m.text == zh.plain(
        "To write a report, send /submit. /help lists everything I can do."), TIMEOUT)

    await sb.send(h001, "/phone")
    again = await sb.wait_for(h001, lambda m: m.from_bot and m.keyboard and "022 2345 6789" in m.text, TIMEOUT)
    assert again.text.startswith(zh.plain("Your phone number on file: {number}.", number="022 2345 6789"))
    await sb.send_contact(h001, "8613800138000")  # the member's own, from the button
    await sb.wait_for(h001, lambda m: m.from_bot and "138 0013 8000" in (m.text or ""), TIMEOUT)
    assert await stored("H001") == ("+8613800138000", "contact")
    await sb.send(h001, "/phone")  # and the keyboard's cancel: nothing changes, the keyboard goes
    await sb.wait_for(h001, lambda m: m.from_bot and m.keyboard and "138 0013 8000" in m.text, TIMEOUT)
    await sb.send(h001, zh.plain("✖ Cancel"))
    gone = await sb.wait_for(h001, lambda m: m.from_bot and m.text == zh.plain(
        "Cancelled; your phone number is unchanged."), TIMEOUT)
    assert gone.reply_markup == {"remove_keyboard": True} and await stack.count("conversations") == 0
    assert await stored("H001") == ("+8613800138000", "contact")
    async with stack.app.db.read() as conn:
        audited = [row.detail for row in await conn.execute(audit_log.select()) if row.action == "phone_set"]
    assert [d["source"] for d in audited] == ["typed", "contact"]
    assert audited[-1]["phone"].endswith("8000") and "13800138000" not in str(audited)  # masked
    assert await stored("C001") is None



@pytest.mark.tier("http")
async def test_the_contact_keyboard_and_a_shared_contact_through_both_frameworks(stack):
    """The one reply keyboard (request_contact) and its removal go out, and a contact comes in,
    through aiogram and PTB alike."""
    sb = stack.sb
    h001 = await stack.world.join("H001", "赵丽娟")
    await sb.send(h001, "/phone")
    prompt = await sb.wait_for(h001, lambda m: m.from_bot and m.keyboard, TIMEOUT)
    assert prompt.reply_markup["keyboard"][0][0] == {"text": zh.plain("📱 Share my phone number"),
                                                     "request_contact": True}
    await sb.send_contact(h001, "+86 139 1234 5678")
    saved = await sb.wait_for(h001, lambda m: m.from_bot and "139 1234 5678" in (m.text or ""), TIMEOUT)
    assert saved.reply_markup == {"remove_keyboard": True}
    assert (await stack.row("member_phones")).phone == "+8613912345678"

def test_phone_numbers_are_checked_with_chinas_rules():
    assert phone.normalised("138 0013 8000") == phone.normalised("+86 138-0013-8000") == "+8613800138000"
    assert phone.normalised("(022)2345 6789") == "+862223456789"
    assert phone.normalised("010-8888 6666") == "+861088886666"
    for bad in ("", "2345 6789", "11111111111", "+1 202 555 0100", "+852 2345 6789", "１３８"):
        assert phone.normalised(bad) is None, bad
    assert phone.readable("+8613800138000") == "138 0013 8000" and phone.masked("+8613800138000") == "**********8000"


async def test_the_yearly_summary_is_planned_survives_a_restart_and_goes_once_to_each_member(stack):
    sb, world, app = stack.sb, stack.world, stack.app
    h001, c001 = await world.join("H001", "赵丽娟"), await world.join("C001", "王晓明")
    now = app.clock.now()
    year = local_day(now).year
    due = summary.summary_due(year, app.dispatcher.config.year_summary_at)
    assert due == local_at(date(year, 12, 31), "18:00")
    async with app.db.read() as conn:
        planned = [t for t in await timers.pending(conn) if t.kind == summary.KIND]
    assert [(t.key, t.due_at, t.payload) for t in planned] == [(f"summary:{year}", due, {"year": year})]

    async def attended(conn, now):  # H001 checked in at a session this year: a record row and 5 points
        h = await people.find(conn, "H001")
        session_id = await study_store.create_session(
            conn, title="年度集中学习", kind="study", starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1),
            audience={"kind": "all"}, reminders=[], status="announced", checkin_code=await study_store.new_code(conn),
            revision=0, created_by="cli", created_at=now)
        await study_store.ensure_rsvp(conn, session_id, h.id, now)
        await study_store.change_rsvp(conn, session_id, h.id, now, status="attending", checked_in_at=now - timedelta(hours=2))
    await office(stack, attended)

    # a restart before year end: the new bot finds the same timer (planned once) and fires it when due
    await app.stop()
    stack.app = app = stack.new_app(clock=app.clock)
    await app.start()
    async with app.db.read() as conn:
        assert [t.key for t in await timers.pending(conn) if t.kind == summary.KIND] == [f"summary:{year}"]
    app.clock.advance(due - app.clock.now() + timedelta(minutes=1))
    await app.scheduler.fire_due()
    await stack.settle()

    def summaries(messages):
        return [m for m in messages if m.from_bot and "📒" in (m.text or "") and str(year) in m.text]
    mine = summaries(await sb.messages(h001))
    assert len(mine) == 1 and len(summaries(await sb.messages(c001))) == 1
    text = mine[0].text
    assert zh("📒 <b>Your year {year}: a summary</b>", year=year).replace("<b>", "").replace("</b>", "") in text
    assert zh.plain("⭐ Points: {total}", total=5) in text
    assert mine[0].button_data == {zh.plain("📒 Duty record {year}", year=year): f"ysum:record:{year}",
                                   zh.plain("⭐ My points"): f"ysum:points:{year}"}
    async with app.db.read() as conn:
        joined = await digests.recipients(conn)
    assert await stack.count("year_summaries", year=year) == len(joined) == 2  # one per joined member

    # never twice: the office's send, a second firing, the planner after the year's timer fired
    async with app.db.transaction() as conn:
        ctx = Ctx.offline(conn, app.clock.now(), app.dispatcher.config, REGISTRY)
        assert await summary.send_year(ctx, year) == 0
        assert await summary.send_year(ctx, year, dry_run=True) == 0
        await summary.plan_summary(ctx)
        assert not [t for t in await timers.pending(conn) if t.kind == summary.KIND and t.key == f"summary:{year}"]
    app.clock.advance(summary.USEFUL + timedelta(hours=1))
    await app.scheduler.fire_due()
    await stack.settle()
    assert len(summaries(await sb.messages(h001))) == 1
    async with app.db.read() as conn:  # next year's is planned once this year's is past
        assert [t.key for t in await timers.pending(conn) if t.kind == summary.KIND] == [f"summary:{year + 1}"]

    # the 📒 button gives the member's own record of that year, as /record YEAR would
    await sb.press(h001, mine[0], data=f"ysum:record:{year}")
    record = await sb.wait_for(h001, lambda m: m.from_bot and zh.plain(
        "📒 <b>Your duty record for {year}</b>", year=year).replace("<b>", "").replace("</b>", "") in (m.text or ""),
        TIMEOUT)
    assert "赵丽娟" in record.text
    await sb.press(h001, mine[0], data=f"ysum:points:{year}")
    await sb.wait_for(h001, lambda m: m.from_bot and "pts:on" in m.button_data.values(), TIMEOUT)  # /points
    refused = await sb.callback_answer(await sb.press(h001, mine[0], data="ysum:delete:2026", forge=True))
    assert refused["text"] == zh.plain("This button is not valid.")


def test_the_summary_time_is_a_setting_checked_at_start():
    assert summary.summary_due(2026, "12-30 09:00") == local_at(date(2026, 12, 30), "09:00")
    for bad in ("31.12 18:00", "12-31", "13-01 10:00", "02-30 10:00"):
        try:
            summary.summary_due(2026, bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_the_office_sends_a_year_by_hand_once(seeded_sqlite, tmp_path):
    """`linkage summary send --year … [--dry-run]` against a real SQLite file: two joined members."""
    import shutil
    import sqlite3

    from click.testing import CliRunner

    from bot.cli import main
    database = tmp_path / "linkage.db"
    shutil.copy(seeded_sqlite, database)
    with sqlite3.connect(database) as db:
        db.execute("UPDATE members SET telegram_user_id = 7000000 + id WHERE roster_id IN ('H001', 'H002')")

    def linkage(*args: str):
        result = CliRunner().invoke(main, ["--database", str(database), "summary", "send", *args])
        return result.exit_code, result.output

    assert linkage("--year", "2026", "--dry-run") == (0, "would queue 2 summaries of 2026 (nothing sent)\n")
    assert linkage("--year", "2026") == (0, "queued 2 summaries of 2026; members who had theirs were skipped\n")
    assert linkage("--year", "2026") == (0, "queued 0 summaries of 2026; members who had theirs were skipped\n")
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO member_phones (member_id, phone, source, updated_at) "
                   "SELECT id, '+862223456789', 'typed', '2026-12-01 02:00:00.000000' FROM members WHERE roster_id = 'H002'")
    listed = CliRunner().invoke(main, ["--database", str(database), "member", "phones", "--district", "hongqiao"])
    assert listed.exit_code == 0 and listed.output.startswith("H002") and "022 2345 6789" in listed.output
    assert len(listed.output.splitlines()) == 1
    code, out = linkage("--year", "1999")
    assert code == 1 and "year 1999 is not one Linkage can summarise" in out and "Traceback" not in out
    with sqlite3.connect(database) as db:
        keys = sorted(key for (key,) in db.execute("SELECT key FROM outbox WHERE key LIKE 'summary:%'"))
        texts = [text for (text,) in db.execute("SELECT json_extract(params, '$.text') FROM outbox "
                                                "WHERE key LIKE 'summary:%'")]
    assert len(keys) == 2 and all(k.startswith("summary:2026:") for k in keys)
    assert all("2026" in text and "⭐" in text for text in texts)


async def test_the_summary_waits_for_the_end_of_quiet_hours_as_digests_do(tmp_path):
    """At 12-31 18:00 inside quiet hours of 17:00-08:00 the rows wait until 08:00 on 1 January."""
    from bot.clock import Clock
    from handlers.core.context import HandlerConfig
    from seeds.loader import load_seeds
    from storage.db import Database
    from storage.schema import members, outbox
    db = Database(str(tmp_path / "quiet.db"))
    await db.ensure_schema()
    await load_seeds(db, Clock().now())
    try:
        async with db.transaction() as conn:
            await conn.execute(members.update().where(members.c.roster_id == "H001").values(telegram_user_id=7000001))
            config = HandlerConfig(quiet_hours="17:00-08:00")
            due = summary.summary_due(2026, config.year_summary_at)
            assert await summary.send_year(Ctx.offline(conn, due, config, REGISTRY), 2026) == 1
            rows = list(await conn.execute(outbox.select().where(outbox.c.key.like("summary:%"))))
    finally:
        await db.close()
    assert [row.not_before for row in rows] == [local_at(date(2027, 1, 1), "08:00")]


async def test_the_calendar_on_postgres(pg_stack):
    """The same queries on PostgreSQL (skipped without LINKAGE_TEST_POSTGRES_URL)."""
    await test_calendar_shows_my_month_in_time_order_paged_and_politely_empty(pg_stack)


async def test_the_yearly_summary_on_postgres(pg_stack):
    await test_the_yearly_summary_is_planned_survives_a_restart_and_goes_once_to_each_member(pg_stack)
