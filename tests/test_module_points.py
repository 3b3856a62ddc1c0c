"""Deliberation and consultation in the points ledger and the duty record: a view earns under its
monthly cap, a reply earns nothing, a pin earns more, a hidden view gives both back and a
withdrawn one what it earned; a check-in, an accepted statement (采用) and speaking in person
earn, a returned statement nothing; collecting in steps and recomputing give the same totals;
the record's rows for each."""

from __future__ import annotations

from datetime import timedelta

from handlers.consultation import meetings
from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.deliberation import topics
from handlers.features import REGISTRY
from handlers.points import ledger
from handlers.points import record as duty
from storage import consultation as consult_store
from storage import deliberation as delib_store
from storage import people
from storage import points as store

STACK_TIER = "fast"
zh = translator("zh")
TOPIC = "老旧小区加装电梯"


def ctx_at(stack, conn, when):
    return Ctx.offline(conn, when, stack.app.dispatcher.config, REGISTRY)


async def total(conn, member_id: int, year: int) -> int:
    return await store.total(conn, member_id, *ledger.year_of(year))


def kinds(entries) -> list:
    return sorted((e.rule_key, e.kind, e.amount) for e in entries)


async def test_views_earn_under_the_cap_pins_earn_more_hidden_and_withdrawn_give_back(stack):
    await stack.pilot()
    now = stack.app.clock.now()
    async with stack.app.db.transaction() as conn:
        city, hongqiao = await people.find(conn, "C001"), await people.find(conn, "H001")
        topic = await topics.open_topic(ctx_at(stack, conn, now - timedelta(hours=2)), title=TOPIC,
                                        committee="social_legal", audience_spec="all", closes=now + timedelta(days=2),
                                        body="低层住户意见不一。", questions=["资金怎么分摊？"])
        views = [await delib_store.add(conn, topic.id, member_id=city.id, question=1 if n % 2 else None,
                                       text=f"意见{n}", naming="named", status="visible", pinned=False,
                                       created_at=now - timedelta(minutes=50 - n)) for n in range(4)]
        await delib_store.add(conn, topic.id, member_id=hongqiao.id, parent_id=views[0], text="赞同", naming="named",
                              status="visible", pinned=False, created_at=now - timedelta(minutes=40))
        await topics.moderate(ctx_at(stack, conn, now - timedelta(minutes=30)), views[0], "pin")
        # the first collection: three views earn 2 each (the cap is 6 a month), the fourth is capped
        assert await ledger.collect(conn, REGISTRY, now - timedelta(minutes=20)) == 5
        assert await total(conn, city.id, now.year) == 2 * 3 + 3
        assert await store.of_member(conn, hongqiao.id) == []  # a reply earns nothing

        await topics.moderate(ctx_at(stack, conn, now - timedelta(minutes=10)), views[0], "hide", reason="与议题无关")
        await delib_store.change_contribution(conn, views[1], status="withdrawn", pinned=False)
        await topics.moderate(ctx_at(stack, conn, now - timedelta(minutes=5)), views[3], "pin")
        assert await ledger.collect(conn, REGISTRY, now) == 4
        assert await ledger.collect(conn, REGISTRY, now) == 0  # collecting twice adds nothing
        entries = await store.of_member(conn, city.id)
        assert kinds(entries) == sorted(
            [("deliberation.contribution", "earned", 2)] * 3 + [("deliberation.contribution", "capped", 0)]
            + [("deliberation.pinned", "earned", 3)] * 2
            + [("deliberation.contribution", "given_back", -2)] * 2 + [("deliberation.pinned", "given_back", -3)])
        assert all(TOPIC in e.reason and "意见" not in e.reason for e in entries)  # the topic, never the text
        assert await total(conn, city.id, now.year) == 6 + 6 - 4 - 3

        await ledger.recompute(conn, REGISTRY, now, actor="cli")
        assert await total(conn, city.id, now.year) == 5
        assert kinds(await store.of_member(conn, city.id)) == kinds(entries)

        sections = {s.key: s for s in await duty.member_record(conn, REGISTRY, city, now.year, "zh")}
        rows = sections["deliberation"].rows
        assert [row[1] for row in rows] == ["#1", "#3", "#4"]  # the withdrawn #2 left out
        assert rows[0][0] == TOPIC and rows[0][2] == zh.plain("the topic as a whole")
        assert rows[0][5] == zh.plain("hidden by the committee") and rows[2][2].endswith("资金怎么分摊？")
        assert rows[2][5] == zh.plain("shown, pinned") and rows[2][4] == zh.plain("view")
        reply = (await duty.member_record(conn, REGISTRY, hongqiao, now.year, "zh"))
        assert [row[4] for s in reply if s.key == "deliberation" for row in s.rows] == [zh.plain("reply")]


async def test_attending_an_accepted_statement_and_speaking_earn_and_the_record_lists_them(stack):
    await stack.pilot()
    now = stack.app.clock.now()
    async with stack.app.db.transaction() as conn:
        city, hongqiao = await people.find(conn, "C001"), await people.find(conn, "H001")
        meeting_id = await consult_store.create(
            conn, title="智慧养老服务专题协商会", theme="推进智慧养老服务体系建设", committee_code="social_legal",
            host_id=None, audience={"kind": "all"}, starts_at=now - timedelta(minutes=30),
            ends_at=now + timedelta(hours=1), statements_by=now - timedelta(minutes=30), status="announced",
            created_by="cli", created_at=now - timedelta(days=3))
        await consult_store.replace_venues(conn, meeting_id, [{"kind": "main", "name": "主会场", "place": "三楼会议室"}])
        (venue,) = await consult_store.venues(conn, meeting_id)
        for member, answer in ((city, "venue"), (hongqiao, "online")):
            await consult_store.ensure_rsvp(conn, meeting_id, member.id, now - timedelta(days=2))
            await consult_store.change_rsvp(conn, meeting_id, member.id, now - timedelta(days=2), answer=answer,
                                            venue_id=venue.id if answer == "venue" else None)
        accepted, returned = [await consult_store.add_statement(
            conn, consultation_id=meeting_id, member_id=city.id, title=title, text="建议……", status="submitted",
            in_person=False, created_at=now - timedelta(days=2)) for title in ("社区嵌入式养老", "适老化改造")]
        await consult_store.change_statement(conn, accepted, status="accepted", position=1,
                                             decided_at=now - timedelta(days=1))
        await consult_store.change_statement(conn, returned, status="returned", note="请补充数据",
                                             decided_at=now - timedelta(days=1))
        await meetings.speaker(ctx_at(stack, conn, now - timedelta(hours=20)), accepted)
        await consult_store.add_checkin(conn, meeting_id, city.id, venue.id, now - timedelta(minutes=20))

        assert await ledger.collect(conn, REGISTRY, now) == 2  # attended, accepted; the speech when it ends
        assert kinds(await store.of_member(conn, city.id)) == [("consultation.attended", "earned", 5),
                                                                ("consultation.statement_accepted", "earned", 5)]
        assert await store.of_member(conn, hongqiao.id) == []  # answered, did not check in
        later = now + timedelta(hours=1, minutes=5)
        assert await ledger.collect(conn, REGISTRY, later) == 1
        assert await total(conn, city.id, now.year) == 15
        await ledger.recompute(conn, REGISTRY, later, actor="cli")
        assert await total(conn, city.id, now.year) == 15
        spoke = next(e for e in await store.of_member(conn, city.id) if e.rule_key == "consultation.spoke")
        assert spoke.reason == "社区嵌入式养老（智慧养老服务专题协商会）"

        sections = {s.key: s for s in await duty.member_record(conn, REGISTRY, city, now.year, "zh")}
        (meeting_row,) = sections["consultations"].rows
        assert meeting_row[0] == "智慧养老服务专题协商会" and meeting_row[3]  # checked in
        assert meeting_row[2] == zh.plain("attending at {venue}", venue=zh.plain("Main venue (主会场)"))
        assert [row[1:] for row in sections["statements"].rows] == [
            ["社区嵌入式养老", sections["statements"].rows[0][2], zh.plain("accepted"), "✓", 0],
            ["适老化改造", sections["statements"].rows[1][2], zh.plain("returned"), "", 0]]
        (online,) = next(s for s in await duty.member_record(conn, REGISTRY, hongqiao, now.year, "zh")
                         if s.key == "consultations").rows
        assert online[2] == zh.plain("online (线上参会)") and online[3] == ""


async def test_deliberation_points_on_postgres(pg_stack):
    """The same queries (the audit log's JSON among them) on PostgreSQL (skipped without LINKAGE_TEST_POSTGRES_URL)."""
    await test_views_earn_under_the_cap_pins_earn_more_hidden_and_withdrawn_give_back(pg_stack)


async def test_consultation_points_on_postgres(pg_stack):
    await test_attending_an_accepted_statement_and_speaking_earn_and_the_record_lists_them(pg_stack)
