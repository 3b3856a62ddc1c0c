"""The office operations the console shares with the command line (handlers/office/): a liaison
removed, bind keys listed and revoked, rules edited, reordered and refused when they could never
match, the roster's validation report, one member edited, bulk invites and who has joined — on a
real SQLite file with the seeds; the fast tier shows a removed liaison and a revoked key refused
by the real bot."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from handlers.core.errors import AdminError
from handlers.core.i18n import translator
from handlers.office.invites import Filters, bulk_invites, invite_link, invites_csv, joined_status, qr_svg
from handlers.office.keys import list_keys, make_bind_key, revoke_bind_key
from handlers.office.liaisons import add_liaison, liaisons_of, remove_liaison
from handlers.office.member_edit import MemberEditError, edit_member
from handlers.office.roster import import_roster, read_roster_file
from handlers.office.rules import add_rule, dry_run, edit_rule, list_rules, move_rule
from seeds.loader import load_seeds
from storage import people
from storage import targets as target_store
from storage.db import Database
from storage.schema import audit_log, members, target_liaisons

STACK_TIER = "fast"  # the stack test below: feature logic, in-process (tests/fast.py)
NOW = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)
zh = translator("zh")


@pytest.fixture
async def db(tmp_path):
    database = Database(str(tmp_path / "linkage.db"))
    await database.ensure_schema()
    await load_seeds(database, NOW)
    yield database
    await database.close()


async def audited(db, action: str) -> list:
    async with db.read() as conn:
        return list(await conn.execute(select(audit_log).where(audit_log.c.action == action)))


# --- liaisons -----------------------------------------------------------------------------------

async def test_a_liaison_removed_is_a_member_again_when_they_handle_nothing_else(db):
    async with db.transaction() as conn:
        assert await add_liaison(conn, "H001", "district:hongqiao", NOW)
        assert await add_liaison(conn, "H001", "street:hongqiao_xigu", NOW)
        assert "H001" in [m.roster_id for m in await liaisons_of(conn, "district:hongqiao")]
        assert await remove_liaison(conn, "H001", "district:hongqiao", NOW, actor="console:member:1")
        assert (await people.by_roster_id(conn, "H001")).role == "liaison"  # still the street's
        assert await remove_liaison(conn, "H001", "street:hongqiao_xigu", NOW)
        assert (await people.by_roster_id(conn, "H001")).role == "member"
        assert await remove_liaison(conn, "H001", "street:hongqiao_xigu", NOW) is False  # nothing to remove
        with pytest.raises(AdminError, match="unknown target 'street:moon'"):
            await remove_liaison(conn, "H001", "street:moon", NOW)
    removals = await audited(db, "liaison.remove")
    assert [r.actor for r in removals] == ["console:member:1", "cli"]


async def test_a_district_office_reaches_only_its_district(db):
    async with db.transaction() as conn:
        with pytest.raises(AdminError, match="not one of your district's"):
            await add_liaison(conn, "H001", "topic:smart_parking", NOW, within="hongqiao")
        with pytest.raises(AdminError, match="not in your district"):
            await add_liaison(conn, "P001", "district:hongqiao", NOW, within="hongqiao")
        assert await add_liaison(conn, "H001", "district:hongqiao", NOW, within="hongqiao")
        with pytest.raises(AdminError, match="must be in your district"):
            await make_bind_key(conn, "district:heping", "district", NOW, hours=48, within="hongqiao")
        with pytest.raises(AdminError, match="must be in your district"):
            await add_rule(conn, ["district:hongqiao"], NOW, topic="smart_parking", within="hongqiao")
        await add_rule(conn, ["district:hongqiao"], NOW, topic="smart_parking", district="hongqiao",
                       before=await port_rule(conn), within="hongqiao")
        assert all(r.district == "hongqiao" for r in await list_rules(conn, within="hongqiao"))
        city_rule = next(r for r in await list_rules(conn) if r.district is None)
        with pytest.raises(AdminError, match=f"rule #{city_rule.id} must be in your district"):
            await edit_rule(conn, city_rule.id, NOW, note="x", within="hongqiao")
        with pytest.raises(AdminError, match="the place tried must be in your district"):
            await dry_run(conn, "smart_parking", district="heping", within="hongqiao")


# --- bind keys ----------------------------------------------------------------------------------

async def test_keys_are_listed_by_id_and_a_revoked_key_binds_nothing(db):
    async with db.transaction() as conn:
        key = await make_bind_key(conn, "district:hongqiao", "district", NOW, hours=48)
        other = await make_bind_key(conn, "street:hongqiao_xigu", "street", NOW + timedelta(minutes=1), hours=1)
        views = await list_keys(conn, NOW + timedelta(minutes=2))
        assert [(v.target, v.state) for v in views] == [("street:hongqiao_xigu", "open"), ("district:hongqiao", "open")]
        assert all(key not in str(v) and other not in str(v) for v in views)  # the key itself is never shown
        assert [v.state for v in await list_keys(conn, NOW + timedelta(hours=2), target="street:hongqiao_xigu")] \
            == ["expired"]
        revoked = await revoke_bind_key(conn, views[1].id, NOW + timedelta(minutes=3))
        assert revoked.state == "revoked" and revoked.target == "district:hongqiao"
        with pytest.raises(AdminError, match="revoked already"):
            await revoke_bind_key(conn, f"/bind {key}", NOW + timedelta(minutes=4))  # by the key as printed
        assert await target_store.bind(conn, key, -100123, None, NOW + timedelta(minutes=5)) is None
        with pytest.raises(AdminError, match="no bind key"):
            await revoke_bind_key(conn, "ffffffffff", NOW)
        with pytest.raises(AdminError, match="expired already"):
            await revoke_bind_key(conn, other, NOW + timedelta(hours=2))
        assert await target_store.bind(conn, other, -100124, None, NOW + timedelta(minutes=5)) is not None
        with pytest.raises(AdminError, match="used already"):
            await revoke_bind_key(conn, other, NOW + timedelta(minutes=6))
        with pytest.raises(AdminError, match="not one of your district's"):
            await list_keys(conn, NOW, target="topic:smart_parking", within="hongqiao")
        assert {v.target for v in await list_keys(conn, NOW, within="hongqiao")} == {"district:hongqiao",
                                                                                    "street:hongqiao_xigu"}
    assert len(await audited(db, "bind_key.revoke")) == 1


# --- routing rules ------------------------------------------------------------------------------

async def port_rule(conn) -> int:
    """The seeds' Hongqiao district port: a stop rule for every Hongqiao item."""
    return next(r.id for r in await list_rules(conn) if r.note == "Hongqiao pilot: district port")


async def test_a_rule_edited_is_checked_again_and_a_never_matching_one_is_refused(db):
    async with db.transaction() as conn:
        rule_id = await add_rule(conn, ["topic:smart_parking"], NOW, topic="smart_parking", district="hongqiao",
                                 before=await port_rule(conn))
        for changes, problem in (({"district": "heping", "street": "hongqiao_xigu"}, "is not in district"),
                                 ({"area": "city"}, "could never match"),
                                 ({"topic": "moon"}, "unknown topic 'moon'"),
                                 ({"targets": []}, "needs at least one target"),
                                 ({"targets": ["nowhere"]}, "unknown target 'nowhere'"),
                                 ({"note": "长" * 201}, "at most 200")):
            before = next(r for r in await list_rules(conn) if r.id == rule_id)
            with pytest.raises(AdminError, match=problem):
                await edit_rule(conn, rule_id, NOW, **changes)
            assert next(r for r in await list_rules(conn) if r.id == rule_id) == before  # nothing changed
        edited = await edit_rule(conn, rule_id, NOW, street="hongqiao_xigu", stop=False,
                                 targets=["street:hongqiao_xigu", "district:hongqiao"], note="试点")
        assert (edited.district, edited.street, edited.stop, edited.note) == ("hongqiao", "hongqiao_xigu", False, "试点")
        assert set(edited.targets) == {"street:hongqiao_xigu", "district:hongqiao"}
        assert edited.topic == "smart_parking"  # left out: kept
        cleared = await edit_rule(conn, rule_id, NOW, street=None, topic="")
        assert (cleared.topic, cleared.district, cleared.street) == (None, "hongqiao", None)
        with pytest.raises(AdminError, match="there is no rule #999"):
            await edit_rule(conn, 999, NOW, note="x")
    edits = await audited(db, "rule.edit")
    assert len(edits) == 2 and edits[0].detail["before"]["street"] is None \
        and edits[0].detail["after"]["street"] == "hongqiao_xigu"


async def test_rules_move_up_down_and_to_a_place_and_the_walk_follows(db):
    async with db.transaction() as conn:
        # two stop rules an item can both match, neither matching everything the other does
        first = await add_rule(conn, ["topic:smart_parking"], NOW, topic="smart_parking", district="hongqiao",
                               position=1)
        second = await add_rule(conn, ["district:hongqiao"], NOW, district="hongqiao", sector="economics", position=2)
        trial = await dry_run(conn, "smart_parking", district="hongqiao", sector="economics")
        assert [t.name for t in trial.planned.targets] == ["topic:smart_parking"]  # the first one stops
        table = await move_rule(conn, second, NOW, up=True)
        assert [r.id for r in table][:2] == [second, first]
        assert [r.position for r in table] == [10 * (i + 1) for i in range(len(table))]
        trial = await dry_run(conn, "smart_parking", district="hongqiao", sector="economics")
        assert [t.name for t in trial.planned.targets] == ["district:hongqiao"]
        assert trial.lines()[-1].startswith("→ now, with the groups bound so far: ")  # nothing is bound
        with pytest.raises(AdminError, match=rf"could never match: rule #{await port_rule(conn)}, earlier"):
            await move_rule(conn, second, NOW, to=len(table))  # below the district port, which takes every item
        table = await move_rule(conn, first, NOW, down=True)
        assert [r.id for r in table].index(first) == 2
        with pytest.raises(AdminError, match="at the bottom"):
            await move_rule(conn, table[-1].id, NOW, down=True)
        with pytest.raises(AdminError, match="at the top"):
            await move_rule(conn, second, NOW, up=True)
        with pytest.raises(AdminError, match="places 1 to"):
            await move_rule(conn, first, NOW, to=0)
        with pytest.raises(AdminError, match="either up, down or to"):
            await move_rule(conn, first, NOW, up=True, down=True)
    assert len(await audited(db, "rule.move")) == 2


# --- the roster ---------------------------------------------------------------------------------

ROSTER = ("roster_id,name,level,district,street,sector,committee,role,language,liaison_for\n"
          "N001,新委员甲,district,hongqiao,,,,member,zh,\n"
          "N002,新委员乙,district,atlantis,,,,member,zh,\n"
          "N003,,district,hongqiao,heping_nanshi,,,boss,fr,\n"
          "N004,新委员丁,city,,,,,member,zh,\n")


async def test_the_validation_report_names_row_field_and_problem_and_nothing_is_written(db, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    rows = read_roster_file(path)
    async with db.transaction() as conn:
        report = await import_roster(conn, rows, NOW)
        assert not report.written and await people.by_roster_id(conn, "N001") is None
        problems = report.problems()
        assert (3, "district", "unknown district 'atlantis'") in problems
        assert {(row, f) for row, f, _ in problems if row == 4} >= {(4, "name"), (4, "street"), (4, "role"),
                                                                   (4, "language")}
        assert not [p for p in problems if p[0] in (2, 5)]
        checked = await import_roster(conn, [rows[0], rows[3]], NOW, check_only=True)
        assert checked.ok and not checked.written and await people.by_roster_id(conn, "N001") is None
        partial = await import_roster(conn, rows, NOW, only_valid=True)
        assert partial.written and [r.action for r in partial.rows] == ["created", "skipped", "skipped", "created"]
        assert await people.by_roster_id(conn, "N002") is None and await people.by_roster_id(conn, "N004")
        district = await import_roster(conn, [rows[0], rows[3], {"roster_id": "P001", "name": "黄文博",
                                                                 "level": "district", "district": "hongqiao", "_row": 6},
                                              {"roster_id": "N005", "name": "某", "level": "district",
                                               "district": "hongqiao", "role": "admin", "_row": 7}], NOW,
                                       within="hongqiao")
        fields = {(row, f) for row, f, _ in district.problems()}
        # N004 (row 5) is a city member written above: not the district's to change
        assert fields == {(5, "district"), (5, "roster_id"), (6, "roster_id"), (7, "role")} and not district.written
    assert [r.detail["skipped"] for r in await audited(db, "roster.import")][-1] == 2


async def test_one_member_edited_like_a_roster_row(db):
    async with db.transaction() as conn:
        assert await edit_member(conn, "H005", NOW, name="郑桂兰", language="en") == ["language"]
        with pytest.raises(MemberEditError) as refused:
            await edit_member(conn, "H005", NOW, district="atlantis", role="boss")
        assert {e.field for e in refused.value.errors} == {"district", "role"}
        with pytest.raises(MemberEditError) as refused:
            await edit_member(conn, "H005", NOW, street="heping_nanshi")
        assert [e.field for e in refused.value.errors] == ["street"]
        moved = await edit_member(conn, "H005", NOW, district="heping")  # their street stays in Hongqiao
        assert moved == ["district_code", "street_code"]
        member = await people.by_roster_id(conn, "H005")
        assert (member.district_code, member.street_code, member.language) == ("heping", None, "en")
        assert await edit_member(conn, "H005", NOW) == []
        with pytest.raises(AdminError, match="not in your district"):
            await edit_member(conn, "H005", NOW, name="某", within="hongqiao")
        with pytest.raises(MemberEditError, match="only the city office makes office admins"):
            await edit_member(conn, "H001", NOW, role="admin", within="hongqiao")
        assert await edit_member(conn, "H001", NOW, active=False, within="hongqiao") == ["active"]
        with pytest.raises(AdminError, match="cannot edit telegram_user_id"):
            await edit_member(conn, "H002", NOW, telegram_user_id=5)
        await add_liaison(conn, "H002", "district:hongqiao", NOW)
        assert await edit_member(conn, "H002", NOW, role="member") == []  # a liaison of a target stays one
    assert len(await audited(db, "member.edit")) == 3


# --- invites ------------------------------------------------------------------------------------

async def test_bulk_invites_for_everyone_not_joined_with_csv_and_qr(db):
    async with db.transaction() as conn:
        joined = await people.by_roster_id(conn, "H002")
        await people.change(conn, joined.id, telegram_user_id=4242)
        rows = await bulk_invites(conn, NOW, days=14, bot_username="@linkage_test_bot",
                                  filters=Filters(district="红桥区"))
        ids = [r.roster_id for r in rows]
        assert "H002" not in ids and ids == sorted(ids) and "H001" in ids
        assert all(r.link.startswith("https://t.me/linkage_test_bot?start=") and r.district_name == "红桥区"
                   for r in rows)
        assert len({r.link for r in rows}) == len(rows)
        status = {s.roster_id: s.state for s in await joined_status(conn, NOW, filters=Filters(district="hongqiao"))}
        assert status["H002"] == "joined" and status["H001"] == "invited"
        later = {s.roster_id: s.state for s in await joined_status(conn, NOW + timedelta(days=15))}
        assert later["H001"] == "expired" and later["C001"] == "not invited"
        assert [s.roster_id for s in await joined_status(conn, NOW, joined=True)] == ["H002"]
        picked = await bulk_invites(conn, NOW, days=3, bot_username="bot", filters=Filters(roster_ids=("C001",)))
        assert [r.roster_id for r in picked] == ["C001"]
        with pytest.raises(AdminError, match="H002"):  # joined already
            await bulk_invites(conn, NOW, days=3, bot_username="bot", filters=Filters(roster_ids=("H002",)))
        with pytest.raises(AdminError, match="must be in your district"):
            await bulk_invites(conn, NOW, days=3, bot_username="bot", filters=Filters(district="heping"),
                               within="hongqiao")
        scoped = await bulk_invites(conn, NOW, days=3, bot_username="bot", within="hongqiao")
        assert {r.district for r in scoped} == {"hongqiao"}
        with pytest.raises(AdminError, match="member C001 must be in your district"):
            await invite_link(conn, "C001", NOW, days=3, bot_username="bot", within="hongqiao")
        named = await people.by_roster_id(conn, "H003")
        await people.change(conn, named.id, name="=HYPERLINK(1)")
        cells = list(csv.reader(io.StringIO(invites_csv(
            await bulk_invites(conn, NOW, days=3, bot_username="bot", filters=Filters(roster_ids=("H003",))))
            .decode("utf-8-sig"))))
    assert cells[0] == [zh.plain("Roster id"), zh.plain("Name"), zh.plain("District"), zh.plain("Invite link"),
                        zh.plain("Valid until")]
    assert cells[1][:3] == ["H003", "'=HYPERLINK(1)", "红桥区"]  # a name never becomes a formula
    svg = qr_svg(rows[0].link)
    assert svg.startswith("<svg") and "<path" in svg
    assert [r.detail["count"] for r in await audited(db, "invite.bulk")][0] == len(rows)


# --- the command line ---------------------------------------------------------------------------

def _linkage(database, *args: str):
    result = CliRunner().invoke(main, ["--database", str(database), *args], catch_exceptions=False,
                                env={"LINKAGE_BOT_USERNAME": "linkage_test_bot", "LINKAGE_QUIET_HOURS": ""})
    return result.exit_code, result.output


def test_the_new_commands(tmp_path):
    db = tmp_path / "linkage.db"
    assert _linkage(db, "seed")[0] == 0
    code, out = _linkage(db, "group", "bind-key", "district:hongqiao", "--kind", "district")
    assert code == 0
    code, out = _linkage(db, "group", "keys", "--state", "open")
    assert code == 0 and "district:hongqiao: open" in out
    key_id = out.split()[0]
    assert _linkage(db, "group", "revoke", key_id) == (0, f"key {key_id} of district:hongqiao revoked: "
                                                          "/bind with it is refused from now on\n")
    code, out = _linkage(db, "group", "revoke", key_id)
    assert code != 0 and "revoked already" in out and "Traceback" not in out
    assert _linkage(db, "liaison", "add", "H001", "district:hongqiao")[0] == 0
    assert "H001 赵丽娟\n" in _linkage(db, "liaison", "list", "district:hongqiao")[1]
    assert "no longer a liaison" in _linkage(db, "liaison", "remove", "H001", "district:hongqiao")[1]
    code, out = _linkage(db, "route", "edit", "1", "--district", "heping")  # its street is Hongqiao's
    assert code != 0 and "is not in district 'heping'" in out
    code, out = _linkage(db, "route", "edit", "1", "--district", "any", "--street", "any", "--topic", "smart_parking",
                         "--no-watch")
    assert code == 0 and out.startswith("#1 pos 10: topic=smart_parking → ") and "[no watch]" in out
    code, out = _linkage(db, "route", "move", "1", "--down")
    assert code == 0 and out.splitlines()[1].startswith("#1 pos 20:")
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    code, out = _linkage(db, "member", "import", str(roster), "--check")
    assert code != 0 and "row 3 (N002): ERROR: unknown district 'atlantis'" in out and "nothing was imported" in out
    code, out = _linkage(db, "member", "import", str(roster), "--only-valid")
    assert code == 0 and "2 skipped (errors)" in out
    code, out = _linkage(db, "member", "edit", "N001", "--street", "hongqiao_xigu", "--inactive")
    assert code == 0 and out == "N001: changed active, street_code\n"
    code, out = _linkage(db, "invite", "--all", "--district", "hongqiao", "--out", str(tmp_path / "inv.csv"))
    assert code == 0 and out.startswith("7 invite links written to")
    assert "H001" in (tmp_path / "inv.csv").read_text(encoding="utf-8-sig")
    code, out = _linkage(db, "invite")
    assert code != 0 and "name one MEMBER, or give --all" in out
    code, out = _linkage(db, "member", "list", "--district", "hongqiao")
    assert code == 0 and "H001 赵丽娟 hongqiao: invited" in out and out.endswith("7 members: invited 7\n")


# --- the real bot (fast tier) -------------------------------------------------------------------

async def test_the_bot_refuses_a_removed_liaison_and_a_revoked_key(stack):
    from tests.test_authorization import NOT_THEIRS, _new_item
    pilot = await stack.pilot()
    async with stack.app.db.transaction() as conn:
        assert await remove_liaison(conn, "C003", "topic:smart_parking", stack.app.clock.now())
        topic_group = await target_store.by_name(conn, "topic:smart_parking")
        assert (await conn.execute(select(target_liaisons).join(members).where(
            members.c.roster_id == "C003", target_liaisons.c.target_id == topic_group.id))).first() is None
    item_id, code = await _new_item(stack, "C002", "routed", "C003")
    card = await stack.world.card(pilot.topic_group, code)
    query = await stack.sb.press(pilot.topic_liaison, card, data=next(iter(card.button_data.values())))
    assert (await stack.sb.callback_answer(query))["text"] == NOT_THEIRS
    assert (await stack.row("items", id=item_id)).status == "routed"

    async with stack.app.db.transaction() as conn:
        key = await make_bind_key(conn, "sector:economics", "sector", stack.app.clock.now(), hours=48)
        await revoke_bind_key(conn, key, stack.app.clock.now())
    chat = await stack.sb.group("经济界委员群", members=[pilot.office.id], admins=[pilot.office.id])
    await stack.sb.send(pilot.office, f"/bind {key}", chat=chat)
    await stack.sb.wait_for(chat, zh.plain(
        "This key is not valid, was already used or has expired. Ask the city office for a new one "
        "(linkage group bind-key)."), 10)
    assert (await stack.row("targets", name="sector:economics")).chat_id is None


async def test_a_district_office_moves_its_rule_among_its_own(db):
    async with db.transaction() as conn:
        port = await port_rule(conn)
        ours = await add_rule(conn, ["district:hongqiao"], NOW, topic="smart_parking", district="hongqiao",
                              before=port, within="hongqiao")
        mine = [r.id for r in await list_rules(conn, within="hongqiao")]
        assert mine[-2:] == [ours, port] and len(mine) > 3
        table = await move_rule(conn, ours, NOW, up=True, within="hongqiao")
        assert [r.id for r in table] == [*mine[:-3], ours, mine[-3], port]  # before its district's previous rule
        everything = [r.id for r in await list_rules(conn)]
        assert everything.index(ours) == everything.index(mine[-3]) - 1  # and nothing else moved past it
        with pytest.raises(AdminError, match=rf"could never match: rule #{port}, earlier"):
            await move_rule(conn, ours, NOW, to=len(mine), within="hongqiao")  # below the port: refused
        table = await move_rule(conn, ours, NOW, to=1, within="hongqiao")
        assert table[0].id == ours
        with pytest.raises(AdminError, match="places 1 to"):
            await move_rule(conn, ours, NOW, to=len(mine) + 1, within="hongqiao")
