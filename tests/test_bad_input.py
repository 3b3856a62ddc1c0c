"""Bad input gets a clear, polite answer and changes nothing (through the real bot, in-process)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from handlers.core.i18n import translator
from storage.schema import invites, members

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30


async def _at_observation(stack, user):
    """Start /submit and go to the observation step."""
    await stack.world.start_city_report(user)


async def test_unknown_user_gets_a_polite_refusal_and_nothing_else(stack):
    sb = stack.sb
    before = await stack.count("members"), await stack.count("conversations")
    stranger = await sb.user("Stranger", language_code="en")
    await sb.send(stranger, "hello")
    refusal = await sb.wait_for(stranger, None, TIMEOUT)
    assert "invite" in refusal.text and "022-0000-0000" in refusal.text  # English for an English client
    query = await sb.press(stranger, refusal, data="c:1:1:claim", forge=True)
    answer = await sb.callback_answer(query)
    assert answer["show_alert"] and "invited" in answer["text"]
    assert (await stack.count("members"), await stack.count("conversations")) == before


async def test_invalid_reused_and_expired_invites(stack):
    sb, world = stack.sb, stack.world
    bogus = await sb.user("A")
    await sb.send(bogus, "/start not-a-real-code")
    assert zh("This invite link is not valid. Please ask the office for a new one: {contact}",
              contact="").rstrip() in (await sb.wait_for(bogus, None, TIMEOUT)).text

    code = await world.invite("C002")
    first, second = await sb.user("B"), await sb.user("C")
    await sb.send(first, f"/start {code}")
    await sb.wait_for(first, "李静怡", TIMEOUT)
    await sb.send(second, f"/start {code}")
    reused = await sb.wait_for(second, None, TIMEOUT)
    assert "已被使用" in reused.text or "already" in reused.text
    assert (await stack.row("members", roster_id="C002")).telegram_user_id == first.id

    late = await world.invite("C006")
    async with stack.app.db.transaction() as conn:
        await conn.execute(update(invites).where(invites.c.code == late)
                           .values(expires_at=stack.app.clock.now() - timedelta(days=1)))
    third = await sb.user("D")
    await sb.send(third, f"/start {late}")
    expired = await sb.wait_for(third, None, TIMEOUT)
    assert "过期" in expired.text
    assert (await stack.row("members", roster_id="C006")).telegram_user_id is None


async def test_command_in_the_wrong_chat_type(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await sb.send(pilot.city, "/submit", chat=pilot.topic_group.chat)
    steer = await sb.wait_for(pilot.topic_group.chat, "t.me", TIMEOUT)
    assert "私聊" in steer.text
    assert await stack.count("conversations") == 0
    await sb.send(pilot.city, "/bind whatever")  # /bind belongs in a group
    unknown = await sb.wait_for(pilot.city, None, TIMEOUT)
    assert "/submit" in unknown.text
    assert await stack.count("conversations") == 0


async def test_forged_and_stale_buttons_in_the_submit_flow(stack):
    pilot = await stack.pilot()
    sb, world = stack.sb, stack.world
    await sb.send(pilot.city, "/submit")
    topics = await world.choose_topic(pilot.city, "smart_parking")
    area_prompt = await sb.wait_for(pilot.city, lambda m: "s:area:city" in m.button_data.values(), TIMEOUT)
    conv_before = await stack.row("conversations", user_id=pilot.city.id)

    stale = await sb.press(pilot.city, topics, data="s:topic:smart_transport")  # an earlier step's button
    assert (await sb.callback_answer(stale))["text"] == zh.plain(
        "This button belongs to an earlier step. Please use the latest message.")
    for forged in ("s:area:moon", "s:zzz:1", "nonsense", "m:withdraw:99999", "c:abc"):
        query = await sb.press(pilot.city, area_prompt, data=forged, forge=True)
        answer = await sb.callback_answer(query)
        assert answer["show_alert"], forged
    conv_after = await stack.row("conversations", user_id=pilot.city.id)
    assert (conv_after.step, conv_after.data) == (conv_before.step, conv_before.data)
    assert await stack.count("items") == 0


async def test_overlong_and_empty_messages_are_refused_and_the_draft_is_kept(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await _at_observation(stack, pilot.city)
    await sb.send(pilot.city, "长" * 10_000)
    too_long = await sb.wait_for(pilot.city, "10000", TIMEOUT)
    assert "3000" in too_long.text
    await sb.send_sticker(pilot.city)
    await sb.wait_for(pilot.city, zh("Please type this part as text, or send a voice message. Files can be added in a later step."), TIMEOUT)
    conv = await stack.row("conversations", user_id=pilot.city.id)
    assert conv.step == "observation" and "observation" not in conv.data
    await sb.send(pilot.city, "正常长度的情况。")
    await sb.wait_for(pilot.city, "第5步", TIMEOUT)


async def test_unsupported_and_oversized_files_are_refused(stack):
    pilot = await stack.pilot()
    sb, world = stack.sb, stack.world
    await _at_observation(stack, pilot.city)
    await sb.send(pilot.city, "情况。")
    await world.step(pilot.city, "s:analysis", "skip")
    await sb.wait_for(pilot.city, "第6步", TIMEOUT)
    await sb.send(pilot.city, "建议。")
    await sb.wait_for(pilot.city, "第7步", TIMEOUT)
    await sb.send_video(pilot.city)
    video = await sb.wait_for(pilot.city, "video", TIMEOUT)
    assert "不支持" in video.text
    await sb.send_document(pilot.city, "big.pdf", mime_type="application/pdf", file_size=25 * 1024 * 1024)
    big = await sb.wait_for(pilot.city, "20", TIMEOUT)
    assert "25" in big.text
    await sb.send_document(pilot.city, "tool.exe", mime_type="application/x-msdownload", file_size=1000)
    await sb.wait_for(pilot.city, "application/x-msdownload", TIMEOUT)
    conv = await stack.row("conversations", user_id=pilot.city.id)
    assert conv.step == "files" and not conv.data.get("files")
    await sb.send_document(pilot.city, "report.pdf", mime_type="application/pdf", file_size=200_000)
    await sb.wait_for(pilot.city, "1", TIMEOUT)
    conv = await stack.row("conversations", user_id=pilot.city.id)
    assert [f["file_name"] for f in conv.data["files"]] == ["report.pdf"]


async def test_bind_with_a_wrong_key_or_by_a_non_admin(stack):
    pilot = await stack.pilot()
    sb, world = stack.sb, stack.world
    group = await sb.group("陌生群", members=[pilot.city.id], admins=[pilot.office.id])
    await sb.send(pilot.office, "/bind WRONGKEY", chat=group)
    # the refusal itself: the bot's greeting to the new group (sent for sb.group, which does not move the
    # cursor) also says 密钥 and 管理员, and usually lands after this send
    await sb.wait_for(group, zh("This key is not valid, was already used or has expired. Ask the city office "
                                "for a new one (linkage group bind-key)."), TIMEOUT)
    from handlers.office.keys import make_bind_key
    async with stack.app.db.transaction() as conn:
        key = await make_bind_key(conn, "topic:education", "topic", stack.app.clock.now(), hours=48,
                                  topic="education")
    await sb.send(pilot.city, f"/bind {key}", chat=group)
    refused = await sb.wait_for(group, "管理员", TIMEOUT)
    assert refused.text == zh("Only an administrator of this group can bind it.")
    assert (await stack.row("targets", name="topic:education")).chat_id is None
    await sb.send(pilot.office, f"/bind {key}", chat=group)  # the key was not used up by the refusal
    await sb.wait_for(group, "✅", TIMEOUT)
    assert (await stack.row("targets", name="topic:education")).chat_id == group.id
    del world


async def test_html_special_characters_are_shown_literally(stack):
    pilot = await stack.pilot()
    text = "<b>不是粗体</b> & <script>alert(1)</script> &amp;"
    code = await stack.world.submit(pilot.city, topic="smart_parking", area="city", observation=text,
                                    suggestion="a < b > c")
    card = await stack.world.card(pilot.topic_group, code)
    assert text in card.text and "a < b > c" in card.text
    bold = [e for e in card.entities if e["type"] == "bold"]
    assert all("不是粗体" not in card.text[e["offset"]:e["offset"] + e["length"]] for e in bold)


async def test_a_group_the_bot_was_removed_from(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await sb.remove_bot(pilot.topic_group.chat)
    warning = await sb.wait_for(pilot.office, "市政协·智慧停车主题议政群", TIMEOUT)
    assert "⚠" in warning.text
    await stack.settle()
    assert (await stack.row("targets", name="topic:smart_parking")).chat_id is None
    code = await stack.world.submit(pilot.city, topic="smart_parking", area="city", observation="情况。",
                                    suggestion="建议。")
    receipt = (await sb.messages(pilot.city))[-1]
    assert code in receipt.text and "委员学习和联络室" in receipt.text  # queued for the office, not lost
    assert (await stack.row("items", code=code)).status == "submitted"
    calls = [c for c in await sb.calls("sendMessage") if str(c["params"].get("chat_id")) == str(pilot.topic_group.chat.id)]
    assert all(c["status"] == 200 for c in calls)  # nothing was sent into the group after the removal
    async with stack.app.db.read() as conn:
        assert (await conn.execute(members.select().where(members.c.roster_id == "C001"))).first().reachable
