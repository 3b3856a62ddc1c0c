"""Outcome chains (采用 → 报送 → 批示 → 转办 → 反馈): each step recorded from the card with its
detail chosen by buttons, the member told every step, the chain on the card, in /my, the digest
and the export; forged detail buttons refused; reply templates used as they are or edited; the
office's departments (承办单位) and templates kept from the command line, audited."""

from __future__ import annotations

import asyncio
import re

from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main as cli_main
from handlers.core.i18n import translator
from handlers.features import REGISTRY
from handlers.office.departments import retire_department
from handlers.privacy import mydata
from handlers.reports import outcomes
from handlers.reports.exports import COLUMNS, report_rows
from handlers.core.localtime import local_day
from storage import people
from storage.db import Database
from storage.departments import departments
from storage.outcomes import item_outcomes, templates_for
from storage.schema import audit_log
from tests.test_digests import digests_of, move_to_weekly
from bot.demo.scenario import DEFAULT_TITLE as TITLE

STACK_TIER = "fast"  # feature logic: once, in-process (tests/fast.py)
zh = translator("zh")
TIMEOUT = 30
CHAIN = "采用 → 已报送市委 → 获市级领导批示 → 转市交通运输委办理 → 市交通运输委反馈"


def plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


async def claimed_city_report(stack, observation: str = "老旧小区夜间停车难。") -> str:
    pilot = await stack.pilot()
    code = await stack.world.submit(pilot.city, topic="smart_parking", area="city", observation=observation,
                                    suggestion="推行错时共享停车。")
    await stack.world.card_action(pilot.topic_liaison, pilot.topic_group, code, "claim")
    return code


async def test_a_chain_step_by_step_told_to_the_member_and_shown_on_card_my_digest_and_export(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    liaison, group = pilot.topic_liaison, pilot.topic_group
    code = await claimed_city_report(stack)

    steps = [("adopted", None, "已被采用。", "采用"), ("reported_up", "市委", "已报送市委。", "已报送市委"),
             ("instructed", "市级", "市级领导已批示。", "获市级领导批示"),
             ("transferred", "市交通运输委", "已转市交通运输委。", "转市交通运输委办理"),
             ("feedback", "市交通运输委", "已纳入明年停车治理计划。", "市交通运输委反馈")]
    for kind, detail, note, told in steps:
        done = await world.record_outcome(liaison, group, code, kind, detail=detail, note=note)
        assert code in done.text
        heard = await sb.wait_for(pilot.city, note, TIMEOUT)  # the member hears each step with its detail
        assert told in heard.text and code in heard.text, heard.text
    assert done.text.endswith(CHAIN)

    item = await stack.row("items", code=code)
    assert (item.status, item.outcome) == ("feedback", "feedback")
    async with stack.app.db.read() as conn:
        rows = list(await conn.execute(select(item_outcomes).where(item_outcomes.c.item_id == item.id)
                                       .order_by(item_outcomes.c.position)))
        transport = (await conn.execute(select(departments).where(departments.c.code == "city_transport"))).first()
    assert [(r.position, r.kind, r.body, r.level, r.department_id) for r in rows] == [
        (1, "adopted", None, None, None), (2, "reported_up", "city_party", None, None),
        (3, "instructed", None, "city", None), (4, "transferred", None, None, transport.id),
        (5, "feedback", None, None, transport.id)]
    assert rows[-1].note == "已纳入明年停车治理计划。"

    card = await world.card(group, code, lambda m: CHAIN in m.text)
    assert zh.plain("Outcome (办理结果): {chain}", chain=CHAIN) in card.text
    assert any(d.endswith(":close") for d in card.button_data.values())

    await sb.send(pilot.city, "/my")
    history = await sb.wait_for(pilot.city, code, TIMEOUT)
    for *_, told in steps:  # each hop with its detail, and the note the member was given
        assert zh.plain("outcome recorded: {step}", step=told) in history.text
    assert "已登记办理结果：市交通运输委反馈 — 已纳入明年停车治理计划。" in history.text
    async with stack.app.db.read() as conn:  # /mydata: each step as the member was told it
        author = await people.by_roster_id(conn, "C001")
        [report] = [r for r in (await mydata.collect(conn, author, REGISTRY))["reports"] if r["code"] == code]
    assert [(s["step"], s["note"]) for s in report["outcome_chain"]] == [(told, note) for _, _, note, told in steps]

    async with stack.app.db.read() as conn:
        today = local_day(stack.app.clock.now())
        [row] = [r for r in await report_rows(conn, today, today) if r[0] == code]
        [english] = [r for r in await report_rows(conn, today, today, lang="en") if r[0] == code]
    assert row[COLUMNS.index("Outcome (办理结果)")] == CHAIN
    assert english[COLUMNS.index("Outcome (办理结果)")] == (
        "adopted (采用) → reported up to Municipal Party Committee (市委) → instruction by city-level leaders → "
        "transferred to Municipal Transport Commission → feedback from Municipal Transport Commission")

    await stack.settle()
    await move_to_weekly(stack)
    [digest] = await digests_of(stack, pilot.city)
    own, highlights = digest.text.split(plain(zh("<b>Adopted (采用)</b>")))
    assert code in own and zh.plain("Outcome (办理结果): {chain}", chain=CHAIN) in own
    assert zh.plain("{item} (outcome: {chain})", item=zh.plain("{code} (by {name})", code=f"{code}「{TITLE}」", name="王晓明"),
                    chain=CHAIN) in highlights  # still an adoption, with where it went since


async def test_forged_or_stale_detail_buttons_are_refused_and_record_nothing(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    liaison, group = pilot.topic_liaison, pilot.topic_group
    code = await claimed_city_report(stack, "共享单车乱停放。")
    item = await stack.row("items", code=code)
    target = (await stack.row("targets", name="topic:smart_parking")).id
    invalid = zh.plain("This choice is not valid.")

    async def forged(user, data: str) -> str:
        message = (await sb.messages(user))[-1]
        return (await sb.callback_answer(await sb.press(user, message, data=data, forge=True)))["text"]

    await world.card_action(liaison, group, code, "outcome")
    kinds = await sb.wait_for(liaison, lambda m: any(d.startswith("lo:kind:") for d in m.button_data.values()),
                              TIMEOUT)
    assert await forged(liaison, f"lo:detail:{item.id}:{target}:city_party") == zh.plain(
        "This button belongs to an earlier step. Please use the latest message.")  # no kind chosen yet
    assert await forged(liaison, f"lo:kind:{item.id}:{target}:promoted") == invalid
    await sb.press(liaison, kinds, data=f"lo:kind:{item.id}:{target}:reported_up")
    bodies = await sb.wait_for(liaison, lambda m: any(d.startswith("lo:detail:") for d in m.button_data.values()),
                               TIMEOUT)
    assert "市委" in " ".join(bodies.button_data)
    assert await forged(liaison, f"lo:detail:{item.id}:{target}:the_white_house") == invalid
    assert await forged(pilot.other_liaison, f"lo:detail:{item.id}:{target}:city_party") == zh.plain(
        "This button belongs to an earlier step. Please use the latest message.")  # not their conversation
    await sb.press(liaison, bodies, data=f"lo:detail:{item.id}:{target}:city_party")
    await sb.wait_for(liaison, zh.plain(outcomes.NOTE_PROMPT), TIMEOUT)
    assert await forged(liaison, f"lo:detail:{item.id}:{target}:city_government") == zh.plain(
        "This button belongs to an earlier step. Please use the latest message.")  # the detail is chosen
    await sb.send(liaison, "已报送市委。")
    await sb.wait_for(pilot.city, "已报送市委。", TIMEOUT)

    # a department: only the active ones offered; a retired one, or a made-up id, refused
    async with stack.app.db.transaction() as conn:
        await retire_department(conn, "city_health", stack.app.clock.now())
        health = (await conn.execute(select(departments).where(departments.c.code == "city_health"))).first()
    await world.card_action(liaison, group, code, "outcome")
    kinds = await sb.wait_for(liaison, lambda m: any(d.endswith(":transferred") for d in m.button_data.values()),
                              TIMEOUT)
    assert not any(d.endswith((":answered", ":duplicate")) for d in kinds.button_data.values())  # decided already
    await sb.press(liaison, kinds, data=f"lo:kind:{item.id}:{target}:transferred")
    offered = await sb.wait_for(liaison, lambda m: any(d.startswith("lo:detail:") for d in m.button_data.values()),
                                TIMEOUT)
    assert "市交通运输委" in offered.button_data and "市卫健委" not in offered.button_data
    assert "红桥区住建委" not in offered.button_data  # a city report: city departments only
    assert await forged(liaison, f"lo:detail:{item.id}:{target}:{health.id}") == invalid
    assert await forged(liaison, f"lo:detail:{item.id}:{target}:999999") == invalid
    assert await stack.count("item_outcomes", item_id=item.id) == 1
    assert (await stack.row("items", code=code)).status == "reported_up"


async def test_templates_used_as_they_are_or_edited_in_replies_and_outcomes(stack):
    pilot = await stack.pilot()
    world, sb = stack.world, stack.sb
    liaison, group = pilot.topic_liaison, pilot.topic_group
    code = await claimed_city_report(stack, "停车收费标准不透明。")
    general = f"您反映的社情民意信息{code}已收悉，我们正在会同有关方面研究，有进展将及时向您反馈。"

    await world.card_action(liaison, group, code, "reply")
    prompt = await sb.wait_for(liaison, lambda m: any(d.startswith("lo:template:") for d in m.button_data.values()),
                               TIMEOUT)
    assert general in prompt.text
    assert any(e["type"] == "code" for e in prompt.entities)  # a block the liaison can copy and edit
    await sb.press(liaison, prompt, data=next(iter(prompt.button_data.values())))
    await sb.wait_for(pilot.city, general, TIMEOUT)  # the template as it is, with the code filled in
    assert (await stack.row("items", code=code)).status == "answered"

    # the topic's own template comes first, then the general one; the liaison sends an edited version
    await world.card_action(liaison, group, code, "outcome")
    kinds = await sb.wait_for(liaison, lambda m: any(d.endswith(":adopted") for d in m.button_data.values()), TIMEOUT)
    await sb.press(liaison, kinds, data=next(d for d in kinds.button_data.values() if d.endswith(":adopted")))
    prompt = await sb.wait_for(liaison, lambda m: any(d.startswith("lo:template:") for d in m.button_data.values()),
                               TIMEOUT)
    topic_own = f"您反映的停车问题（{code}）已被采用，将推动有关部门研究错时共享停车等措施。"
    assert prompt.text.index(topic_own) < prompt.text.index(f"您反映的社情民意信息{code}已被采用")
    assert len(prompt.button_data) == 2
    edited = topic_own.replace("将推动", "市城市管理委将牵头")
    await sb.send(liaison, edited)
    told = await sb.wait_for(pilot.city, edited, TIMEOUT)
    assert "采用" in told.text
    assert (await stack.row("item_outcomes", kind="adopted")).note == edited

    # a template of another kind (or made up) is refused in this step
    await world.card_action(liaison, group, code, "outcome")
    kinds = await sb.wait_for(liaison, lambda m: any(d.endswith(":reported_up") for d in m.button_data.values()),
                              TIMEOUT)
    await sb.press(liaison, kinds, data=next(d for d in kinds.button_data.values() if d.endswith(":reported_up")))
    bodies = await sb.wait_for(liaison, lambda m: any(d.startswith("lo:detail:") for d in m.button_data.values()),
                               TIMEOUT)
    await sb.press(liaison, bodies, data=next(d for t, d in bodies.button_data.items() if "全国政协" in t))
    prompt = await sb.wait_for(liaison, lambda m: any(d.startswith("lo:template:") for d in m.button_data.values()),
                               TIMEOUT)
    item_id, target_id = prompt.button_data[next(iter(prompt.button_data))].split(":")[2:4]
    async with stack.app.db.read() as conn:
        [reply_template] = await templates_for(conn, "reply", "smart_parking")
    stale = await sb.press(liaison, prompt, data=f"lo:template:{item_id}:{target_id}:{reply_template.id}", forge=True)
    assert (await sb.callback_answer(stale))["text"] == zh.plain("This choice is not valid.")
    await sb.press(liaison, prompt, data=next(iter(prompt.button_data.values())))
    await sb.wait_for(pilot.city, "已报送上级", TIMEOUT)
    assert (await stack.row("items", code=code)).status == "reported_up"


def test_the_office_keeps_departments_and_templates_from_the_command_line_audited(tmp_path):
    path = str(tmp_path / "office.db")
    runner = CliRunner()

    def linkage(*args: str):
        result = runner.invoke(cli_main, ["--database", path, *args])
        return result

    assert linkage("seed", "--no-roster").exit_code == 0
    listing = linkage("department", "list").output
    assert "city_transport: 市交通运输委" in listing and "hongqiao_housing: 红桥区住建委" in listing
    added = linkage("department", "add", "hongqiao_health", "--name-zh", "红桥区卫健委", "--name-en",
                    "Hongqiao District Health Commission", "--district", "hongqiao")
    assert added.exit_code == 0, added.output
    assert linkage("department", "add", "hongqiao_health", "--name-zh", "x", "--name-en", "x").exit_code != 0
    assert "unknown district" in linkage("department", "add", "x_bureau", "--name-zh", "某局", "--name-en", "X",
                                         "--district", "atlantis").output
    renamed = linkage("department", "rename", "city_transport", "--name-zh", "市交通运输局", "--name-en",
                      "Municipal Transport Bureau")
    assert renamed.exit_code == 0, renamed.output
    assert "retired" in linkage("department", "retire", "city_emergency").output
    assert "already retired" in linkage("department", "retire", "city_emergency").output
    assert "no department" in linkage("department", "retire", "city_nothing").output
    listing = linkage("department", "list").output
    assert "市交通运输局" in listing and "city_emergency" not in listing and "红桥区卫健委" in listing
    assert "city_emergency: 市应急局 / Municipal Emergency Management Bureau · city [retired]" in \
        linkage("department", "list", "--all").output

    result = linkage("template", "set", "transferred", "{code}已转承办单位，请耐心等待。", "--topic", "smart_parking")
    assert result.exit_code == 0 and "added" in result.output, result.output
    assert "replaced" in linkage("template", "set", "transferred", "{code}已转承办单位办理。").output
    assert "unknown template kind" in linkage("template", "set", "promoted", "x").output
    templates = linkage("template", "list").output
    assert "transferred · smart_parking: {code}已转承办单位，请耐心等待。" in templates
    assert "transferred · every topic: {code}已转承办单位办理。" in templates

    # a re-seed keeps the office's renames, retirements and texts
    assert linkage("seed", "--no-roster").exit_code == 0
    assert "市交通运输局" in linkage("department", "list").output
    assert "city_emergency" not in linkage("department", "list").output
    assert "transferred · every topic: {code}已转承办单位办理。" in linkage("template", "list").output

    # a deleted template is no longer offered, and a re-seed does not bring the seed's text back
    seeded = next(line for line in linkage("template", "list").output.splitlines() if line.startswith("adopted ·"))
    assert "deleted" in linkage("template", "delete", "adopted").output
    assert "did not exist" in linkage("template", "delete", "adopted").output
    assert "unknown template kind" in linkage("template", "delete", "promoted").output
    assert linkage("seed", "--no-roster").exit_code == 0
    assert seeded not in linkage("template", "list").output

    async def audited():
        db = Database(path)
        try:
            async with db.read() as conn:
                return [(r.action, r.detail.get("code") or r.detail.get("kind"))
                        for r in await conn.execute(select(audit_log).where(audit_log.c.action.like("department.%")
                                                                            | audit_log.c.action.like("template.%"))
                                                    .order_by(audit_log.c.id))]
        finally:
            await db.close()
    assert asyncio.run(audited()) == [("department.add", "hongqiao_health"), ("department.rename", "city_transport"),
                                      ("department.retire", "city_emergency"), ("template.set", "transferred"),
                                      ("template.set", "transferred"), ("template.delete", "adopted")]


async def test_a_chain_on_postgres(pg_stack):
    """The same chain on PostgreSQL (the departments' ordering, the chain's join, the digest's filter)."""
    await test_a_chain_step_by_step_told_to_the_member_and_shown_on_card_my_digest_and_export(pg_stack)
