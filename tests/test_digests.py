"""Digests end to end: the weekly digest on Monday 09:00 (Asia/Shanghai) — the member's own
reports, numbers for the city and their district, adopted highlights that never name an
anonymous author —, the office's statistics with a chart, the liaisons' daily queue, /settings,
and once per period however often it fires. Plus the chart's Chinese glyphs (no stack)."""

from __future__ import annotations

import re
import warnings
from datetime import timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib import font_manager
import numpy as np
import pytest
from sqlalchemy import select

from handlers.features import REGISTRY
from handlers.digests import charts, render, schedule
from handlers.digests.news import News, OwnItems
from handlers.digests.preview import preview
from handlers.digests.send import send_members, send_now
from handlers.reports import lifecycle
from handlers.core import scheduled
from handlers.core.context import Ctx, HandlerConfig
from handlers.core.events import Event
from handlers.core.feature import Feature, Registry
from handlers.core.i18n import translator
from handlers.core.localtime import SHANGHAI, local_day
from storage import digests as store
from storage import timers
from storage.schema import outbox

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30
SYSTEM = Event(update_id=0, kind="cli", user_id=None, user_name="", language_code=None, chat_id=None, chat_type=None)


def plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


async def adopt(stack, liaison, group, code: str, note: str = "已被采用。") -> None:
    """A liaison claims the report on its card and records 'adopted'."""
    await stack.world.card_action(liaison, group, code, "claim")
    await stack.world.record_outcome(liaison, group, code, "adopted", note=note)


async def digests_of(stack, user, head: str = "📰") -> list:
    return [m for m in await stack.sb.messages(user) if m.from_bot and (m.text or "").startswith(head)]


async def move_to_weekly(stack) -> None:
    """Move the clock just past the next weekly digest time and let the scheduler fire."""
    app = stack.app
    due = schedule.next_weekly(app.clock.now(), app.dispatcher.config)
    app.clock.advance(due - app.clock.now() + timedelta(minutes=1))
    await app.scheduler.fire_due()
    await stack.settle()


async def test_weekly_digest_own_reports_numbers_highlights_and_the_office_chart(stack):
    pilot = await stack.pilot()
    world = stack.world
    named = await world.submit(pilot.city, topic="smart_parking", area="city",
                               observation="老旧小区夜间停车难。", suggestion="推行错时共享停车。")
    hidden = await world.submit(pilot.hongqiao, topic="smart_parking", area="street", street="hongqiao_xiyuzhuang",
                                privacy="anonymous", observation="西于庄街道夜间停车难。", suggestion="错时停车。")
    waiting = await world.submit(pilot.city, topic="smart_elderly_care", area="city", title="社区助餐点不足",
                                 tags=("elderly_friendly",), observation="社区助餐点不足。", suggestion="扩大助餐点。")
    await adopt(stack, pilot.topic_liaison, pilot.topic_group, named)
    await adopt(stack, pilot.port_liaison, pilot.port, hidden)
    await stack.settle()

    await move_to_weekly(stack)
    everyone = [pilot.office, pilot.city, pilot.hongqiao, pilot.port_liaison, pilot.street_liaison,
                pilot.topic_liaison, pilot.other_liaison]
    texts = {}
    for user in everyone:
        found = await digests_of(stack, user)
        assert len(found) == 1, f"{user.first_name} got {len(found)} weekly digests"
        texts[user.id] = found[0].text
        assert "赵丽娟" not in found[0].text  # the anonymous author is never named

    city = texts[pilot.city.id]
    parking = zh.plain("{topic}: {new} new · {answered} answered · {adopted} adopted", topic="智慧停车",
                       new=2, answered=0, adopted=2)
    assert plain(zh("<b>Your reports</b>")) in city
    assert waiting in city and lifecycle.status_label("routed", "zh") in city  # open, with its latest hop
    assert zh.plain("routed to {where}", where="") in city and "智慧养老" in city
    assert f"{waiting}「社区助餐点不足」" in city  # the member's own title beside the code
    assert named in city.split(plain(zh("<b>Adopted (采用)</b>")))[0]  # decided this week, among own reports
    assert parking in city
    highlights = city.split(plain(zh("<b>Adopted (采用)</b>")))[1]
    titled_named = lifecycle.titled(await stack.row("items", code=named))
    assert zh.plain("{code} (by {name})", code=titled_named, name="王晓明") in highlights  # named: the author shown
    assert hidden in highlights and f"{hidden} (" not in highlights  # anonymous: the code only

    hongqiao = texts[pilot.hongqiao.id]
    assert hidden in hongqiao and "红桥区" in hongqiao
    district = hongqiao.split("红桥区", 1)[1]
    assert zh.plain("{topic}: {new} new · {answered} answered · {adopted} adopted", topic="智慧停车",
                    new=1, answered=0, adopted=1) in district
    assert named not in texts[pilot.street_liaison.id].split(plain(zh("<b>Adopted (采用)</b>")))[0]

    # the office: statistics and the chart as a photo
    office = await digests_of(stack, pilot.office, "📊")
    assert len(office) == 2
    photo = next(m for m in office if m.kind == "photo")
    stats = next(m for m in office if m.kind == "text")
    assert zh.plain("By topic") in stats.text and "智慧停车" in stats.text and "红桥区" in stats.text
    by_tag = stats.text.split(plain(zh("<b>New reports by tag</b>")))[1]
    assert zh.plain("{tag}: {count} reports", tag="适老", count=1) in by_tag and "助残" not in by_tag
    office_id = (await stack.row("members", roster_id="O001")).id
    row = await stack.row("outbox", key=f"digest:office:{local_day(stack.app.clock.now())}:{office_id}:chart")
    path = row.params["photo"]["$file"]
    assert path.endswith(".png") and row.status == "sent"
    assert photo.raw["photo"][-1]["file_size"] == len(open(path, "rb").read())

    # once per period: firing again, or the command line's send, adds nothing
    assert await stack.app.scheduler.fire_due() == 0
    async with stack.app.db.transaction() as conn:
        ctx = Ctx.offline(conn, stack.app.clock.now(), stack.app.dispatcher.config, REGISTRY)
        assert (await send_now(ctx, "weekly"))[1] == 0
        assert (await send_now(ctx, "office"))[1] == 0
    await stack.settle()
    for user in everyone:
        assert len(await digests_of(stack, user)) == 1

    # /stats: the same numbers on demand in chat, for office admins only
    await stack.sb.send(pilot.office, "/stats")
    on_demand = await stack.sb.wait_for(pilot.office, "📊", TIMEOUT)
    assert "智慧停车" in on_demand.text and "红桥区" in on_demand.text
    await stack.sb.send(pilot.city, "/stats")
    assert (await stack.sb.wait_for(pilot.city, None, TIMEOUT)).text == \
        zh("Only office admins can see the statistics.")


async def test_a_weekly_timer_fired_twice_sends_each_digest_once(stack):
    await stack.pilot()
    app = stack.app
    config = app.dispatcher.config
    due = schedule.next_weekly(app.clock.now(), config)
    key = schedule.timer_key("weekly", due)
    assert (await stack.row("timers", key=key)).status == "pending"  # planned at start
    app.clock.advance(due - app.clock.now() + timedelta(seconds=5))
    async with app.db.read() as conn:
        timer = next(t for t in await timers.due(conn, app.clock.now()) if t.key == key)
    outcomes = []
    for _ in range(2):  # two wake-ups of the same occurrence (a restart, a catch-up)
        async with app.db.transaction() as conn:
            outcomes.append(await scheduled.fire(Ctx.offline(conn, app.clock.now(), config, REGISTRY),
                                                 timer))
    assert outcomes == ["done", "gone"]
    async with app.db.transaction() as conn:  # the job itself run again for the same period
        assert await send_members(Ctx.offline(conn, app.clock.now(), config, REGISTRY), "weekly", due) == 0
    prefix = f"digest:weekly:{local_day(due)}:"
    async with app.db.read() as conn:
        keys = list((await conn.execute(select(outbox.c.key).where(outbox.c.key.startswith(prefix)))).scalars())
    assert len(keys) == len(set(keys)) == 7  # the seven bound members of the pilot cast, once each
    # the planner (run after every firing) makes the next week's occurrence
    async with app.db.transaction() as conn:
        await scheduled.plan(Ctx.offline(conn, app.clock.now(), config, REGISTRY))
    assert (await stack.row("timers", key=schedule.timer_key("weekly", due + timedelta(days=7)))) is not None


async def test_a_bot_back_soon_after_a_digests_time_still_sends_it_and_one_back_too_late_does_not(stack):
    """Down across the weekly digest's time: back a minute later, the planner (run at start) adds
    that occurrence, due now; back a day and more later, only the next week's."""
    app, config = stack.app, stack.app.dispatcher.config
    due = schedule.next_weekly(app.clock.now() + timedelta(days=7), config)  # no timer for it yet
    for back, planned in ((timedelta(days=1, minutes=1), False), (timedelta(minutes=1), True)):
        async with app.db.transaction() as conn:
            await scheduled.plan(Ctx.offline(conn, due + back, config, REGISTRY))
        timer = await stack.row("timers", key=schedule.timer_key("weekly", due))
        assert (timer is not None) == planned
        assert await stack.row("timers", key=schedule.timer_key("weekly", due + timedelta(days=7))) is not None
    assert timer.status == "pending" and timer.expires_at > due + timedelta(minutes=1)


async def test_settings_choose_how_often_the_news_comes(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await sb.send(pilot.city, "/settings")
    view = await sb.wait_for(pilot.city, lambda m: "dg:off" in m.button_data.values(), TIMEOUT)
    assert [row[0] for row in view.buttons] == [zh.plain("Instant (as it happens)"), zh.plain("Daily"),
                                                "● " + zh.plain("Weekly"), zh.plain("Off")]  # weekly by default
    answer = await sb.callback_answer(await sb.press(pilot.city, view, data="dg:off"))
    assert answer["text"] == zh.plain("Saved: {choice}", choice=zh.plain("Off"))
    edited = await sb.wait_for(pilot.city, lambda m: m.id == view.id and m.edits > 0, TIMEOUT)
    assert "● " + zh.plain("Off") in [row[0] for row in edited.buttons]
    refused = await sb.callback_answer(await sb.press(pilot.city, view, data="dg:hourly", forge=True))
    assert refused["text"] == zh.plain("This choice is not valid.")
    member = await stack.row("members", roster_id="C001")
    assert (await stack.row("digest_prefs", member_id=member.id)).frequency == "off"

    for user, choice in ((pilot.hongqiao, "daily"), (pilot.topic_liaison, "instant")):
        await sb.send(user, "/settings")
        view = await sb.wait_for(user, lambda m: f"dg:{choice}" in m.button_data.values(), TIMEOUT)
        await sb.press(user, view, data=f"dg:{choice}")
        await sb.wait_for(user, lambda m: m.id == view.id and m.edits > 0, TIMEOUT)

    # one adoption in the Hongqiao port on the eve of the weekly digest; then the digest
    app = stack.app
    due = schedule.next_weekly(app.clock.now(), app.dispatcher.config)
    app.clock.advance(due - app.clock.now() - timedelta(hours=2))
    code = await stack.world.submit(pilot.street_liaison, topic="smart_parking", area="district",
                                    observation="丁字沽停车难。", suggestion="共享停车。")
    await adopt(stack, pilot.port_liaison, pilot.port, code)
    await move_to_weekly(stack)
    # off, with no reports of one's own: nothing at all
    assert await digests_of(stack, pilot.city) == []
    # instant, no own reports: no weekly digest either (the news came as it happened)
    assert await digests_of(stack, pilot.topic_liaison) == []
    # daily: the weekly digest carries the last day's news instead of the week's
    daily = await digests_of(stack, pilot.hongqiao)
    assert len(daily) == 1 and code in daily[0].text and plain(zh("the last day")) in daily[0].text
    assert plain(zh("this week")) not in daily[0].text
    # weekly (the default): the week's numbers; and the author of a report sees it among their own
    weekly = (await digests_of(stack, pilot.street_liaison))[0].text
    assert code in weekly and "智慧停车" in weekly
    assert zh.plain("Weekly") in weekly


async def test_instant_news_of_an_adoption_within_the_hour(stack):
    pilot = await stack.pilot()
    sb, app = stack.sb, stack.app
    await sb.send(pilot.topic_liaison, "/settings")
    view = await sb.wait_for(pilot.topic_liaison, lambda m: "dg:instant" in m.button_data.values(), TIMEOUT)
    await sb.press(pilot.topic_liaison, view, data="dg:instant")
    await sb.wait_for(pilot.topic_liaison, lambda m: m.id == view.id and m.edits > 0, TIMEOUT)
    code = await stack.world.submit(pilot.hongqiao, topic="smart_parking", area="district",
                                    privacy="office", observation="西沽停车难。", suggestion="共享停车。")
    await adopt(stack, pilot.port_liaison, pilot.port, code)
    due = schedule.next_hour(app.clock.now())
    app.clock.advance(due - app.clock.now() + timedelta(seconds=30))
    await app.scheduler.fire_due()
    await stack.settle()
    news = await digests_of(stack, pilot.topic_liaison, "📣")
    assert len(news) == 1 and code in news[0].text and "赵丽娟" not in news[0].text
    assert await digests_of(stack, pilot.city, "📣") == []  # weekly members wait for Monday


async def test_liaison_queue_on_the_next_working_day(stack):
    pilot = await stack.pilot()
    sb, app, world = stack.sb, stack.app, stack.world
    unclaimed = await world.submit(pilot.city, topic="smart_parking", area="city", title="停车难",
                                   observation="停车难。", suggestion="共享停车。")
    asked = await world.submit(pilot.city, topic="smart_parking", area="city",
                               observation="路灯不亮。", suggestion="修复路灯。")
    await world.card_action(pilot.topic_liaison, pilot.topic_group, asked, "claim")
    await world.card_action(pilot.topic_liaison, pilot.topic_group, asked, "ask")
    await sb.wait_for(pilot.topic_liaison, asked, TIMEOUT)
    await sb.send(pilot.topic_liaison, "哪条路？")
    await sb.wait_for(pilot.city, "哪条路？", TIMEOUT)
    await stack.settle()

    async with app.db.read() as conn:
        due = await schedule.next_liaison(conn, app.clock.now(), app.dispatcher.config)
    assert due.astimezone(SHANGHAI).strftime("%H:%M") == "08:00"
    app.clock.advance(due - app.clock.now() + timedelta(minutes=1))
    await app.scheduler.fire_due()
    await stack.settle()
    queue = await digests_of(stack, pilot.topic_liaison, "🗂")
    assert len(queue) == 1
    text = queue[0].text
    assert zh.plain("Unclaimed ({count}):", count=1) in text and f"{unclaimed}「停车难」" in text
    assert zh.plain("Waiting for the member ({count}):", count=1) in text and asked in text
    # a liaison with an empty queue and a plain member get nothing
    assert await digests_of(stack, pilot.street_liaison, "🗂") == []
    assert await digests_of(stack, pilot.city, "🗂") == []


# --- the chart's Chinese glyphs (no stack) -------------------------------------------------------

LABELS = "红桥区智慧停车养老医疗卫生采用已反馈新增"


def _render(text: str, family: list[str]) -> np.ndarray:
    figure = Figure(figsize=(0.6, 0.6), dpi=100)
    canvas = FigureCanvasAgg(figure)
    figure.text(0.5, 0.5, text, ha="center", va="center",
                fontproperties=font_manager.FontProperties(family=family, size=28))
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., 0].copy()


def test_the_shipped_font_has_the_chinese_glyphs_and_renders_them_not_boxes():
    font = FT2Font(str(charts.FONT_PATH))
    dejavu = FT2Font(font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"),
                                           fallback_to_default=False))
    for char in LABELS:
        assert font.get_char_index(ord(char)) != 0, char
        assert dejavu.get_char_index(ord(char)) == 0, char  # so a fallback would draw .notdef boxes

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        boxes = [_render(c, ["DejaVu Sans"]) for c in "红桥"]
    assert any("missing from font" in str(w.message) for w in caught)  # the detector below can fire
    assert np.array_equal(boxes[0], boxes[1])  # without the font: two different characters, one box

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        glyphs = [_render(c, [charts.FAMILY, "DejaVu Sans"]) for c in "红桥"]
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert not np.array_equal(glyphs[0], glyphs[1])  # real glyphs differ from each other...
    assert not np.array_equal(glyphs[0], boxes[0])  # ...and from the box
    assert (glyphs[0] < 128).sum() > 20  # and ink was drawn


def test_the_office_chart_draws_its_chinese_labels_with_the_shipped_font(tmp_path):
    data = charts.ChartData("2026-06-08 – 2026-06-14", by_topic=[("智慧停车", 3, 1, 2), ("医疗卫生", 1, 0, 0)],
                            by_district=[("红桥区", 2, 1, 1), ("全市", 2, 0, 1)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = charts.render_office_chart(data, tmp_path / "chart.png", "zh")
    assert not [w for w in caught if "missing from font" in str(w.message)], [str(w.message) for w in caught]
    assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 10_000
    translated = [zh.plain("By topic"), zh.plain("adopted")]
    assert all(ord(c) < 128 or FT2Font(str(charts.FONT_PATH)).get_char_index(ord(c)) for s in translated for c in s)
    assert store.FREQUENCIES == ("instant", "daily", "weekly", "off")


# --- upcoming sessions: the hook, and the study calendar's table (no stack) ----------------------

async def _seeded(tmp_path):
    from bot.clock import Clock
    from seeds.loader import load_seeds
    from storage.db import Database
    db = Database(str(tmp_path / "digest.db"))
    await db.ensure_schema()
    await load_seeds(db, Clock().now())
    return db, Clock().now()


async def test_upcoming_sessions_come_from_the_registered_hook(tmp_path):
    from storage import people
    db, now = await _seeded(tmp_path)
    seen = []

    async def hook(conn, member, start, end, lang, cache):
        seen.append((member.roster_id, start < end, lang))
        return ["· 12-05 14:30 <b>委员读书班</b>"]

    try:
        async with db.read() as conn:
            member = await people.by_roster_id(conn, "H001")
            ctx = Ctx.offline(conn, now, HandlerConfig(), Registry([Feature(name="calendar", upcoming=[hook])]))
            text, chart = await preview(ctx, member, "weekly")
    finally:
        await db.close()
    assert chart is None and seen == [("H001", True, "zh")]
    coming = text.split(zh("<b>Coming up</b>"))[1]
    assert "委员读书班" in coming


async def test_upcoming_sessions_read_from_the_study_table_for_their_audience(tmp_path):
    study = pytest.importorskip("storage.study")
    from storage import people
    db, now = await _seeded(tmp_path)
    config = HandlerConfig()
    due = schedule.next_weekly(now, config)
    try:
        async with db.transaction() as conn:
            for title, spec, status in (("红桥区委员学习", {"kind": "district", "value": "hongqiao"}, "announced"),
                                        ("和平区委员学习", {"kind": "district", "value": "heping"}, "announced"),
                                        ("草稿中的学习", {"kind": "all"}, "draft")):
                await study.create_session(
                    conn, title=title, kind="study", starts_at=due + timedelta(days=2),
                    ends_at=due + timedelta(days=2, hours=2), place="市政协机关", link=None, audience=spec,
                    capacity=None, reminders=[], status=status, checkin_code=await study.new_code(conn),
                    created_by="test", created_at=now)
        async with db.read() as conn:
            member = await people.by_roster_id(conn, "H001")
            news = await News.load(conn, due - timedelta(days=7), due, REGISTRY)
            text = await render.render_member(conn, member, kind="weekly", due=due, frequency="weekly", news=news,
                                              own=await OwnItems.load(conn, [member.id], news.since))
    finally:
        await db.close()
    coming = text.split(zh("<b>Coming up</b>"))[1]
    assert "红桥区委员学习" in coming and "市政协机关" in coming
    assert "和平区委员学习" not in coming and "草稿中的学习" not in coming


async def test_weekly_digest_and_office_chart_on_postgres(pg_stack):
    """The same digest on PostgreSQL (its GROUP BY and savepoint rules are stricter than SQLite's)."""
    await test_weekly_digest_own_reports_numbers_highlights_and_the_office_chart(pg_stack)
