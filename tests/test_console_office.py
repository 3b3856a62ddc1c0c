"""The console's office screens (bot/console/screens/roster.py, groups.py, rules.py) in-process
with aiohttp's test client on the fast stack's database: each form's good and bad input (bad
input answered beside the field, nothing changed), the district office's scope, and that the
console and the command line change the same rows through the same operations."""

from __future__ import annotations

import asyncio
import re

from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from handlers.office.lookups import UNKNOWN
from tests.test_console import audit_rows, beside, console, csrf_of, sign_in, refusal_zh

STACK_TIER = "fast"
ROSTER = ("roster_id,name,level,district,street,sector,committee,role,language,liaison_for\n"
          "W001,网上新委员,district,hongqiao,,,,member,zh,\n"
          "W002,另一位委员,district,atlantis,,,,member,zh,\n")


async def members(stack, **where) -> int:
    from storage.schema import members as table
    async with stack.app.db.read() as conn:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return (await conn.execute(query)).scalar_one()


async def linkage(stack, *args: str):
    """The command line on the same database (in a thread: it runs its own event loop)."""
    def invoke():
        return CliRunner().invoke(main, ["--database", stack.app.settings.database, *args], catch_exceptions=False,
                                  env={"LINKAGE_QUIET_HOURS": ""})
    result = await asyncio.to_thread(invoke)
    return result.exit_code, result.output


async def upload(client, csrf: str, name: str, text: str):
    from aiohttp import FormData
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", text.encode("utf-8"), filename=name, content_type="text/csv")
    return await client.post("/roster/import", data=form)


async def test_a_roster_is_checked_before_anything_is_written(stack):
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        page = await client.get("/roster")
        html = await page.text()
        assert page.status == 200 and "赵丽娟" in html and "王晓明" in html
        csrf = csrf_of(html)
        before = await members(stack)
        bad = await upload(client, csrf, "roster.csv", ROSTER)
        html = await bad.text()
        assert bad.status == 400 and await members(stack) == before
        # the row's problem in Chinese, in its row and column (the file's column names stay as they are)
        assert f"<td>3</td><td>W002</td><td>district</td><td>{refusal_zh(UNKNOWN['district'], value='atlantis')}</td>" in html
        only_valid = re.search(r'name="rows" value="([^"]*)"', html)
        assert only_valid and 'name="only_valid"' in html  # offered: the one valid row
        wrong = await upload(client, csrf, "roster.pdf", "x")
        assert wrong.status == 400 and "A roster is a .csv" not in await wrong.text()  # answered in Chinese
        assert await members(stack) == before
        good = await upload(client, csrf, "roster.csv", ROSTER.splitlines()[0] + "\n" + ROSTER.splitlines()[1] + "\n")
        html = await good.text()
        assert good.status == 200 and await members(stack) == before  # checked, not written
        rows = re.search(r'name="rows" value="([^"]*)"', html).group(1)
        import html as html_lib
        written = await client.post("/roster/import", data={"csrf": csrf, "rows": html_lib.unescape(rows), "write": "1"})
        assert written.status == 200 and await members(stack) == before + 1
        forged = await client.post("/roster/import", data={"csrf": csrf, "rows": "[not json", "write": "1"})
        assert forged.status == 400 and await members(stack) == before + 1

        # the console edits a member; the command line edits the same row, and the console shows it
        edit = await client.post("/roster/member/W001", data={"csrf": csrf, "name": "网上新委员", "level": "district",
                                                             "district": "hongqiao", "street": "hongqiao_xigu",
                                                             "sector": "", "committee": "", "role": "member",
                                                             "language": "zh", "active": "1"})
        assert edit.status == 200 and await members(stack, roster_id="W001", street_code="hongqiao_xigu") == 1
        refused = await client.post("/roster/member/W001", data={"csrf": csrf, "name": "", "level": "district",
                                                                "district": "heping", "street": "hongqiao_xigu",
                                                                "sector": "", "committee": "", "role": "member",
                                                                "language": "zh", "active": "1"})
        html = await refused.text()
        assert refused.status == 400 and beside(html, "name") == refusal_zh("{column} is required", column="name")
        assert beside(html, "street") == refusal_zh("street '{street}' is not in district '{district}' (it belongs to "
                                            "'{street_district}')", street="hongqiao_xigu", district="heping",
                                            street_district="hongqiao")
        assert await members(stack, roster_id="W001", district_code="hongqiao", name="网上新委员") == 1
        assert (await linkage(stack, "member", "edit", "W001", "--language", "en"))[0] == 0
        assert 'value="en" selected' in await (await client.get("/roster/member/W001")).text()
    from storage.schema import audit_log
    async with stack.app.db.read() as conn:
        actors = {r.action: r.actor for r in await conn.execute(select(audit_log).where(
            audit_log.c.action.in_(("roster.import", "member.edit"))))}
    assert actors["roster.import"].startswith("console:member:") and actors["member.edit"] == "cli"


async def test_bulk_invites_printable_and_csv_and_a_district_office_sees_its_own(stack):
    async with console(stack) as client:
        await sign_in(client, stack, "Q001")  # the Hongqiao district office
        html = await (await client.get("/roster")).text()
        assert "赵丽娟" in html and "王晓明" not in html  # C001 is a city member
        assert (await client.get("/roster/member/C001")).status == 404
        csrf = csrf_of(html)
        page = await client.post("/roster/invites", data={"csrf": csrf, "format": "page"})
        html = await page.text()
        assert page.status == 200 and html.count("<svg") >= 5 and "赵丽娟" in html and "王晓明" not in html
        assert "https://t.me/" in html
        download = await client.post("/roster/invites", data={"csrf": csrf, "format": "csv", "members": "H001"})
        assert download.headers["Content-Type"].startswith("text/csv")
        text = (await download.read()).decode("utf-8-sig")
        assert text.splitlines()[1].startswith("H001,赵丽娟,红桥区,https://t.me/")
        outside = await client.post("/roster/invites", data={"csrf": csrf, "format": "page", "members": "C001"})
        assert outside.status == 400 and "C001" in await outside.text()
        assert (await client.post("/roster/invites", data={"format": "page"})).status == 400  # no CSRF token
        city_row = await upload(client, csrf, "roster.csv", ROSTER.splitlines()[0] + "\nW009,某,city,,,,,member,zh,\n")
        assert city_row.status == 400 and await members(stack, roster_id="W009") == 0


async def test_groups_keys_and_liaisons_from_the_console(stack):
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        html = await (await client.get("/groups")).text()
        assert "district:hongqiao" in html and "topic:smart_parking" in html
        csrf = csrf_of(html)
        issued = await client.post("/groups/key", data={"csrf": csrf, "target": "sector:economics", "kind": "sector"})
        html = await issued.text()
        key = re.search(r"/bind ([A-Za-z0-9_-]+)</code>", html).group(1)
        code, out = (await linkage(stack, "group", "keys", "--state", "open", "--target", "sector:economics"))
        key_id = out.split()[0]
        assert code == 0 and key_id not in key and key not in out  # listed by its id, never the key itself
        revoked = await client.post("/groups/revoke", data={"csrf": csrf, "key": key_id})
        assert revoked.status == 200 and "open" not in (await linkage(stack, "group", "keys", "--target", "sector:economics"))[1]
        again = await client.post("/groups/revoke", data={"csrf": csrf, "key": key_id})
        assert again.status == 400 and refusal_zh("key {id} of {name} cannot be revoked: it is {state} already", id=key_id,
                                          name="sector:economics", state="revoked") in await again.text()
        bad = await client.post("/groups/key", data={"csrf": csrf, "target": "street:moon", "kind": "street"})
        assert bad.status == 400 and refusal_zh(UNKNOWN["street"], value="moon") in await bad.text()
        assert (await client.post("/groups/liaison/add", data={"csrf": csrf, "member": "H002",
                                                              "target": "district:hongqiao"})).status == 200
        code, out = (await linkage(stack, "liaison", "list", "district:hongqiao"))
        assert "H002" in out
        assert (await linkage(stack, "liaison", "remove", "H002", "district:hongqiao"))[0] == 0
        assert "H002 孙建国" not in await (await client.get("/groups")).text()
        nobody = await client.post("/groups/liaison/remove", data={"csrf": csrf, "member": "NOBODY",
                                                                  "target": "district:hongqiao"})
        assert nobody.status == 400 and "NOBODY" in await nobody.text()
    async with console(stack) as client:
        await sign_in(client, stack, "Q001")
        html = await (await client.get("/groups")).text()
        assert "district:hongqiao" in html and "topic:smart_parking" not in html
        refused = await client.post("/groups/liaison/add", data={"csrf": csrf_of(html), "member": "H002",
                                                                "target": "topic:smart_parking"})
        assert refused.status == 400 and refusal_zh("target '{name}' is not one of your district's ({within})",
                                            name="topic:smart_parking", within="hongqiao") in await refused.text()


RULE = {"targets": "district:hongqiao", "area": "", "topic": "smart_parking", "district": "hongqiao", "street": "",
        "sector": "", "tag": "", "note": "控制台", "stop": "1", "watch": "1"}


SHADOWED = ("this rule could never match: rule #{shadow}, earlier in the table, stops the routing of every item it "
            "matches (put this rule before it)")


async def test_routing_table_and_dry_run_from_the_console(stack):
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        html = await (await client.get("/rules")).text()
        csrf = csrf_of(html)
        before = (await linkage(stack, "route", "list"))[1].splitlines()
        port = next(line for line in before if "Hongqiao pilot: district port" in line).split()[0][1:]
        # at the end of the table the district port, a stop rule for every Hongqiao item, would take all its items
        shadowed = await client.post("/rules/add", data={"csrf": csrf, **RULE})
        assert shadowed.status == 400 and refusal_zh(SHADOWED, shadow=port) in await shadowed.text()
        assert (await linkage(stack, "route", "list"))[1].splitlines() == before
        added = await client.post("/rules/add", data={"csrf": csrf, **RULE, "before": port}, allow_redirects=False)
        assert added.status == 303
        after = (await linkage(stack, "route", "list"))[1].splitlines()
        ours = next(i for i, line in enumerate(after) if "topic=smart_parking district=hongqiao → district:hongqiao" in line)
        assert len(after) == len(before) + 1 and after[ours + 1].startswith(f"#{port} ")
        rule_id = after[ours].split()[0][1:]
        never = await client.post("/rules/add", data={"csrf": csrf, **RULE, "area": "city"})
        assert never.status == 400 and beside(await never.text(), "area") == refusal_zh(
            "a city-wide item has no district or street: this rule could never match")
        assert len((await linkage(stack, "route", "list"))[1].splitlines()) == len(after)
        wrong_street = await client.post(f"/rules/{rule_id}", data={"csrf": csrf, **RULE, "district": "heping",
                                                                   "street": "hongqiao_xigu"})
        assert wrong_street.status == 400 and beside(await wrong_street.text(), "street") == refusal_zh(
            "street '{street}' is not in district '{district}' (it belongs to '{street_district}')",
            street="hongqiao_xigu", district="heping", street_district="hongqiao")
        saved = await client.post(f"/rules/{rule_id}", data={"csrf": csrf, **RULE, "stop": ""}, allow_redirects=False)
        assert saved.status == 303 and "[continue]" in (await linkage(stack, "route", "list"))[1].splitlines()[ours]
        moved = await client.post(f"/rules/{rule_id}/move", data={"csrf": csrf, "direction": "up"}, allow_redirects=False)
        assert moved.status == 303 and (await linkage(stack, "route", "list"))[1].splitlines()[ours - 1].startswith(f"#{rule_id} ")
        await client.post(f"/rules/{rule_id}/move", data={"csrf": csrf, "direction": "down"})  # back above the port
        below = await client.post(f"/rules/{rule_id}/move", data={"csrf": csrf, "direction": "down"})
        assert below.status == 400 and refusal_zh(SHADOWED, shadow=port) in await below.text()
        assert (await linkage(stack, "route", "list"))[1].splitlines()[ours].startswith(f"#{rule_id} ")  # not moved
        trial = await client.get("/rules/try", params={"topic": "smart_parking", "district": "hongqiao"})
        html = await trial.text()
        assert trial.status == 200 and "district:hongqiao" in html
        bad_try = await client.get("/rules/try", params={"topic": "", "district": "hongqiao"})
        assert bad_try.status == 400
        assert (await client.get("/rules/99999")).status == 404
        deleted = await client.post(f"/rules/{rule_id}/delete", data={"csrf": csrf}, allow_redirects=False)
        assert deleted.status == 303 and len((await linkage(stack, "route", "list"))[1].splitlines()) == len(before)
    async with console(stack) as client:
        await sign_in(client, stack, "Q001")
        html = await (await client.get("/rules")).text()
        assert "topic=smart_parking →" not in html  # a city rule is not the district's
        city_rule = (await linkage(stack, "route", "list"))[1].splitlines()[-1].split()[0][1:]
        assert (await client.get(f"/rules/{city_rule}")).status == 404
        outside = await client.get("/rules/try", params={"topic": "smart_parking", "district": "heping"})
        assert outside.status == 400 and beside(await outside.text(), "district", "/rules/try") == refusal_zh(
            "the place tried must be in your district ({within})", within="hongqiao")


async def test_calendar_notices_digest_preview_and_holidays_from_the_console(stack):
    from handlers.core.localtime import local
    await stack.pilot()  # members joined: the notice and the session reach someone
    start = local(stack.app.clock.now()).replace(second=0, microsecond=0)
    later = lambda hours: (start + __import__("datetime").timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    session = {"title": "控制台学习会", "kind": "study", "start": later(50), "end": later(52), "place": "市政协三楼",
               "link": "", "audience": "district:hongqiao", "capacity": ""}
    async with console(stack) as client:
        await sign_in(client, stack, "O001")
        csrf = csrf_of(await (await client.get("/calendar")).text())
        past = await client.post("/calendar/session", data={"csrf": csrf, **session, "start": later(-2), "end": later(-1)})
        html = await past.text()
        assert past.status == 400 and 'value="控制台学习会"' in html and beside(html, "start") == refusal_zh(
            "the start ({starts_at} Asia/Shanghai) is in the past", starts_at=later(-2).replace("T", " "))
        assert "控制台学习会" not in (await linkage(stack, "study", "list"))[1]
        bad_capacity = await client.post("/calendar/session", data={"csrf": csrf, **session, "capacity": "many"})
        assert bad_capacity.status == 400
        added = await client.post("/calendar/session", data={"csrf": csrf, **session}, allow_redirects=False)
        assert added.status == 303
        path = added.headers["Location"]
        listed = (await linkage(stack, "study", "list"))[1]
        assert "控制台学习会" in listed and "[announced]" in listed  # the same row, seen by the command line
        page = await (await client.get(path)).text()
        assert "控制台学习会" in page and "市政协三楼" in page
        edit = {"csrf": csrf, "title": "控制台学习会", "place": "市政协三楼", "link": "", "start": later(50), "end": later(52)}
        moved = await client.post(path + "/edit", data={**edit, "start": later(-3), "end": later(-2)})
        assert moved.status == 400 and beside(await moved.text(), "start") == refusal_zh(
            "the start ({starts_at} Asia/Shanghai) is in the past", starts_at=later(-3).replace("T", " "))
        linked = await client.post(path + "/edit", data={**edit, "link": "ftp://x"})
        assert linked.status == 400 and beside(await linked.text(), "link") == refusal_zh(
            "the link must start with http:// or https://, not {link!r}", link="ftp://x")
        untitled = await client.post(path + "/edit", data={**edit, "title": " "})
        assert untitled.status == 400 and beside(await untitled.text(), "title") == refusal_zh(
            "a title is needed (at most 200 characters)")
        assert "控制台学习会" in (await linkage(stack, "study", "list"))[1]  # nothing changed
        edited = await client.post(path + "/edit", data={**edit, "title": "控制台专题学习会", "place": "市政协五楼",
                                                         "start": later(74), "end": later(75)}, allow_redirects=False)
        assert edited.status == 303
        shown = (await linkage(stack, "study", "show", path.rsplit("/", 1)[1]))[1]
        assert "控制台专题学习会" in shown and "市政协五楼" in shown and later(74)[-5:] in shown
        entry = (await audit_rows(stack, "study.edit"))[-1]
        assert entry.actor.startswith("console:member:") and set(entry.detail["changed"]) == {"title", "place", "time"}
        assert (await client.post(path + "/nonsense", data={"csrf": csrf})).status == 404
        cancelled = await client.post(path + "/cancel", data={"csrf": csrf}, allow_redirects=False)
        assert cancelled.status == 303 and "[cancelled]" in (await linkage(stack, "study", "list"))[1]
        citywide = await client.post("/calendar/session", data={"csrf": csrf, **session, "title": "全市学习会",
                                                                "audience": "all", "draft": "1"}, allow_redirects=False)
        assert citywide.status == 303

        bad = await client.post("/calendar/notice", data={"csrf": csrf, "title": "通知", "body": "内容",
                                                          "audience": "planet:mars"})
        assert bad.status == 400 and beside(await bad.text(), "audience", "/calendar/notice") == refusal_zh(
            "audience must be one of {kinds} (e.g. district:hongqiao), not {text!r}",
            kinds="all, level, district, committee, sector, list", text="planet:mars")
        sent = await client.post("/calendar/notice", data={"csrf": csrf, "title": "控制台通知", "body": "请按时参加。",
                                                           "audience": "list:H001,C001"}, allow_redirects=False)
        assert sent.status == 303
        notice = await (await client.get(sent.headers["Location"])).text()
        assert "控制台通知" in notice and re.search(r"<b>2</b>", notice)
        assert "控制台通知" in (await linkage(stack, "notice", "list"))[1]

        digest = await client.get("/calendar/digest", params={"member": "H001", "kind": "weekly"})
        assert digest.status == 200 and 'id="digest-text"' in await digest.text()
        nobody = await client.get("/calendar/digest", params={"member": "NOBODY", "kind": "weekly"})
        assert nobody.status == 400

        first_day = (start + __import__("datetime").timedelta(days=2)).date().isoformat()
        plan = {"csrf": csrf, "title": "控制台读书班", "start_date": first_day, "audience": "district:hongqiao",
                "days": "self-study:读《政协章程》;discussion:交流研讨", "remind_at": ""}
        bad_days = await client.post("/calendar/plan", data={**plan, "days": "swimming:游泳"})
        from handlers.study.terms import DAY_KINDS
        assert bad_days.status == 400 and beside(await bad_days.text(), "days", "/calendar/plan") == refusal_zh(
            "day {day}: kind {kind!r} must be one of {day_kinds} (several joined by +)", day=1, kind="swimming",
            day_kinds=", ".join(DAY_KINDS))
        added_plan = await client.post("/calendar/plan", data=plan, allow_redirects=False)
        assert added_plan.status == 303 and "控制台读书班" in (await linkage(stack, "study", "plan", "list"))[1]
        plan_id = re.search(r'action="/calendar/plan/(\d+)/cancel"', await (await client.get("/calendar")).text()).group(1)
        assert (await client.post(f"/calendar/plan/{plan_id}/cancel", data={"csrf": csrf},
                                  allow_redirects=False)).status == 303
        assert "[cancelled] 控制台读书班" in (await linkage(stack, "study", "plan", "list"))[1]

        year = start.year + 1
        wrong = await client.post("/calendar/holiday/set", data={"csrf": csrf, "day": "tomorrow", "kind": "holiday",
                                                                 "name": "x"})
        assert wrong.status == 400 and refusal_zh("'{text}' is not a date; write it as YYYY-MM-DD, e.g. 2027-02-09",
                                          text="tomorrow") in await wrong.text()
        saved = await client.post("/calendar/holiday/set", data={"csrf": csrf, "day": f"{year}-06-01",
                                                                 "kind": "holiday", "name": "控制台假日"},
                                  allow_redirects=False)
        assert saved.status == 303 and "控制台假日" in (await linkage(stack, "holidays", "list", "--year", str(year)))[1]
        removed = await client.post("/calendar/holiday/remove", data={"csrf": csrf, "day": f"{year}-06-01"},
                                    allow_redirects=False)
        assert removed.status == 303 and "控制台假日" not in (await linkage(stack, "holidays", "list", "--year", str(year)))[1]

    async with console(stack) as client:  # the Hongqiao district office: its district's sessions and notices
        await sign_in(client, stack, "Q001")
        html = await (await client.get("/calendar")).text()
        assert "控制台专题学习会" in html and "控制台通知" not in html  # for district:hongqiao, and for a list
        assert "全市学习会" not in html and (await client.get(citywide.headers["Location"])).status == 404
        assert (await client.get(path)).status == 200 and (await client.get(sent.headers["Location"])).status == 404
        csrf = csrf_of(html)
        ours = await client.post("/calendar/session", data={"csrf": csrf, **session, "title": "红桥区学习会",
                                                            "audience": "all"}, allow_redirects=False)
        assert ours.status == 303 and "红桥区学习会" in await (await client.get("/calendar")).text()
        from storage.study import study_sessions
        async with stack.app.db.read() as conn:
            row = (await conn.execute(select(study_sessions).where(study_sessions.c.title == "红桥区学习会"))).first()
        assert row.audience == {"kind": "district", "value": "hongqiao"}  # whatever was typed
        assert (await client.get("/calendar/digest", params={"member": "C001", "kind": "weekly"})).status == 400
        assert (await client.get("/calendar/digest", params={"member": "H001", "kind": "weekly"})).status == 200
        refused = await client.post("/calendar/holiday/set", data={"csrf": csrf, "day": f"{year}-06-02",
                                                                   "kind": "holiday", "name": "区里假日"})
        assert refused.status == 403
        assert "区里假日" not in (await linkage(stack, "holidays", "list", "--year", str(year)))[1]
