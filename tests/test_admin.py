"""Seeds, roster import, invites, bind keys and routing rules (handlers/office/, seeds/loader.py).

Every test runs on a real SQLite file and, when LINKAGE_TEST_POSTGRES_URL is set (e.g.
postgresql://postgres@127.0.0.1:5432/test), again on PostgreSQL in a fresh schema of its own.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, select, update

from handlers.office.invites import invite_link
from handlers.office.keys import make_bind_key
from handlers.office.liaisons import add_liaison
from handlers.office.roster import ROSTER_COLUMNS, import_roster, read_roster_file
from handlers.office.rules import add_rule, delete_rule, list_rules, route_test, set_watch
from handlers.core.errors import AdminError
from seeds.loader import SEED_DIR, load_seeds, reference_rows
from storage import cache
from storage import reference
from storage import targets as target_store
from storage.db import Database
from storage.schema import (audit_log, committees, districts, domains, invites, members, routing_rules, rule_targets,
                            sectors, streets, target_liaisons, targets, topics)

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc)
PG_URL = os.environ.get("LINKAGE_TEST_POSTGRES_URL")
HONGQIAO_STREETS = {"hongqiao_xiyuzhuang", "hongqiao_shuanghuancun", "hongqiao_xianyangbeilu",
                    "hongqiao_dingzigu", "hongqiao_xigu", "hongqiao_santiaoshi", "hongqiao_shaogongzhuang",
                    "hongqiao_jieyuan", "hongqiao_lingdangge", "hongqiao_heyuan"}
DISTRICTS = {"heping", "hedong", "hexi", "nankai", "hebei", "hongqiao", "dongli", "xiqing", "jinnan",
             "beichen", "wuqing", "baodi", "ninghe", "jinghai", "jizhou", "binhai"}


@pytest.fixture(params=["sqlite", "postgres"])
async def db(request, tmp_path):
    if request.param == "sqlite":
        database = Database(str(tmp_path / "linkage.db"))
        await database.ensure_schema()
        yield database
        await database.close()
        return
    if not PG_URL:
        pytest.skip("LINKAGE_TEST_POSTGRES_URL is not set: PostgreSQL variant skipped")
    import asyncpg
    schema = f"t_admin_{uuid.uuid4().hex[:12]}"
    plain_url = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    setup = await asyncpg.connect(plain_url)
    await setup.execute(f'CREATE SCHEMA "{schema}"')
    database = Database(PG_URL)

    @event.listens_for(database.engine.sync_engine, "do_connect")
    def _in_own_schema(_dialect, _record, _cargs, cparams):
        cparams["server_settings"] = {"search_path": schema}

    try:
        await database.ensure_schema()
        yield database
    finally:
        await database.close()
        await setup.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await setup.close()


async def count(db, table, *where) -> int:
    async with db.read() as conn:
        return (await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one()


async def bind(db, *names: str) -> None:
    """Bind targets directly, as `/bind KEY` in a group would (telling the reference cache so)."""
    async with db.transaction() as conn:
        await cache.changed(conn)
        for offset, name in enumerate(names):
            result = await conn.execute(update(targets).where(targets.c.name == name)
                                        .values(chat_id=-1001000000000 - offset, bound_at=NOW))
            assert result.rowcount == 1, name


def row(roster_id, name, level, district="", street="", sector="", committee="", role="member",
        language="zh", liaison_for=""):
    return dict(roster_id=roster_id, name=name, level=level, district=district, street=street, sector=sector,
                committee=committee, role=role, language=language, liaison_for=liaison_for)


# --- seeds ---------------------------------------------------------------------------------

async def test_seeds_load_twice_without_changes(db):
    first = await load_seeds(db, NOW)
    tables = (districts, streets, sectors, committees, domains, topics, targets, routing_rules, rule_targets,
              members, target_liaisons)
    before = {t.name: await count(db, t) for t in tables}
    second = await load_seeds(db, NOW + timedelta(hours=1))
    after = {t.name: await count(db, t) for t in tables}

    assert first == second
    assert before == after
    assert first["districts"] == 16 and first["streets"] == 10 and first["members"] == 16  # with Q001, a district office admin
    assert first["rules"] == before["routing_rules"] == 10 + 1 + 15 + 46
    assert first["domains"] == 10 and first["topics"] == 46 and first["tags"] == 8
    async with db.read() as conn:
        assert set((await conn.execute(select(districts.c.code))).scalars()) == DISTRICTS
        assert list((await conn.execute(select(districts.c.code).where(districts.c.pilot.is_(True))))
                    .scalars()) == ["hongqiao"]
        street_rows = (await conn.execute(select(streets))).all()
        assert {s.code for s in street_rows} == HONGQIAO_STREETS
        assert {s.district_code for s in street_rows} == {"hongqiao"}
        assert next(s.name_zh for s in street_rows if s.code == "hongqiao_xiyuzhuang") == "西于庄街道"
        topic_rows = (await conn.execute(select(topics).order_by(topics.c.position))).all()
        assert topic_rows[-1].code == "other"
        domain_rows = (await conn.execute(select(domains).order_by(domains.c.position))).all()
        assert domain_rows[-1].code == "other" and {t.domain for t in topic_rows} == {d.code for d in domain_rows}
        assert {t.code for t in topic_rows if t.domain == "elderly_disabled"} == {
            "elderly_care", "smart_elderly_care", "disability_assistance", "barrier_free"}
        assert "人口资源环境和城乡建设委员会" in set((await conn.execute(select(committees.c.name_zh))).scalars())
        names = set((await conn.execute(select(targets.c.name))).scalars())
        assert {"office", "district:hongqiao", "street:hongqiao_xiyuzhuang", "topic:smart_parking",
                "topic:other", "district:binhai", "sector:economics"} <= names
        assert len(names) == 1 + 46 + 16 + 10 + 31  # office, topics, districts, streets, sectors
        sector = await target_store.by_name(conn, "sector:economics")
        assert (sector.kind, sector.level, sector.sector_code, sector.title_zh) == (
            "sector", "city", "economics", "市政协·经济界委员群")
        assert (await conn.execute(select(func.count()).select_from(targets)
                                   .where(targets.c.chat_id.is_not(None)))).scalar_one() == 0
        port = await target_store.by_name(conn, "district:hongqiao")
        assert (port.kind, port.level, port.title_zh) == ("district", "district", "红桥区政协委员联络中心")
    # each seeded rule was audited once, not twice
    assert await count(db, audit_log, audit_log.c.action == "rule.add") == first["rules"]


async def test_reseed_keeps_bindings_and_the_offices_rules(db):
    await load_seeds(db, NOW, roster=False)
    await bind(db, "district:hongqiao")
    async with db.transaction() as conn:
        rule_id = (await list_rules(conn))[0].id
        await delete_rule(conn, rule_id, NOW)
    await load_seeds(db, NOW, roster=False)
    async with db.read() as conn:
        port = await target_store.by_name(conn, "district:hongqiao")
        assert port.chat_id == -1001000000000 and port.bound_at == NOW
        assert rule_id not in {r.id for r in await list_rules(conn)}
    assert await count(db, routing_rules) == 71
    assert await count(db, members) == 0


async def test_reseeding_an_older_database_moves_topics_into_domains(db):
    async with db.transaction() as conn:  # as the seed before domains left it
        await conn.execute(topics.insert().values(code="smart_parking", name_zh="智慧停车", name_en="Smart parking",
                                                  domain="digital_life", position=5))
        await conn.execute(topics.insert().values(code="transport", name_zh="交通出行", name_en="Transport",
                                                  domain="livelihood", position=30))
    await load_seeds(db, NOW, roster=False)
    async with db.read() as conn:
        parking, transport = await reference.topic(conn, "smart_parking"), await reference.topic(conn, "transport")
        assert (parking.domain, transport.domain, transport.name_zh) == ("transport", "transport", "公共交通和道路")
        assert [t.code for t in await reference.topics_of(conn, "transport")] == [
            "transport", "smart_parking", "smart_transport", "mobility_maas"]
        assert (await reference.domain(conn, "transport")).name_zh == "交通出行"


def test_the_loader_refuses_a_topic_tree_that_does_not_fit_its_screens(tmp_path):
    shutil.copytree(SEED_DIR, tmp_path / "seeds", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    topics_file = tmp_path / "seeds" / "topics.yaml"
    original = topics_file.read_text(encoding="utf-8")
    ninth = "  - {code: exhibitions, domain: economy, name_zh: 会展经济, name_en: Exhibition economy}\n"
    topics_file.write_text(original.replace("  # --- 交通出行", ninth + "  # --- 交通出行"), encoding="utf-8")
    with pytest.raises(ValueError, match="domain 'economy' has 9 topics, a screen holds 8"):
        reference_rows(tmp_path / "seeds")
    topics_file.write_text(original.replace("domain: transport", "domain: traffic"), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown domain 'traffic'"):
        reference_rows(tmp_path / "seeds")


# --- roster import -------------------------------------------------------------------------

async def test_roster_import_happy_path_and_update_keeps_telegram(db):
    await load_seeds(db, NOW, roster=False)
    rows = [row("A1", "王晓明", "city", sector="economics", committee="economic"),
            row("A2", "赵丽娟", "district", "hongqiao", "hongqiao_xiyuzhuang", "women", language="en"),
            row("A3", "吴思远", "District", "红桥区", sector="经济界", liaison_for="district:hongqiao"),
            row("A4", "孙建国", "district", street="hongqiao_dingzigu", role="")]
    async with db.transaction() as conn:
        report = await import_roster(conn, rows, NOW)
    assert report.ok and report.written, report.lines()
    assert [r.action for r in report.rows] == ["created"] * 4
    assert [r.row for r in report.rows] == [2, 3, 4, 5]
    async with db.read() as conn:
        by_id = {m.roster_id: m for m in await conn.execute(select(members))}
        port = await target_store.by_name(conn, "district:hongqiao")
        liaisons = [m.roster_id for m in await target_store.liaisons(conn, port.id)]
    assert by_id["A2"].street_code == "hongqiao_xiyuzhuang" and by_id["A2"].language == "en"
    assert (by_id["A3"].level, by_id["A3"].district_code, by_id["A3"].sector_code) == ("district", "hongqiao", "economics")
    assert by_id["A3"].role == "liaison" and liaisons == ["A3"]
    assert by_id["A4"].district_code == "hongqiao" and by_id["A4"].role == "member"
    assert by_id["A1"].committee_code == "economic" and by_id["A1"].district_code is None

    async with db.transaction() as conn:  # the member joined on Telegram; the office renames them
        await conn.execute(update(members).where(members.c.roster_id == "A1").values(telegram_user_id=777))
    rows[0]["name"] = "王晓明（更正）"
    async with db.transaction() as conn:
        again = await import_roster(conn, rows, NOW)
    assert [r.action for r in again.rows] == ["updated", "unchanged", "unchanged", "unchanged"]
    assert await count(db, members) == 4
    assert await count(db, target_liaisons) == 1
    async with db.read() as conn:
        a1 = (await conn.execute(select(members).where(members.c.roster_id == "A1"))).one()
    assert (a1.name, a1.telegram_user_id) == ("王晓明（更正）", 777)


async def test_invalid_roster_imports_nothing_and_reports_each_row(db):
    await load_seeds(db, NOW, roster=False)
    rows = [row("B1", "李静怡", "city", sector="medicine_health"),  # valid
            row("B2", "周雅琴", "district", "atlantis"),  # unknown district
            row("B3", "马俊杰", "province"),  # bad level
            row("B4", "郑桂兰", "district", "heping", "hongqiao_xigu"),  # street of another district
            row("B1", "黄文博", "city"),  # duplicate roster_id
            row("B6", "何欣然", "city", liaison_for="office;topic:moon_landing"),  # unknown target
            row("B7", "陈志强", "district"),  # district missing
            row("B8", "杨慧敏", "city", role="boss", language="fr")]
    async with db.transaction() as conn:
        report = await import_roster(conn, rows, NOW)
    assert not report.ok and not report.written
    errors = {r.row: " | ".join(r.errors) for r in report.rows}
    assert errors[2] == ""
    assert "unknown district 'atlantis'" in errors[3]
    assert "level 'province' is not valid" in errors[4]
    assert "street 'hongqiao_xigu' is not in district 'heping'" in errors[5]
    assert "duplicate roster_id 'B1' (first on row 2)" in errors[6]
    assert "unknown target 'topic:moon_landing'" in errors[7] and "'office'" not in errors[7]
    assert "district is required" in errors[8]
    assert "role 'boss'" in errors[9] and "language 'fr'" in errors[9]
    assert all(r.action is None for r in report.rows)
    lines = report.lines()
    assert len(lines) == len(rows) + 1 and "nothing was imported" in lines[-1]
    assert lines[0] == "row 2 (B1): ok, not written"
    assert await count(db, members) == 0
    assert await count(db, target_liaisons) == 0
    assert await count(db, audit_log, audit_log.c.action == "roster.import") == 0


async def test_xlsx_roster_import(db, tmp_path):
    import openpyxl
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Roster_ID", "name", "level", "district", "street", "sector", "committee", "role",
                  "language", "liaison_for"])
    sheet.append([3001, "刘海燕", "city", None, None, "social_welfare", "social_legal", "liaison", "zh",
                  "topic:smart_elderly_care"])
    sheet.append([None] * 10)  # an empty line in the middle, as spreadsheets have
    sheet.append(["3002", "张伟东", "district", "hongqiao", "hongqiao_santiaoshi", None, None, None, None, None])
    path = tmp_path / "roster.xlsx"
    workbook.save(path)

    rows = read_roster_file(path)
    assert [r["roster_id"] for r in rows] == ["3001", "3002"]
    assert [r["_row"] for r in rows] == [2, 4]
    await load_seeds(db, NOW, roster=False)
    async with db.transaction() as conn:
        report = await import_roster(conn, rows, NOW)
    assert report.ok, report.lines()
    assert [r.row for r in report.rows] == [2, 4]
    async with db.read() as conn:
        m = {x.roster_id: x for x in await conn.execute(select(members))}
        group = await target_store.by_name(conn, "topic:smart_elderly_care")
        assert [x.roster_id for x in await target_store.liaisons(conn, group.id)] == ["3001"]
    assert m["3002"].street_code == "hongqiao_santiaoshi" and m["3002"].language == "zh"


def test_read_roster_csv_with_bom_and_bad_files(tmp_path):
    path = tmp_path / "roster.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER_COLUMNS)
        writer.writerow(["C9", "王晓明", "city", "", "", "", "", "", "", ""])
    rows = read_roster_file(path)
    assert len(rows) == 1 and rows[0]["roster_id"] == "C9" and rows[0]["name"] == "王晓明"

    with pytest.raises(AdminError, match=r"'\.xls' is not supported"):
        read_roster_file(tmp_path / "roster.xls")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("roster_id,name,level\nC1,王晓明,city\n".encode("gbk"))
    with pytest.raises(AdminError, match="not UTF-8"):
        read_roster_file(gbk)
    headless = tmp_path / "headless.csv"
    headless.write_text("id,who\n1,x\n", encoding="utf-8")
    with pytest.raises(AdminError, match="roster_id, name, level"):
        read_roster_file(headless)


# --- invites, bind keys, liaisons ------------------------------------------------------------

async def test_invite_link_format(db):
    await load_seeds(db, NOW)
    async with db.transaction() as conn:
        link = await invite_link(conn, "H001", NOW, days=14, bot_username="@linkage_test_bot")
        by_name = await invite_link(conn, "王晓明", NOW, days=3, bot_username="linkage_test_bot")
        with pytest.raises(AdminError, match="no member with roster id or unique name 'Z999'"):
            await invite_link(conn, "Z999", NOW, days=14, bot_username="linkage_test_bot")
    match = re.fullmatch(r"https://t\.me/linkage_test_bot\?start=([A-Za-z0-9_-]{1,64})", link)
    assert match, link
    assert by_name != link
    async with db.read() as conn:
        invite = (await conn.execute(select(invites).where(invites.c.code == match.group(1)))).one()
        member = (await conn.execute(select(members).where(members.c.id == invite.member_id))).one()
    assert member.roster_id == "H001"
    assert invite.expires_at == NOW + timedelta(days=14) and invite.used_at is None


async def test_make_bind_key_creates_target_and_keeps_existing_binding(db):
    await load_seeds(db, NOW, roster=False)
    await bind(db, "district:hongqiao")
    async with db.transaction() as conn:
        key = await make_bind_key(conn, "topic:smart_parking@hongqiao", "topic", NOW, hours=48,
                                  topic="smart_parking", district="hongqiao")
        again = await make_bind_key(conn, "district:hongqiao", "district", NOW, hours=48)
        with pytest.raises(AdminError, match="exists with kind 'district'"):
            await make_bind_key(conn, "district:hongqiao", "topic", NOW, hours=48, topic="smart_parking")
        with pytest.raises(AdminError, match="unknown street"):
            await make_bind_key(conn, "street:nowhere", "street", NOW, hours=48)
    async with db.read() as conn:
        row = await target_store.bind_key(conn, key)
        created = await target_store.by_id(conn, row.target_id)
        assert (created.kind, created.level, created.topic_code, created.district_code) == (
            "topic", "district", "smart_parking", "hongqiao")
        assert created.title_zh == "市政协·智慧停车主题议政群" and created.chat_id is None
        assert row.expires_at == NOW + timedelta(hours=48)
        port = await target_store.by_id(conn, (await target_store.bind_key(conn, again)).target_id)
        assert port.name == "district:hongqiao" and port.chat_id == -1001000000000
    assert await count(db, audit_log, audit_log.c.action == "bind_key.create") == 2


async def test_add_liaison(db):
    await load_seeds(db, NOW)
    async with db.transaction() as conn:
        assert await add_liaison(conn, "C001", "street:hongqiao_xigu", NOW) is True
        assert await add_liaison(conn, "C001", "street:hongqiao_xigu", NOW) is False
        with pytest.raises(AdminError, match="unknown target 'street:moon'"):
            await add_liaison(conn, "C001", "street:moon", NOW)
        member = (await conn.execute(select(members).where(members.c.roster_id == "C001"))).one()
    assert member.role == "liaison"
    assert await count(db, audit_log, audit_log.c.action == "liaison.add") == 1


# --- routing ------------------------------------------------------------------------------

def names(targets) -> list[str]:
    return [t.name for t in targets]


async def test_route_test_pilot_all_bound(db):
    await load_seeds(db, NOW, roster=False)
    await bind(db, "street:hongqiao_xiyuzhuang", "district:hongqiao", "topic:smart_parking",
               "topic:mobility_maas", "office")
    async with db.read() as conn:
        street_item = await route_test(conn, "smart_parking", district="hongqiao", street="hongqiao_xiyuzhuang")
        city_item = await route_test(conn, "smart_parking")
        district_item = await route_test(conn, "mobility_maas", district="hongqiao")
        other_district = await route_test(conn, "smart_parking", district="heping")
        other_street = await route_test(conn, "mobility_maas", street="hongqiao_xigu")
    # handled by the sub-port and the port; the city topic group watches (知悉)
    assert names(street_item.targets) == ["street:hongqiao_xiyuzhuang", "district:hongqiao"]
    assert names(street_item.watchers) == ["topic:smart_parking"] and not street_item.fallback
    assert names(city_item.targets) == ["topic:smart_parking"] and city_item.watchers == []
    assert names(district_item.targets) == ["district:hongqiao"]
    assert names(district_item.watchers) == ["topic:mobility_maas"]
    # Heping's port is not bound: the item falls through to its topic group, which handles it (no watch)
    assert names(other_district.targets) == ["topic:smart_parking"] and other_district.watchers == []
    # a street whose centre is not bound: the district port still gets it, the topic group watches
    assert names(other_street.targets) == ["district:hongqiao"]
    assert names(other_street.watchers) == ["topic:mobility_maas"]


async def test_the_office_plans_routing_before_any_group_is_bound(db):
    await load_seeds(db, NOW, roster=False)
    async with db.read() as conn:
        now = await route_test(conn, "smart_parking", district="hongqiao", street="hongqiao_xiyuzhuang")
        topics_seeded = list((await conn.execute(select(topics.c.code))).scalars())
        plans = {code: [await route_test(conn, code, district="hongqiao", street="hongqiao_xiyuzhuang",
                                         as_if_bound=True),
                        await route_test(conn, code, district="heping", as_if_bound=True),
                        await route_test(conn, code, as_if_bound=True)] for code in topics_seeded}
    assert now.targets == [] and now.watchers == [] and now.fallback  # nothing is bound: the item would wait
    for code, (street, other_district, city) in plans.items():  # an answer for every seeded topic
        assert names(street.targets) == ["street:hongqiao_xiyuzhuang", "district:hongqiao"], code
        assert names(other_district.targets) == ["district:heping"], code
        assert names(street.watchers) == names(other_district.watchers) == [f"topic:{code}"], code
        assert names(city.targets) == [f"topic:{code}"] and city.watchers == [] and not city.fallback, code
        # every target is marked as not bound yet, watchers included
        assert all(t.chat_id is None for t in (*street.targets, *street.watchers))
        assert sum("(not bound)" in line for line in street.lines) == 3, street.lines
        assert any(line.endswith(f"watch (知悉): → topic:{code} (not bound)") for line in street.lines)


async def test_watching_is_turned_off_per_rule(db):
    await load_seeds(db, NOW, roster=False)
    await bind(db, "district:hongqiao", "street:hongqiao_xiyuzhuang", "topic:smart_parking")
    async with db.transaction() as conn:
        rules = await list_rules(conn)
        port_rule = next(r for r in rules if r.targets == ["district:hongqiao"])
        street_rule = next(r for r in rules if r.targets == ["street:hongqiao_xiyuzhuang"])
        assert port_rule.watch and "[watch]" in str(port_rule)
        assert not next(r for r in rules if r.targets == ["topic:smart_parking"]).watch  # it handles, not watches
        await set_watch(conn, port_rule.id, False, NOW)
        district_item = await route_test(conn, "smart_parking", district="hongqiao")
        street_item = await route_test(conn, "smart_parking", district="hongqiao", street="hongqiao_xiyuzhuang")
        await set_watch(conn, street_rule.id, False, NOW)
        street_unwatched = await route_test(conn, "smart_parking", district="hongqiao", street="hongqiao_xiyuzhuang")
        quiet = await add_rule(conn, ["district:hongqiao"], NOW, topic="mobility_maas", position=1, watch=False,
                               stop=False)  # (a stop rule here would leave the topic's own rule nothing)
        shown = next(r for r in await list_rules(conn) if r.id == quiet)
        with pytest.raises(AdminError, match="no rule #9999"):
            await set_watch(conn, 9999, False, NOW)
    assert names(district_item.targets) == ["district:hongqiao"] and district_item.watchers == []
    # the street rule still watches: the city sees the street item
    assert names(street_item.watchers) == ["topic:smart_parking"]
    assert street_unwatched.watchers == []
    assert not shown.watch and "[no watch]" in str(shown)
    async with db.read() as conn:
        entries = (await conn.execute(select(audit_log).where(audit_log.c.action == "rule.watch"))).all()
    assert [(e.detail["rule_id"], e.detail["watch"]) for e in entries] == [(port_rule.id, False),
                                                                            (street_rule.id, False)]


async def test_a_rule_routes_by_sector_to_a_sector_target(db):
    await load_seeds(db, NOW, roster=False)
    await bind(db, "sector:economics", "topic:smart_parking", "district:hongqiao")
    async with db.transaction() as conn:
        await add_rule(conn, ["sector:economics"], NOW, sector="economics", stop=False, position=5)
        economist = await route_test(conn, "smart_parking", sector="economics")
        district_economist = await route_test(conn, "smart_parking", district="hongqiao", sector="经济界")
        other = await route_test(conn, "smart_parking", sector="education")
    assert names(economist.targets) == ["sector:economics", "topic:smart_parking"]
    assert names(district_economist.targets) == ["sector:economics", "district:hongqiao"]
    assert names(district_economist.watchers) == ["topic:smart_parking"]
    assert names(other.targets) == ["topic:smart_parking"]


async def test_route_test_falls_back_to_office(db):
    await load_seeds(db, NOW, roster=False)
    async with db.read() as conn:
        waiting = await route_test(conn, "housing", district="hongqiao", street="hongqiao_heyuan")
    assert waiting.targets == [] and waiting.fallback
    await bind(db, "office")
    async with db.read() as conn:
        trace = await route_test(conn, "housing", district="hongqiao", street="hongqiao_heyuan")
        city = await route_test(conn, "other")
        with pytest.raises(AdminError, match="unknown topic 'moon'"):
            await route_test(conn, "moon")
        with pytest.raises(AdminError, match="is not in district 'heping'"):
            await route_test(conn, "housing", district="heping", street="hongqiao_heyuan")
    assert [t.name for t in trace.targets] == ["office"] and trace.fallback
    assert [t.name for t in city.targets] == ["office"]
    assert any("fallback" in line for line in trace.lines)


async def test_add_and_delete_rule_are_audited(db):
    await load_seeds(db, NOW, roster=False)
    await bind(db, "topic:healthcare", "topic:elderly_care")
    async with db.transaction() as conn:
        rule_id = await add_rule(conn, ["topic:elderly_care", "topic:healthcare"], NOW,
                                 topic="healthcare", sector="medicine_health", position=5, stop=False)
    async with db.read() as conn:
        entries = (await conn.execute(select(audit_log).where(audit_log.c.action == "rule.add",
                                                              audit_log.c.actor == "cli"))).all()
        trace = await route_test(conn, "healthcare", sector="medicine_health")
        first = (await list_rules(conn))[0]
    assert len(entries) == 1
    assert entries[0].detail["rule_id"] == rule_id and entries[0].created_at == NOW
    assert entries[0].detail["targets"] == ["topic:elderly_care", "topic:healthcare"]
    assert entries[0].detail["sector"] == "medicine_health" and entries[0].detail["stop"] is False
    assert first.id == rule_id and "sector=medicine_health" in str(first) and "[continue]" in str(first)
    assert {t.name for t in trace.targets} == {"topic:elderly_care", "topic:healthcare"}

    async with db.transaction() as conn:
        await delete_rule(conn, rule_id, NOW)
        with pytest.raises(AdminError, match=f"no rule #{rule_id}"):
            await delete_rule(conn, rule_id, NOW)
    assert await count(db, audit_log, audit_log.c.action == "rule.delete") == 1
    assert await count(db, routing_rules, routing_rules.c.id == rule_id) == 0


async def test_add_rule_rejects_bad_input_without_writing(db):
    await load_seeds(db, NOW, roster=False)
    rules_before = await count(db, routing_rules)
    audit_before = await count(db, audit_log)
    bad = [({"target_names": ["topic:nowhere"]}, "unknown target"),
           ({"target_names": []}, "at least one target"),
           ({"target_names": ["office"], "district": "atlantis"}, "unknown district 'atlantis'"),
           ({"target_names": ["office"], "district": "heping", "street": "hongqiao_xigu"}, "not in district"),
           ({"target_names": ["office"], "area": "city", "district": "heping"}, "could never match"),
           ({"target_names": ["office"], "area": "galaxy"}, "area 'galaxy' is not valid"),
           ({"target_names": ["office"], "sector": "astronauts"}, "unknown sector")]
    for kwargs, message in bad:
        async with db.transaction() as conn:
            with pytest.raises(AdminError, match=message):
                await add_rule(conn, kwargs.pop("target_names"), NOW, **kwargs)
    assert await count(db, routing_rules) == rules_before
    assert await count(db, audit_log) == audit_before
    async with db.transaction() as conn:  # a street brings its district along
        rule_id = await add_rule(conn, ["office"], NOW, street="hongqiao_xigu", stop=False, position=1)
        view = next(r for r in await list_rules(conn) if r.id == rule_id)
    assert (view.district, view.street, view.position) == ("hongqiao", "hongqiao_xigu", 1)
