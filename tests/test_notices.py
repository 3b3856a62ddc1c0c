"""Notices (通知公告) end to end: an office admin sends one in chat, members confirm with the Read
button (once; forged and outsiders' presses refused), the admin sees the counts, and after the
delay only those who have not read get a reminder."""

from __future__ import annotations

from datetime import timedelta

from handlers.features import REGISTRY
from handlers.core.i18n import translator
from handlers.notices.notices import send_notice
from handlers.core.context import Ctx
from handlers.core.events import Event
from handlers.core import audience
from sqlalchemy import select, update

from storage import notices as store
from storage.schema import outbox

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30
SYSTEM = Event(update_id=0, kind="cli", user_id=None, user_name="", language_code=None, chat_id=None, chat_type=None)


def notice_message(messages, notice_id: int, *, reminder: bool = False):
    """The bot's message carrying the Read button of the notice (or of its reminder)."""
    head = zh("🔔 <b>Reminder: please read this notice</b>").replace("<b>", "").replace("</b>", "")
    found = [m for m in messages if m.from_bot and f"nr:{notice_id}" in m.button_data.values()
             and (m.text or "").startswith(head) == reminder]
    return found[-1] if found else None


async def counts(stack, notice_id: int) -> tuple[int, int]:
    async with stack.app.db.read() as conn:
        return await store.counts(conn, notice_id)


async def test_notice_read_receipts_and_a_reminder_only_to_those_who_have_not_read(stack):
    pilot = await stack.pilot()
    sb, app = stack.sb, stack.app
    everyone = [pilot.office, pilot.city, pilot.hongqiao, pilot.port_liaison, pilot.street_liaison,
                pilot.topic_liaison, pilot.other_liaison]

    # the office admin writes it in chat: audience, title, body, preview, send
    await sb.send(pilot.office, "/notice")
    prompt = await sb.wait_for(pilot.office, lambda m: "nt:audience:all" in m.button_data.values(), TIMEOUT)
    await sb.press(pilot.office, prompt, data="nt:audience:all")
    await sb.wait_for(pilot.office, zh("{count} members will receive it. Now send the title of the notice.",
                                       count=len(everyone)), TIMEOUT)
    await sb.send(pilot.office, "关于参加十二月委员学习的通知")
    await sb.wait_for(pilot.office, zh("Now send the text of the notice."), TIMEOUT)
    await sb.send(pilot.office, "请于12月5日14:30到市政协机关三楼会议室参加学习。<请准时>")
    preview = await sb.wait_for(pilot.office, lambda m: "nt:confirm:send" in m.button_data.values(), TIMEOUT)
    assert "<请准时>" in preview.text  # a member's text is shown as written, never parsed as HTML
    await sb.press(pilot.office, preview, data="nt:confirm:send")
    await sb.wait_for(pilot.office, zh("Notice #{id} is on its way to {count} members. /notices shows who has "
                                       "read it.", id=1, count=len(everyone)), TIMEOUT)
    await stack.settle()
    assert await counts(stack, 1) == (len(everyone), 0)

    notices = {}
    for user in everyone:
        notices[user.id] = notice_message(await sb.messages(user), 1)
        assert notices[user.id] is not None, f"user {user.first_name} got no notice"
        assert "关于参加十二月委员学习的通知" in notices[user.id].text
        assert list(notices[user.id].buttons[0]) == [zh.plain("✅ Read")]

    # two members read it; a second press is not a second read
    for user in (pilot.city, pilot.hongqiao):
        answer = await sb.callback_answer(await sb.press(user, notices[user.id], data="nr:1"))
        assert answer["text"] == zh.plain("Thank you: recorded as read.")
    again = await sb.callback_answer(await sb.press(pilot.city, notices[pilot.city.id], data="nr:1", forge=True))
    assert again["text"] == zh.plain("You have already confirmed reading this notice.")
    await stack.settle()
    read = await sb.message(pilot.city, notices[pilot.city.id].id)
    assert read.button_data == {} and "✅" in read.text  # the button is gone, the time of reading shown

    # forged presses: on another message of one's own chat, for a notice that does not exist,
    # and from someone who was not a recipient (a member who joined later)
    welcome = next(m for m in await sb.messages(pilot.port_liaison) if m.from_bot and "/submit" in (m.text or ""))
    for user, message, data in ((pilot.port_liaison, welcome, "nr:1"), (pilot.port_liaison, welcome, "nr:99"),
                                (pilot.port_liaison, notices[pilot.port_liaison.id], "nr:1x")):
        refused = await sb.callback_answer(await sb.press(user, message, data=data, forge=True))
        assert refused["text"] == zh.plain("This button is not valid.") and refused["show_alert"]
    latecomer = await stack.world.join("C002", "李静怡")
    own = next(m for m in await sb.messages(latecomer) if m.from_bot)
    refused = await sb.callback_answer(await sb.press(latecomer, own, data="nr:1", forge=True))
    assert refused["text"] == zh.plain("This button is not valid.")
    assert await counts(stack, 1) == (len(everyone), 2)

    # the sender sees the counts; a member may not
    await sb.send(pilot.office, "/notices")
    listing = await sb.wait_for(pilot.office, "#1", TIMEOUT)
    assert "关于参加十二月委员学习的通知" in listing.text and f"2/{len(everyone)}" in listing.text
    await sb.send(pilot.city, "/notices")
    await sb.wait_for(pilot.city, zh("Only office admins can see notices and their read receipts."), TIMEOUT)

    # 24 hours later: a reminder to the five who have not read it, none to the two who have
    app.clock.advance(timedelta(hours=24, minutes=1))
    await app.scheduler.fire_due()
    await stack.settle()
    assert (await stack.row("timers", key="notice:1:remind")).status == "done"
    for user in everyone:
        reminder = notice_message(await sb.messages(user), 1, reminder=True)
        if user in (pilot.city, pilot.hongqiao):
            assert reminder is None, f"{user.first_name} had read it and was reminded"
        else:
            assert reminder is not None and "关于参加十二月委员学习的通知" in reminder.text, user.first_name
    assert await stack.count("outbox", key=f"notice:1:remind:{(await stack.row('members', roster_id='C001')).id}") == 0

    # reading from the reminder counts too; firing again sends nothing more
    reminder = notice_message(await sb.messages(pilot.port_liaison), 1, reminder=True)
    answer = await sb.callback_answer(await sb.press(pilot.port_liaison, reminder, data="nr:1"))
    assert answer["text"] == zh.plain("Thank you: recorded as read.")
    assert await counts(stack, 1) == (len(everyone), 3)
    assert await app.scheduler.fire_due() == 0


async def test_a_read_pressed_the_moment_the_notice_arrives_is_recorded(stack):
    """Telegram has the message before the sender has recorded its id (the row is still being
    sent): a press in the member's own chat then is taken; one from elsewhere is not."""
    pilot = await stack.pilot()
    sb, app = stack.sb, stack.app
    async with app.db.transaction() as conn:
        ctx = Ctx.offline(conn, app.clock.now(), app.dispatcher.config, REGISTRY)
        await send_notice(ctx, title="关于参加委员学习的通知", body="请准时参加。", spec=audience.parse("all"),
                          sender_id=None, remind_after_hours=0)
    notice = await sb.wait_for(pilot.city, lambda m: "nr:1" in m.button_data.values(), TIMEOUT)
    await stack.settle()
    in_flight = update(outbox).where(outbox.c.key.like("notice:1:%"))
    async with app.db.transaction() as conn:  # as they are between the send and its recorded answer
        sent = (await conn.execute(select(outbox.c.id, outbox.c.message_id).where(in_flight.whereclause))).all()
        await conn.execute(in_flight.values(status="sending", message_id=None))
    in_a_group = next(m for m in await sb.messages(pilot.topic_group.chat) if m.from_bot)
    elsewhere = await sb.callback_answer(await sb.press(pilot.topic_liaison, in_a_group, data="nr:1", forge=True))
    assert elsewhere["text"] == zh.plain("This button is not valid.")
    answer = await sb.callback_answer(await sb.press(pilot.city, notice, data="nr:1"))
    assert answer["text"] == zh.plain("Thank you: recorded as read.")
    async with app.db.transaction() as conn:  # and then the sender records them
        for row_id, message_id in sent:
            await conn.execute(update(outbox).where(outbox.c.id == row_id).values(status="sent", message_id=message_id))
    await stack.settle()
    assert "✅" in (await sb.message(pilot.city, notice.id)).text


async def test_only_office_admins_send_notices_and_an_empty_audience_is_refused(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await sb.send(pilot.city, "/notice")
    await sb.wait_for(pilot.city, zh("Only office admins can send notices."), TIMEOUT)
    # a forged button of the flow from a member is refused too
    own = next(m for m in await sb.messages(pilot.city) if m.from_bot)
    refused = await sb.callback_answer(await sb.press(pilot.city, own, data="nt:confirm:send", forge=True))
    assert refused["text"] == zh.plain("Only office admins can send notices.")
    assert await stack.count("notices") == 0

    await sb.send(pilot.office, "/notice")
    await sb.wait_for(pilot.office, lambda m: "nt:audience:all" in m.button_data.values(), TIMEOUT)
    await sb.send(pilot.office, "district:nowhere")
    await sb.wait_for(pilot.office, zh("Nobody the bot can reach is in that audience. Choose another one."), TIMEOUT)
    await sb.send(pilot.office, "everyone please")
    await sb.wait_for(pilot.office, zh("That audience is not valid. Examples: all, level:city, district:hongqiao, "
                                       "committee:economic, sector:education, list:C001,C002."), TIMEOUT)
    await sb.send(pilot.office, "district:hongqiao")  # the Hongqiao members of the pilot cast
    await sb.wait_for(pilot.office, zh("{count} members will receive it. Now send the title of the notice.",
                                       count=3), TIMEOUT)
    await sb.send(pilot.office, "/cancel")
    await sb.wait_for(pilot.office, None, TIMEOUT)
    assert await stack.count("conversations") == 0 and await stack.count("notices") == 0

    # from the command line's function: a notice without reminder schedules no timer
    async with stack.app.db.transaction() as conn:
        ctx = Ctx.offline(conn, stack.app.clock.now(), stack.app.dispatcher.config, REGISTRY)
        notice_id, count = await send_notice(ctx, title="t", body="b", spec=audience.parse("list:C001,H001"),
                                             sender_id=None, remind_after_hours=0)
    assert count == 2
    stack.app.sender.wake.set()
    await stack.settle()
    assert notice_message(await sb.messages(pilot.city), notice_id) is not None
    assert notice_message(await sb.messages(pilot.office), notice_id) is None
    assert await stack.count("timers", key=f"notice:{notice_id}:remind") == 0


async def test_notice_read_receipts_on_postgres(pg_stack):
    await test_notice_read_receipts_and_a_reminder_only_to_those_who_have_not_read(pg_stack)
