"""/mydata: a member downloads everything Linkage keeps about them (PRODUCT.md §12), end to end
through the real bot, and sees nobody else in it; retention; and the privacy choices: an alias
that leads nowhere, and labels that say exactly who sees the author's name, wherever it shows."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from handlers.core.context import Ctx, HandlerConfig
from handlers.core.i18n import translator
from handlers.features import REGISTRY
from handlers.privacy import retention
from handlers.reports import exports, submit
from storage import outbox as outbox_store
from storage.schema import inbox, outbox
from tests.test_digests import adopt, digests_of, move_to_weekly
from tests.test_admin import db  # noqa: F401  (the fixture: a real SQLite file, a fresh PostgreSQL schema)
from bot.demo.scenario import DEFAULT_TITLE as TITLE

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30


async def test_a_member_downloads_their_own_data_and_nobody_elses(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    member, liaison, group = pilot.city, pilot.topic_liaison, pilot.topic_group
    code = await world.submit(member, topic="smart_parking", area="city", observation="夜间停车难。",
                              suggestion="共享停车。", privacy="anonymous", tags=("elderly_friendly",))
    other_code = await world.submit(pilot.hongqiao, topic="smart_parking", area="city",
                                    observation="别人的报告。", suggestion="别人的建议。")
    await world.card_action(liaison, group, code, "claim")
    await world.card_action(liaison, group, code, "reply")
    await sb.wait_for(liaison, code, TIMEOUT)
    await sb.send(liaison, "已转相关部门研究。")
    await sb.wait_for(member, "已转相关部门研究。", TIMEOUT)
    await sb.send(member, "/settings")
    await sb.wait_for(member, None, TIMEOUT)

    await sb.send(member, "/mydata")
    sent = await sb.wait_for(member, lambda m: m.kind == "document", TIMEOUT)
    assert sent.raw["document"]["file_name"].startswith("linkage-C001-")
    assert sent.raw["caption"] == zh.plain(
        "Everything Linkage keeps about you: your record, your {count} report(s) with every step, your study "
        "sessions, notices and settings.", count=1)
    content = (await sb.download(sent.raw["document"]["file_id"])).decode("utf-8")
    data = json.loads(content)

    assert data["member"]["roster_id"] == "C001" and data["member"]["name"] == "王晓明"
    [report] = data["reports"]
    assert report["code"] == code and report["observation"] == "夜间停车难。"
    assert (report["title"], report["tags"]) == ("一条社情民意信息", ["适老"])
    assert report["privacy"] == zh.plain(submit.PRIVACY["anonymous"])
    steps = [hop["what"] for hop in report["history"]]
    assert steps[0] == zh.plain("submitted") and zh.plain("claimed") in steps
    assert {"what": zh.plain("reply received"), "message": "已转相关部门研究。"}.items() <= \
        next(hop for hop in report["history"] if "message" in hop).items()
    assert "news_frequency" in data and "study_sessions" in data and "notices" in data
    # nobody else: not the liaison who handled it, not another member's report
    for stranger in ("张伟东", "赵丽娟", other_code, "别人的报告"):
        assert stranger not in content


async def test_retention_deletes_old_raw_updates_then_empties_old_messages_and_cards_still_work(stack):
    pilot = await stack.pilot()
    world, clock = stack.world, stack.app.clock
    code = await world.submit(pilot.city, topic="smart_parking", area="city", observation="夜间停车难。",
                              suggestion="共享停车。")
    await stack.settle()
    handled = await stack.count("inbox", status="done")
    assert handled > 0

    clock.advance(timedelta(days=31))  # raw updates are kept 30 days
    await stack.app.scheduler.fire_due()
    await stack.settle()
    assert await stack.count("inbox") == 0
    async with stack.app.db.read() as conn:
        texts = [json.dumps(r.params, ensure_ascii=False) for r in await conn.execute(select(outbox))]
    assert any("夜间停车难" in text for text in texts)  # messages are kept longer

    clock.advance(timedelta(days=150))  # finished messages are emptied after 180 days
    await stack.app.scheduler.fire_due()
    await stack.settle()
    async with stack.app.db.read() as conn:
        rows = list(await conn.execute(select(outbox)))
    assert rows and not any("夜间停车难" in json.dumps(r.params, ensure_ascii=False) for r in rows)
    assert all(r.message_id is not None for r in rows if r.key and r.key.startswith("card:"))

    # the card, sent half a year ago, is still edited in place when a liaison claims the report
    await world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim")
    card = await world.card(pilot.topic_group, code, lambda m: "张伟东" in m.text and m.edits > 0)
    assert "夜间停车难" in card.text
    assert await stack.count("timers", kind="retention", status="done") == 2


async def test_retention_on_postgres(pg_stack):
    """The same on PostgreSQL (its JSON operators differ from SQLite's)."""
    await test_retention_deletes_old_raw_updates_then_empties_old_messages_and_cards_still_work(pg_stack)


async def _rows(db, table, *columns):
    async with db.read() as conn:
        return sorted(tuple(r) for r in await conn.execute(select(*(table.c[c] for c in columns))))


async def test_the_nightly_clean_up_goes_in_short_transactions_and_a_restart_goes_on(db):
    """Seven old raw updates, at most three a transaction: three transactions; a firing stopped
    after one (a restart) is followed by one that does the rest, and nothing else is touched."""
    config, now = HandlerConfig(retention_chunk=3), datetime(2026, 12, 4, 19, 30, tzinfo=timezone.utc)
    old, recent = now - timedelta(days=200), now - timedelta(days=2)
    async with db.transaction() as conn:
        await conn.execute(insert(inbox), [
            {"update_id": n, "payload": {"update_id": n}, "received_at": old, "status": status,
             "attempts": 0, "handled_at": at}
            for n, status, at in [*((n, "done", old) for n in range(7)), (7, "failed", old), (8, "done", recent)]])
        await outbox_store.enqueue_many(conn, [
            {**outbox_store.row(method="sendMessage", params={"text": f"通知{n}"}, now=when, chat_id=n),
             "status": status} for n, status, when in [(1, "sent", old), (2, "pending", old), (3, "sent", recent)]])

    async def one_chunk(night) -> bool:
        async with db.transaction() as conn:
            ctx = Ctx.offline(conn, now, config, REGISTRY)
            return await retention.apply_retention.write(ctx, None, night, None)

    async def a_night() -> dict:
        async with db.read() as conn:
            return await retention.apply_retention.prepare(Ctx.offline(conn, now, config, REGISTRY), None)

    first = await a_night()
    assert await one_chunk(first) is False  # then the bot stops
    again, chunks = await a_night(), 1
    while not await one_chunk(again):
        chunks += 1
    assert (chunks, first["done"]["raw_updates_deleted"], again["done"]["raw_updates_deleted"]) == (2, 3, 4)
    assert await _rows(db, inbox, "update_id", "status") == [(7, "failed"), (8, "done")]
    assert await _rows(db, outbox, "chat_id", "blanked") == [(1, True), (2, False), (3, False)]
    assert [r for r in await _rows(db, outbox, "chat_id", "params") if r[0] != 1] == [
        (2, {"text": "通知2"}), (3, {"text": "通知3"})]


async def test_an_author_named_to_the_office_only_shows_as_a_stable_alias_not_linked_to_the_roster(stack):
    pilot = await stack.pilot()
    world = stack.world
    codes = [await world.submit(member, topic="smart_parking", area="city", observation=f"第{n}条观察。",
                                suggestion="建议。", privacy="office")
             for n, member in enumerate((pilot.city, pilot.city, pilot.hongqiao))]
    cards = [await world.card(pilot.topic_group, code) for code in codes]
    labels = [next(line for line in card.text.splitlines() if line.startswith(zh.plain("From: {who}", who="")))
              for card in cards]
    assert labels[0] == labels[1] != labels[2]  # the same member is recognisable, another is not the same
    for card, label, roster_id in zip(cards, labels, ("C001", "C001", "H001")):
        member = await stack.row("members", roster_id=roster_id)
        alias = re.fullmatch(re.escape(zh.plain("From: {who}", who=zh.plain("member {alias}", alias="@"))).replace(
            "@", "([A-Z2-9]{6})"), label).group(1)  # the line holds the alias and nothing else: no id, no number
        assert alias not in (str(member.id).zfill(6), roster_id) and member.name not in card.text
    await stack.settle()
    log = open(stack.app.settings.log_file, encoding="utf-8").read()
    alias = re.search(r"[A-Z2-9]{6}", labels[0]).group()
    assert alias not in log
    await stack.sb.send(pilot.city, "/mydata")  # the member can see what liaisons see of them
    sent = await stack.sb.wait_for(pilot.city, lambda m: m.kind == "document", TIMEOUT)
    data = json.loads(await stack.sb.download(sent.raw["document"]["file_id"]))
    assert data["member"]["alias"] == alias


# Where an author's name can appear, and whether it does for each choice; the label the member
# picks (submit.PRIVACY) must say the same, place by place (its words for each place, in Chinese).
SHOWS_NAME = {  # choice: (the handling groups' cards, the office's export, co-signers, everyone's news)
    "named": (True, True, True, True),
    "office": (False, True, True, False),
    "anonymous": (False, False, True, False),
}
LABEL_SAYS = (  # per place: the label's words when the name shows there, and when it does not
    ("各群联络员、承办人", "承办人只看到代号|联络员、承办人和委员学习和联络室都看不到您的姓名"),
    ("委员学习和联络室以及您邀请的联名委员可以看到您的姓名", "委员学习和联络室都看不到您的姓名"),
    ("联名委员可以看到", None),
    ("委员收到的动态中署您的姓名", "动态中不署名"),
)


async def test_each_privacy_choice_says_exactly_who_sees_the_name_and_the_bot_does_so(stack):
    """The three choices' labels and every place an author's name appears agree: the card in the
    handling group, the office's export, the co-signer's invitation and the news members get
    (the adopted highlights of the weekly digest)."""
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    author, cosigner, reader = pilot.city, pilot.hongqiao, pilot.other_liaison  # 王晓明, 赵丽娟, 刘海燕
    codes = {}
    for choice in SHOWS_NAME:
        codes[choice] = await world.submit(author, topic="smart_parking", area="city", privacy=choice,
                                           observation=f"{choice}：夜间停车难。", suggestion="共享停车。",
                                           cosigners="H001")
    await stack.settle()
    invitations = [m.text for m in await sb.messages(cosigner) if m.from_bot and (m.text or "").startswith("✍")]
    seen = {}
    for choice, code in codes.items():
        card = await world.card(pilot.topic_group, code)
        [invitation] = [text for text in invitations if code in text]
        await adopt(stack, pilot.topic_liaison, pilot.topic_group, code)
        seen[choice] = ["王晓明" in card.text, None, "王晓明" in invitation, None]
    async with stack.app.db.read() as conn:
        today = stack.app.clock.now().date()
        rows = await exports.report_rows(conn, today - timedelta(days=1), today + timedelta(days=1))
    for choice, code in codes.items():
        seen[choice][1] = "王晓明" in "|".join(next(row for row in rows if row[0] == code))
    await move_to_weekly(stack)
    [digest] = await digests_of(stack, reader)
    for choice, code in codes.items():
        assert code in digest.text  # every adoption is in the news, named or not
        seen[choice][3] = zh.plain("{code} (by {name})", code=f"{code}「{TITLE}」", name="王晓明") in digest.text
    assert digest.text.count("王晓明") == 1  # and no other line names the author

    for choice, shows in SHOWS_NAME.items():
        assert tuple(seen[choice]) == shows, f"{choice}: the name shows in {seen[choice]}, expected {shows}"
        label = zh.plain(submit.PRIVACY[choice])
        for (yes, no), shown in zip(LABEL_SAYS, shows):
            words = yes if shown else no
            if words is not None:
                assert re.search(words, label), f"the {choice!r} label does not say {words!r}: {label}"
            other = no if shown else yes
            if other is not None:
                assert not re.search(other, label), f"the {choice!r} label says {other!r}: {label}"
