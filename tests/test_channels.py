"""Content channels (工作信息, 政协动态, 党建专栏, district channels) end to end: editors and their
scopes, posting in chat and from the command line's functions, the read button and its counts,
edits and withdrawals of what members received, scheduling across a restart, per-channel
subscriptions and frequency, the digest's grouping, and the publicity draft."""

from __future__ import annotations

import asyncio
import struct
import zlib
from datetime import timedelta

import pytest
from click.testing import CliRunner
from docx import Document
from sqlalchemy import func, select

from bot.cli import main as cli
from handlers.channels import items
from handlers.channels.editor import NOT_EDITOR
from handlers.channels.items import ChannelError
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.features import REGISTRY
from handlers.publicity import draft
from storage import channels as store
from storage import people
from storage.schema import outbox as outbox_table

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30
HEADING = zh("<b>Channels</b>").removeprefix("<b>").removesuffix("</b>")  # the digest's part


async def office(stack, work):
    """The operator acting like the command line: one transaction on the bot's database."""
    async with stack.app.db.transaction() as conn:
        result = await work(Ctx.offline(conn, stack.app.clock.now(), stack.app.scheduler.config, REGISTRY))
    stack.app.sender.wake.set()
    return result


async def channel(stack, code: str):
    async with stack.app.db.read() as conn:
        return await store.by_code(conn, code)


async def post(stack, code: str, title: str, body: str = "正文。", **options):
    async def work(ctx):
        return await items.post(ctx, await store.by_code(ctx.conn, code), title=title, body=body, **options)
    result = await office(stack, work)
    await stack.settle()
    return result


def copy_of(messages, item_id: int):
    """The member's copy of an item: the message carrying its 📖 button (None if they got none)."""
    found = [m for m in messages if m.from_bot and f"chi:{item_id}" in m.button_data.values()]
    return found[-1] if found else None


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


async def test_editors_post_in_chat_within_their_scope_and_members_get_their_channels(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    everyone = [pilot.office, pilot.city, pilot.hongqiao, pilot.port_liaison, pilot.street_liaison,
                pilot.topic_liaison, pilot.other_liaison]

    # a member who edits nothing is refused, also with a forged button of the flow
    await sb.send(pilot.city, "/post")
    await sb.wait_for(pilot.city, zh(NOT_EDITOR), TIMEOUT)
    own = next(m for m in await sb.messages(pilot.city) if m.from_bot)
    refused = await sb.callback_answer(await sb.press(pilot.city, own, data="chp:confirm:publish", forge=True))
    assert refused["text"] == zh.plain(NOT_EDITOR)

    # scopes: a district channel's editors are that district's; a city channel's city-level
    with pytest.raises(ChannelError, match="district hongqiao"):
        await office(stack, lambda ctx: items.add_editor(ctx, "hongqiao_news", "C001", "test"))
    with pytest.raises(ChannelError, match="city level"):
        await office(stack, lambda ctx: items.add_editor(ctx, "cppcc_news", "H004", "test"))
    await office(stack, lambda ctx: items.add_editor(ctx, "hongqiao_news", "H004", "test"))

    # the Hongqiao editor sees only the Hongqiao channel, posts with a link
    await sb.send(pilot.port_liaison, "/post")
    choose = await sb.wait_for(pilot.port_liaison, lambda m: any(v.startswith("chp:channel:")
                                                                for v in m.button_data.values()), TIMEOUT)
    assert list(choose.button_data) == ["红桥区政协动态"]
    hongqiao = await channel(stack, "hongqiao_news")
    cppcc = await channel(stack, "cppcc_news")
    forged = await sb.callback_answer(await sb.press(pilot.port_liaison, choose, data=f"chp:channel:{cppcc.id}",
                                                     forge=True))
    assert forged["text"] == zh.plain("This choice is not valid.")
    await sb.press(pilot.port_liaison, choose, data=f"chp:channel:{hongqiao.id}")
    await sb.wait_for(pilot.port_liaison, zh("Send the title (at most 100 characters)."), TIMEOUT)
    await sb.send(pilot.port_liaison, "红桥区政协开展委员进社区活动")
    await sb.wait_for(pilot.port_liaison, zh("Now send the text."), TIMEOUT)
    await sb.send(pilot.port_liaison, "12月1日，红桥区政协组织委员走进西于庄街道。<现场>")
    await sb.wait_for(pilot.port_liaison, lambda m: "chp:extra:skip" in m.button_data.values(), TIMEOUT)
    await sb.send(pilot.port_liaison, "not a link")
    await sb.wait_for(pilot.port_liaison, zh("Please send a photo or a document, a link, or press Skip."), TIMEOUT)
    await sb.send(pilot.port_liaison, "https://www.hqzx.gov.cn/news/1")
    preview = await sb.wait_for(pilot.port_liaison, lambda m: "chp:confirm:publish" in m.button_data.values(),
                                TIMEOUT)
    assert "<现场>" in preview.text and "https://www.hqzx.gov.cn/news/1" in preview.text
    await sb.press(pilot.port_liaison, preview, data="chp:confirm:publish")
    await sb.wait_for(pilot.port_liaison, zh("Item #{id} is published in {channel}: {count} members get it now, the "
                                             "others in their digest. /posts shows how many opened it.",
                                             id=1, channel="红桥区政协动态", count=3), TIMEOUT)
    await stack.settle()
    # by default: the city channels for everyone, a district's channel for its own members only
    for user in everyone:
        got = copy_of(await sb.messages(user), 1)
        district = (await stack.row("members", telegram_user_id=user.id)).district_code
        if district == "hongqiao":
            assert got is not None and "红桥区政协动态" in got.text and "<现场>" in got.text, user.first_name
        else:
            assert got is None, f"{user.first_name} is not of Hongqiao and got its channel"

    # the office admin edits every channel: the city channel reaches everyone
    await sb.send(pilot.office, "/post")
    choose = await sb.wait_for(pilot.office, lambda m: f"chp:channel:{cppcc.id}" in m.button_data.values(), TIMEOUT)
    await sb.press(pilot.office, choose, data=f"chp:channel:{cppcc.id}")
    await sb.wait_for(pilot.office, zh("Send the title (at most 100 characters)."), TIMEOUT)
    await sb.send(pilot.office, "市政协召开十四届常委会会议")
    await sb.wait_for(pilot.office, zh("Now send the text."), TIMEOUT)
    await sb.send(pilot.office, "会议听取了关于智慧城市建设的专题报告。")
    skip = await sb.wait_for(pilot.office, lambda m: "chp:extra:skip" in m.button_data.values(), TIMEOUT)
    await sb.press(pilot.office, skip, data="chp:extra:skip")
    preview = await sb.wait_for(pilot.office, lambda m: "chp:confirm:draft" in m.button_data.values(), TIMEOUT)
    await sb.press(pilot.office, preview, data="chp:confirm:draft")
    await sb.wait_for(pilot.office, zh("Item #{id} is kept as a draft (linkage channel publish {id} sends it).",
                                       id=2), TIMEOUT)
    await stack.settle()
    assert [u for u in everyone if copy_of(await sb.messages(u), 2) is not None] == []  # a draft reaches nobody
    count = await office(stack, lambda ctx: items.release(ctx, 2))
    await stack.settle()
    assert count == len(everyone)
    assert [u for u in everyone if copy_of(await sb.messages(u), 2) is None] == []
    with pytest.raises(ChannelError, match="not a draft"):
        await office(stack, lambda ctx: items.release(ctx, 2))

    # /posts: the editor's channels only, with the counts
    await sb.send(pilot.port_liaison, "/posts")
    listing = await sb.wait_for(pilot.port_liaison, "#1", TIMEOUT)
    assert "红桥区政协开展委员进社区活动" in listing.text and "十四届常委会" not in listing.text

    # … and withdraws from there, after confirming; another channel's item is not theirs to touch
    refused = await sb.callback_answer(await sb.press(pilot.port_liaison, listing, data="cha:confirm:2", forge=True))
    assert refused["text"] == zh.plain(NOT_EDITOR)
    await sb.press(pilot.port_liaison, listing, data="cha:withdraw:1")
    ask = await sb.wait_for(pilot.port_liaison, lambda m: "cha:confirm:1" in m.button_data.values(), TIMEOUT)
    copy = copy_of(await sb.messages(pilot.hongqiao), 1)
    assert not copy.deleted  # nothing happens before the confirmation
    done = await sb.callback_answer(await sb.press(pilot.port_liaison, ask, data="cha:confirm:1"))
    assert not done.get("show_alert")
    await stack.settle()
    assert (await sb.message(pilot.hongqiao, copy.id)).deleted
    assert (await stack.row("channel_items", id=1)).status == "withdrawn"
    again = await sb.callback_answer(await sb.press(pilot.port_liaison, ask, data="cha:confirm:1", forge=True))
    assert again["text"] == zh.plain("This button is no longer valid.")


async def test_opened_counts_edits_and_withdrawals_change_what_members_received(stack, tmp_path):
    pilot = await stack.pilot()
    sb, app = stack.sb, stack.app
    item_id, state, count = await post(stack, "cppcc_news", "关于开展委员履职培训的情况", "培训共三天。" * 200,
                                       link="https://www.tjszx.gov.cn/a")
    assert state == "published" and count == 7
    got = copy_of(await sb.messages(pilot.city), item_id)
    assert "…" in got.text and "https://www.tjszx.gov.cn/a" in got.text  # the start of the text, the link

    # opened via the button: once per recipient; the whole text comes as a reply
    answer = await sb.callback_answer(await sb.press(pilot.city, got, data=f"chi:{item_id}"))
    assert answer.get("text") in (None, "")
    full = await sb.wait_for(pilot.city, lambda m: m.from_bot and m.text.count("培训共三天。") == 200, TIMEOUT)
    assert full.id != got.id
    await sb.press(pilot.city, got, data=f"chi:{item_id}")
    await stack.settle()
    async with app.db.read() as conn:
        assert await store.counts(conn, item_id) == (7, 1)
    # a press on another message, or by someone who did not receive it, counts nothing
    welcome = next(m for m in await sb.messages(pilot.hongqiao) if m.from_bot and "/submit" in (m.text or ""))
    refused = await sb.callback_answer(await sb.press(pilot.hongqiao, welcome, data=f"chi:{item_id}", forge=True))
    assert refused["text"] == zh.plain("This button is not valid.") and refused["show_alert"]
    latecomer = await stack.world.join("C002", "李静怡")
    own = next(m for m in await sb.messages(latecomer) if m.from_bot)
    refused = await sb.callback_answer(await sb.press(latecomer, own, data=f"chi:{item_id}", forge=True))
    assert refused["text"] == zh.plain("This button is not valid.")
    async with app.db.read() as conn:
        assert await store.counts(conn, item_id) == (7, 1)
        info = await items.stats(conn, item_id)
    assert zh.plain(items.STATE_LABELS["published"]) in items.stats_line(info, "zh")
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["channel", "stats", str(item_id)],
                                     env={"LINKAGE_DATABASE": app.settings.database})
    assert result.exit_code == 0 and "received 7, opened 1" in result.output

    # an edit changes every copy in place
    changed = await office(stack, lambda ctx: items.edit(ctx, item_id, title="关于开展委员履职培训的通知（更正）"))
    await stack.settle()
    assert changed == 7
    edited = await sb.message(pilot.hongqiao, copy_of(await sb.messages(pilot.hongqiao), item_id).id)
    assert "（更正）" in edited.text and edited.edits == 1

    # a photo item: its caption is edited; a withdrawal within 48 hours deletes the copies
    photo = tmp_path / "会议.png"
    photo.write_bytes(tiny_png())
    with_photo, _, _ = await post(stack, "cppcc_news", "会议现场", "图为会议现场。", file=items.file_spec(str(photo)))
    copy = copy_of(await sb.messages(pilot.city), with_photo)
    assert copy.kind == "photo" and "会议现场" in copy.text
    await office(stack, lambda ctx: items.edit(ctx, with_photo, body="图为会议现场（摄影：市政协办公厅）。"))
    await stack.settle()
    assert "摄影" in (await sb.message(pilot.city, copy.id)).text
    await office(stack, lambda ctx: items.withdraw(ctx, with_photo))
    await stack.settle()
    assert (await sb.message(pilot.city, copy.id)).deleted

    # after 48 hours Telegram no longer deletes: the copy says it was withdrawn, without its button
    app.clock.advance(timedelta(hours=49))
    await office(stack, lambda ctx: items.withdraw(ctx, item_id))
    await stack.settle()
    old = await sb.message(pilot.hongqiao, edited.id)
    assert not old.deleted and zh.plain("This item was withdrawn by the editors of {channel}.",
                                        channel="政协动态") == old.text and old.button_data == {}
    with pytest.raises(ChannelError, match="withdrawn already"):
        await office(stack, lambda ctx: items.withdraw(ctx, item_id))
    with pytest.raises(ChannelError, match="cannot be edited"):
        await office(stack, lambda ctx: items.edit(ctx, item_id, body="x"))
    refused = await sb.callback_answer(await sb.press(pilot.hongqiao, old, data=f"chi:{item_id}", forge=True))
    assert refused["text"] == zh.plain("This item was withdrawn.")

    # withdrawn while its copies still wait in the outbox: they never go out, nothing to delete
    async def post_and_withdraw(ctx):
        posted, _, count = await items.post(ctx, await store.by_code(ctx.conn, "cppcc_news"), title="误发的稿件",
                                            body="草稿。")
        return posted, count, await items.withdraw(ctx, posted)
    hasty, count, changed = await office(stack, post_and_withdraw)
    await stack.settle()
    assert changed == count == 8  # the latecomer too
    assert copy_of(await sb.messages(pilot.city), hasty) is None
    assert not [m for m in await sb.messages(pilot.city) if "误发的稿件" in (m.text or "")]
    async with app.db.read() as conn:
        statuses = await conn.execute(select(outbox_table.c.status, func.count()).group_by(outbox_table.c.status)
                                      .where(outbox_table.c.key.like(f"chan:{hasty}:%")))
        assert dict(statuses.all()) == {"cancelled": 8}

    # bad input changes nothing
    for bad, message in (({"title": ""}, "needs a title"), ({"title": "长" * 101}, "limit is 100"),
                         ({"title": "t", "link": "javascript:alert(1)"}, "http")):
        with pytest.raises(ChannelError, match=message):
            await post(stack, "cppcc_news", bad.pop("title"), **bad)
    with pytest.raises(ChannelError, match="must lie ahead"):
        await post(stack, "cppcc_news", "过去", at=app.clock.now() - timedelta(minutes=1))
    assert await stack.count("channel_items") == 3


async def test_a_scheduled_item_goes_out_once_across_a_restart_and_a_withdrawn_one_never(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    later, state, count = await post(stack, "party", "党建专栏：学习贯彻全会精神", at=stack.app.clock.now() + timedelta(hours=2))
    never, _, _ = await post(stack, "party", "撤回的预告", at=stack.app.clock.now() + timedelta(hours=2))
    assert state == "scheduled" and count == 0
    await office(stack, lambda ctx: items.withdraw(ctx, never))
    assert copy_of(await sb.messages(pilot.city), later) is None

    clock = stack.app.clock
    await stack.app.stop()
    clock.advance(timedelta(hours=3))  # the time passes while the bot is down
    stack.app = stack.new_app(clock=clock)
    await stack.app.start()
    await stack.app.scheduler.fire_due()
    await stack.settle()
    assert (await stack.row("timers", key=items.publish_key(later))).status == "done"
    assert copy_of(await sb.messages(pilot.city), later) is not None
    assert copy_of(await sb.messages(pilot.city), never) is None
    assert (await stack.row("channel_items", id=never)).status == "withdrawn"
    assert await stack.app.scheduler.fire_due() == 0
    assert len([m for m in await sb.messages(pilot.city) if m.from_bot and f"chi:{later}" in m.button_data.values()]) == 1


async def test_members_choose_per_channel_and_the_digest_groups_titles_newest_first(stack):
    from tests.test_digests import digests_of, move_to_weekly
    pilot = await stack.pilot()
    sb = stack.sb
    cppcc, party = await channel(stack, "cppcc_news"), await channel(stack, "party")

    # /settings shows the channels too; a press cycles at once → in the digest → not subscribed
    await sb.send(pilot.city, "/settings")
    view = await sb.wait_for(pilot.city, lambda m: f"chs:{cppcc.id}:digest" in m.button_data.values(), TIMEOUT)
    assert "红桥区政协动态" in view.text and zh.plain("not subscribed") in view.text  # not his district
    answer = await sb.callback_answer(await sb.press(pilot.city, view, data=f"chs:{cppcc.id}:digest"))
    assert answer["text"] == zh.plain("Saved: {channel} — {choice}", channel="政协动态",
                                      choice=zh.plain("in the digest"))
    await stack.settle()
    for choice in ("digest", "off"):
        view = await sb.message(pilot.city, view.id)
        pressed = await sb.callback_answer(await sb.press(pilot.city, view, data=f"chs:{party.id}:{choice}"))
        assert pressed["text"].startswith(zh.plain("Saved: {channel} — {choice}", channel="党建专栏", choice=""))
        await stack.settle()
    view = await sb.message(pilot.city, view.id)
    assert f"chs:{party.id}:instant" in view.button_data.values()
    refused = await sb.callback_answer(await sb.press(pilot.city, view, data="chs:9999:off", forge=True))
    assert refused["text"] == zh.plain("This choice is not valid.")
    refused = await sb.callback_answer(await sb.press(pilot.city, view, data=f"chs:{party.id}:loud", forge=True))
    assert refused["text"] == zh.plain("This choice is not valid.")

    first, _, _ = await post(stack, "cppcc_news", "第一条政协动态", link="https://www.tjszx.gov.cn/1")
    stack.app.clock.advance(timedelta(hours=1))
    second, _, _ = await post(stack, "cppcc_news", "第二条政协动态")
    skipped, _, _ = await post(stack, "party", "党建专栏一则")
    instant, _, _ = await post(stack, "work_info", "工作信息一则")
    messages = await sb.messages(pilot.city)
    assert copy_of(messages, instant) is not None  # still at once
    assert all(copy_of(messages, i) is None for i in (first, second, skipped))
    assert copy_of(await sb.messages(pilot.hongqiao), first) is not None  # others keep the defaults

    await move_to_weekly(stack)
    digest = (await digests_of(stack, pilot.city))[-1].text
    part = digest.split(HEADING, 1)[1]
    assert "政协动态" in part and part.index("第二条政协动态") < part.index("第一条政协动态")  # newest first
    assert "党建专栏一则" not in digest and "工作信息一则" not in digest  # off, and sent at once
    assert "正文。" not in part  # titles and links, not texts
    raw = next(m for m in await sb.messages(pilot.city) if m.text == digest).raw
    assert any(e.get("url") == "https://www.tjszx.gov.cn/1" for e in raw.get("entities", []))
    assert HEADING not in (await digests_of(stack, pilot.hongqiao))[-1].text  # all at once


async def test_the_publicity_draft_holds_only_what_may_be_published(stack, tmp_path):
    from tests.test_digests import adopt
    pilot = await stack.pilot()
    world = stack.world
    named = await world.submit(pilot.city, topic="smart_parking", area="city", title="老旧小区夜间停车难",
                               observation="老旧小区夜间停车难。", suggestion="推行错时共享停车。")
    hidden = await world.submit(pilot.hongqiao, topic="smart_parking", area="street", street="hongqiao_xiyuzhuang",
                                privacy="anonymous", title="西于庄停车难", observation="西于庄街道夜间停车难。",
                                suggestion="在我家楼下增设车位。")
    await adopt(stack, pilot.topic_liaison, pilot.topic_group, named)
    await adopt(stack, pilot.port_liaison, pilot.port, hidden)
    await stack.settle()
    await post(stack, "cppcc_news", "市政协召开常委会议", "会议审议通过了有关决议。")
    draft_id, _, _ = await post(stack, "cppcc_news", "尚未发布的草稿", draft=True)
    gone, _, _ = await post(stack, "cppcc_news", "已撤回的信息")
    await office(stack, lambda ctx: items.withdraw(ctx, gone))

    async def consent(roster_id, value):
        async with stack.app.db.transaction() as conn:
            member = await people.by_roster_id(conn, roster_id)
            await store.set_consent(conn, member.id, value, "书面同意", stack.app.clock.now())
            return member.id
    async with stack.app.db.read() as conn:
        unasked = (await people.by_roster_id(conn, "C006")).id
    with pytest.raises(ChannelError, match="consent"):
        await post(stack, "cppcc_news", "委员风采：杨慧敏", kind="profile", profile_member_id=unasked)
    agreed = await consent("C002", True)
    withdrawn = await consent("C005", True)
    await post(stack, "cppcc_news", "委员风采：李静怡", "深耕医疗卫生领域。", kind="profile", profile_member_id=agreed)
    await post(stack, "cppcc_news", "委员风采：陈志强", "长期关注营商环境。", kind="profile", profile_member_id=withdrawn)
    await consent("C005", False)

    html_path, docx_path = tmp_path / "week.html", tmp_path / "week.docx"
    async with stack.app.db.read() as conn:
        _, count = await draft.write(conn, html_path, None, stack.app.clock.now())
        await draft.write(conn, docx_path, None, stack.app.clock.now())
    page = html_path.read_text(encoding="utf-8")
    words = "\n".join(p.text for p in Document(str(docx_path)).paragraphs)
    for text in (page, words):
        assert "老旧小区夜间停车难" in text and "王晓明" in text and "推行错时共享停车。" in text  # named: shown
        assert "西于庄停车难" in text and "赵丽娟" not in text and "在我家楼下增设车位。" not in text  # anonymised
        assert "市政协召开常委会议" in text and "委员风采：李静怡" in text
        assert "尚未发布的草稿" not in text and "已撤回的信息" not in text and "陈志强" not in text
    assert count == 4  # two reports, a news item, a profile
    assert draft_id
    with pytest.raises(ChannelError, match="2026-W49"):
        draft.week_window("week 49", stack.app.clock.now())
    label, start, end = draft.week_window("2026-W49", stack.app.clock.now())
    assert label == "2026-W49" and (end - start) == timedelta(days=7) and start.isoformat() == "2026-11-29T16:00:00+00:00"


async def test_opened_counts_edits_and_withdrawals_on_postgres(pg_stack, tmp_path):
    await test_opened_counts_edits_and_withdrawals_change_what_members_received(pg_stack, tmp_path)


async def test_members_choose_per_channel_on_postgres(pg_stack):
    await test_members_choose_per_channel_and_the_digest_groups_titles_newest_first(pg_stack)
