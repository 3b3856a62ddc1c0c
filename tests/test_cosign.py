"""Co-signers (联名): named in the submit flow, asked in their own chats, shown on the cards —
end to end through the real bot."""

from __future__ import annotations

from handlers.reports import cosign
from handlers.reports.lifecycle import titled
from handlers.core.i18n import translator
from storage import cosign as cosign_store

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30


def invitation_of(code: str):
    return lambda m: code in (m.text or "") and any(d.startswith("cs:y:") for d in m.button_data.values())


async def test_co_signers_are_asked_and_the_card_shows_who_signed(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    author, group = pilot.city, pilot.topic_group
    signer = await world.join("C002", "李静怡")
    decliner = await world.join("C006", "杨慧敏")
    code = await world.submit(author, topic="smart_parking", area="city", observation="夜间停车难。",
                              suggestion="共享停车。", cosigners="C002，杨慧敏 李静怡")  # C002 is 李静怡
    item = await stack.row("items", code=code)

    asked = {user.id: await sb.wait_for(user, invitation_of(code), TIMEOUT) for user in (signer, decliner)}
    assert zh("✍ {author} asks you to co-sign (联名) this report:", author="王晓明") in asked[signer.id].text
    assert "夜间停车难。" in asked[signer.id].text

    answer = await sb.callback_answer(await sb.press(signer, asked[signer.id], data=f"cs:y:{item.id}"))
    assert answer["text"] == zh.plain("Thank you: you co-signed {code}.", code=code)
    await sb.wait_for(author, zh("{name} co-signed {code}.", name="李静怡", code=titled(item)), TIMEOUT)
    card = await world.card(group, code, lambda m: "李静怡" in m.text)
    assert zh("Co-signed (联名) by: {names}", names="李静怡") in card.text

    await sb.press(decliner, asked[decliner.id], data=f"cs:n:{item.id}")
    await sb.wait_for(author, zh("{name} declined to co-sign {code}.", name="杨慧敏", code=titled(item)), TIMEOUT)
    again = await sb.callback_answer(await sb.press(decliner, asked[decliner.id], data=f"cs:y:{item.id}",
                                                    forge=True))
    assert again["show_alert"] and again["text"] == zh.plain("You already answered: {answer}.",
                                                             answer=zh.plain("declined"))
    # someone who was not asked, and made-up buttons, change nothing
    for user, data in ((pilot.hongqiao, f"cs:y:{item.id}"), (signer, "cs:y:999999"), (signer, "cs:x:1"),
                       (signer, "cs:y:abc")):
        refused = await sb.callback_answer(await sb.press(user, (await sb.messages(user))[-1], data=data, forge=True))
        assert refused["show_alert"] and refused["text"] == zh.plain("This button is not valid."), data
    await stack.settle()
    async with stack.app.db.read() as conn:
        answers = {r.name: r.status for r in await cosign_store.of_item(conn, item.id)}
    assert answers == {"李静怡": "signed", "杨慧敏": "declined"}


async def test_an_anonymous_reports_card_counts_co_signers_without_naming_them(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    signer = await world.join("C002", "李静怡")
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="匿名的报告。",
                              suggestion="建议。", privacy="anonymous", cosigners="C002")
    item = await stack.row("items", code=code)
    await sb.press(signer, await sb.wait_for(signer, invitation_of(code), TIMEOUT), data=f"cs:y:{item.id}")
    card = await world.card(pilot.topic_group, code, lambda m: zh("Co-signed (联名) by {count} member(s)",
                                                                  count=1) in m.text)
    assert "李静怡" not in card.text and "王晓明" not in card.text


async def test_co_signers_who_cannot_be_asked_are_explained_and_the_draft_waits(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    author = pilot.city
    await world.start_city_report(author)
    await sb.send(author, "夜间停车难。")
    await world.step(author, "s:analysis", "skip")
    await sb.wait_for(author, lambda m: (m.text or "").startswith("第6步"), TIMEOUT)
    await sb.send(author, "共享停车。")
    await world.step(author, "s:files", "done")
    await sb.wait_for(author, lambda m: "s:cosigners:skip" in m.button_data.values(), TIMEOUT)

    await sb.send(author, "C001, 不存在的人, C005")
    problems = await sb.wait_for(author, None, TIMEOUT)
    assert zh("{ref}: that is you.", ref="C001") in problems.text
    # not on the roster, or on it but not joined: the same answer, so the roster cannot be probed
    cannot = "{ref}: cannot be asked. Use the roster number (such as C002) or the exact name of a member who uses Linkage."
    assert zh(cannot, ref="不存在的人") in problems.text and zh(cannot, ref="C005") in problems.text
    await sb.send(author, ", ".join(f"X{n}" for n in range(cosign.MAX_COSIGNERS + 1)))
    too_many = await sb.wait_for(author, None, TIMEOUT)
    assert zh("A report can have at most {count} co-signers.", count=cosign.MAX_COSIGNERS) in too_many.text
    assert (await stack.row("conversations", user_id=author.id)).step == "cosigners"  # nothing lost

    await world.step(author, "s:cosigners", "skip")
    await world.step(author, "s:privacy", "named")
    await world.step(author, "s:preview", "submit")
    await sb.wait_for(author, "SQ-", TIMEOUT)
    assert await stack.count("item_cosigners") == 0
