"""Points (积分): the office's rules × the recorded events → ledger entries, once each; monthly
caps recorded as ``capped``; give-backs on withdrawal and merge; corrections as entries;
recompute gives the same totals; ``/points`` with the opt-in rank; the board and the export."""

from __future__ import annotations

from datetime import timedelta

import openpyxl

from handlers.core.context import Ctx
from handlers.core.i18n import translator
from handlers.features import REGISTRY
from handlers.points import board, ledger
from handlers.reports import transitions
from seeds.loader import load_seeds
from storage import cosign, outcomes, people
from storage import items as item_store
from storage import points as store
from storage import study as study_store
from storage.schema import audit_log

STACK_TIER = "fast"
zh = translator("zh")
TIMEOUT = 30


async def file_report(conn, author_id: int, at, title: str) -> int:
    """A report that reached a liaison's group at ``at`` (as routing records it)."""
    code = await item_store.next_code(conn, at.year)
    item_id = await item_store.create(conn, files=[], code=code, title=title, author_id=author_id,
                                      topic_code="smart_parking", area="city", observation="路边停车难",
                                      suggestion="增设停车位", privacy="named", status="routed", level="city",
                                      created_at=at, updated_at=at)
    await item_store.add_event(conn, item_id, "routed", at, status_from="submitted", status_to="routed")
    return item_id


async def a_year_of_work(stack, now):
    """C001: six reports in one month (the sixth past the cap), one withdrawn, one merged, one
    adopted with a leader's instruction, a session attended, a two-day reading plan completed;
    H001 co-signs one report."""
    async with stack.app.db.transaction() as conn:
        city, hongqiao = await people.find(conn, "C001"), await people.find(conn, "H001")
        ctx = Ctx.offline(conn, now, stack.app.dispatcher.config, REGISTRY)
        ids = [await file_report(conn, city.id, now - timedelta(minutes=60 - n), f"停车难{n}") for n in range(6)]
        await transitions.move(ctx, await item_store.by_id(conn, ids[0]), "withdrawn", "withdrawn",
                               actor_id=city.id, closed_at=now)
        await transitions.move(ctx, await item_store.by_id(conn, ids[3]), "claimed", "claimed", actor_id=None)
        await transitions.move(ctx, await item_store.by_id(conn, ids[3]), "duplicate", "merged", actor_id=None,
                               outcome="duplicate", duplicate_of=ids[2])
        await cosign.invite(conn, ids[1], [hongqiao.id], now)
        await cosign.answer(conn, ids[1], hongqiao.id, "signed", now)
        await outcomes.add_step(conn, ids[2], "adopted", now, actor_id=None)
        await outcomes.add_step(conn, ids[2], "instructed", now, actor_id=None, level="city")
        session = await study_store.create_session(
            conn, title="十二月集中学习", kind="study", starts_at=now - timedelta(hours=2), ends_at=now,
            audience={"kind": "all"}, reminders=[], status="announced", checkin_code=await study_store.new_code(conn),
            revision=0, created_by="cli", created_at=now)
        await study_store.ensure_rsvp(conn, session, city.id, now)
        await study_store.change_rsvp(conn, session, city.id, now, status="attending", checked_in_at=now)
        today = now.date()
        plan = await study_store.create_plan(
            conn, [{"day_no": n, "on_date": today + timedelta(days=n - 1), "kinds": "self-study", "assignment": "读"}
                   for n in (1, 2)], title="读书计划", start_date=today, remind_at="08:30",
            audience={"kind": "all"}, status="active", created_by="cli", created_at=now)
        for day in (1, 2):
            await study_store.add_plan_checkin(conn, plan, day, city.id, now)
        return city, hongqiao, ids


async def year_total(conn, member_id: int, now) -> int:
    return await store.total(conn, member_id, *ledger.year_of(now.year))


async def test_events_become_entries_once_with_caps_give_backs_corrections_and_recompute(stack):
    await stack.pilot()
    now = stack.app.clock.now()
    city, hongqiao, ids = await a_year_of_work(stack, now)
    async with stack.app.db.transaction() as conn:
        assert await ledger.collect(conn, REGISTRY, now) == 13
        assert await ledger.collect(conn, REGISTRY, now) == 0  # collecting twice adds nothing
        entries = await store.of_member(conn, city.id)
        kinds = sorted((e.rule_key, e.kind, e.amount) for e in entries)
        assert kinds == sorted([("report.submit", "earned", 2)] * 5 + [("report.submit", "capped", 0)]
                               + [("report.submit", "given_back", -2)] * 2
                               + [("report.adopted", "earned", 10), ("report.instructed", "earned", 20),
                                  ("study.attended", "earned", 5), ("study.full_training", "earned", 10)])
        capped = next(e for e in entries if e.kind == "capped")
        assert capped.source_id == str(ids[5]) and "停车难5" in capped.reason  # the sixth, the 11th and 12th point
        assert await year_total(conn, city.id, now) == 10 - 4 + 10 + 20 + 5 + 10
        assert await year_total(conn, hongqiao.id, now) == 1

        await ledger.correct(conn, "C001", 3, "补记：十一月调研报告", now, actor="cli")
        assert await year_total(conn, city.id, now) == 54
        audited = [row.action for row in await conn.execute(audit_log.select())]
        assert "points_correct" in audited

        count = len(await store.of_member(conn, city.id))
        await ledger.recompute(conn, REGISTRY, now, actor="cli")
        assert await year_total(conn, city.id, now) == 54 and await year_total(conn, hongqiao.id, now) == 1
        assert len(await store.of_member(conn, city.id)) == count  # the correction kept, the rest rebuilt

        # a rule change applies to what is recorded from then on; it is audited
        await ledger.set_rule(conn, "report.cosign", now, points=4, cap_per_month=None, actor="cli")
        await cosign.sign_up(conn, ids[4], hongqiao.id, now + timedelta(minutes=1))
        await ledger.collect(conn, REGISTRY, now + timedelta(minutes=2))
        assert await year_total(conn, hongqiao.id, now) == 1 + 4
        assert (await store.rule(conn, "report.cosign")).cap_per_month is None
        assert "points_rule_set" in [row.action for row in await conn.execute(audit_log.select())]
    await load_seeds(stack.app.db, now, roster=False)  # a re-seed keeps the office's values
    async with stack.app.db.read() as conn:
        assert (await store.rule(conn, "report.cosign")).points == 4
        assert (await store.rule(conn, "report.submit")).points == 2


async def test_points_in_chat_with_the_opt_in_rank_the_board_and_the_export(stack, tmp_path):
    pilot = await stack.pilot()
    sb = stack.sb
    now = stack.app.clock.now()
    await a_year_of_work(stack, now)

    await sb.send(pilot.city, "/points")
    shown = await sb.wait_for(pilot.city, lambda m: "pts:on" in m.button_data.values(), TIMEOUT)
    assert zh("⭐ <b>Your points in {year}: {total}</b>", year=now.year, total=51).replace(
        "<b>", "").replace("</b>", "") in shown.text
    assert "停车难5" in shown.text and zh.plain("monthly cap reached") in shown.text
    assert zh.plain("given back") in shown.text
    assert "1 / " not in shown.text and zh.plain("Your rank is shown only to you, and only if you choose to see it.") \
        in shown.text

    # a forged button is refused; the real one shows the presser's own rank only
    refused = await sb.callback_answer(await sb.press(pilot.city, shown, data="pts:all", forge=True))
    assert refused["text"] == zh.plain("This button is not valid.")
    welcome = next(m for m in await sb.messages(pilot.city) if m.from_bot and "/submit" in (m.text or ""))
    refused = await sb.callback_answer(await sb.press(pilot.city, welcome, data="pts:on", forge=True))
    assert refused["text"] == zh.plain("This button is not valid.")
    async with stack.app.db.read() as conn:
        assert not await store.rank_opted_in(conn, (await people.find(conn, "C001")).id)
    await sb.press(pilot.city, shown, data="pts:on")
    ranked = await sb.wait_for(pilot.city, lambda m: m.id == shown.id and "pts:off" in m.button_data.values(),
                               TIMEOUT)
    city_members = await stack.count("members", level="city", district_code=None, active=True)
    assert zh.plain("Your rank among {place}: {rank} of {count}.", place=zh.plain("city-level members"), rank=1,
                    count=city_members) in ranked.text
    async with stack.app.db.read() as conn:
        city, hongqiao = await people.find(conn, "C001"), await people.find(conn, "H001")
        assert await store.rank_opted_in(conn, city.id) and not await store.rank_opted_in(conn, hongqiao.id)

        # the office's board ranks everyone, opted in or not
        start, end = board.window(None, None, now)
        groups = dict(await board.board(conn, "district", start, end))
        assert [row.roster_id for row in groups["红桥区"]][0] == "H001"
        assert [row.roster_id for row in groups["-"]][0] == "C001"
        levels = dict(await board.board(conn, "level", start, end, top=1))
        assert [row.total for row in levels["city"]] == [51]

        out = tmp_path / "points.xlsx"
        members, entries = await board.export_year(conn, now.year, out)
    book = openpyxl.load_workbook(out)
    totals, detail = book.worksheets
    rows = {row[0]: row for row in totals.iter_rows(values_only=True)}
    assert rows["C001"][-1] == 51 and rows["H001"][-1] == 1
    assert len(list(detail.iter_rows())) == entries + 1 and entries == 13


def test_the_office_commands(seeded_sqlite, tmp_path):
    """`linkage points …` and `linkage record …` against a real SQLite file."""
    import shutil

    from click.testing import CliRunner

    from bot.cli import main
    database = tmp_path / "linkage.db"
    shutil.copy(seeded_sqlite, database)

    def linkage(*args: str):
        result = CliRunner().invoke(main, ["--database", str(database), *args])
        return result.exit_code, result.output

    code, out = linkage("points", "rules")
    assert code == 0 and "report.submit" in out and "cap 10/month" in out
    assert linkage("points", "rule", "set", "report.submit", "--points", "3", "--no-cap")[0] == 0
    assert "report.submit            3  no cap" in linkage("points", "rules")[1]
    assert linkage("points", "rule", "set", "nothing", "--points", "3")[0] == 1  # refused, cleanly
    assert linkage("points", "correct", "H003", "--points", "4", "--reason", "补记")[0] == 0
    code, out = linkage("points", "board", "--by", "district", "--top", "1")
    assert code == 0 and "红桥区" in out and "H003" in out and "H001" not in out
    assert linkage("points", "export", "--year", "2026", "--out", str(tmp_path / "p.xlsx"))[0] == 0
    assert linkage("record", "H001", "--year", "2026", "--out", str(tmp_path / "r.pdf"))[0] == 0
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert linkage("record", "--all", "--year", "2026", "--out", str(tmp_path / "all.pdf"))[0] == 2  # .xlsx only


async def test_the_ledger_on_postgres(pg_stack):
    """The same ledger queries on PostgreSQL (skipped without LINKAGE_TEST_POSTGRES_URL)."""
    await test_events_become_entries_once_with_caps_give_backs_corrections_and_recompute(pg_stack)
