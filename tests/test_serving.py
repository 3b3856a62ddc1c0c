"""Serving members (服务委员): /guide — the index as buttons, a page opened in place with the way
back and on, in the member's language; the office's pages edited from a file (audited; a bad file
or an over-long page refused, changing nothing) — and /contacts — who sees which entries, the
office's add/edit/delete/import with bad input refused."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from bot.cli import main
from handlers.core.i18n import translator
from handlers.serving import guide
from storage import serving as store
from storage.schema import audit_log

STACK_TIER = "fast"
zh, en = translator("zh"), translator("en")
TIMEOUT = 30


def buttons(message) -> list[tuple[str, str]]:
    return [(b["text"], b["callback_data"]) for row in (message.reply_markup or {}).get("inline_keyboard", [])
            for b in row]


async def current(stack, user, message):
    await stack.settle()
    return next(m for m in await stack.sb.messages(user) if m.id == message.id)


async def open_page(stack, user, message, data: str):
    """Press a guide button and read the message as the press left it."""
    await stack.sb.callback_answer(await stack.sb.press(user, message, data=data))
    return await current(stack, user, message)


async def test_the_guide_index_opens_pages_in_place_in_the_members_language(stack):
    pilot = await stack.pilot()
    sb = stack.sb
    await sb.send(pilot.city, "/guide")
    index = await sb.wait_for(pilot.city, lambda m: "gd:study" in m.button_data.values(), TIMEOUT)
    assert "新委员履职指南" in index.text
    assert buttons(index) == [("如何学习", "gd:study"), ("练好履职基本功", "gd:skills"), ("如何撰写提案", "gd:proposal"),
                              ("如何撰写社情民意信息", "gd:sqmy")]
    page = await open_page(stack, pilot.city, index, "gd:sqmy")
    assert page.text.startswith("📘 如何撰写社情民意信息")
    for item in ("标题清楚", "事实准确", "原因分析到位", "建议具体可行", "一事一报"):  # the checklist
        assert f"☐ {item}" in page.text
    assert buttons(page) == [(zh.plain("◀ Contents"), "gd:index")]  # the last page: no next
    back = await open_page(stack, pilot.city, page, "gd:index")
    assert len(buttons(back)) == 4
    study = await open_page(stack, pilot.city, back, "gd:study")
    assert "/sessions" in study.text and ("练好履职基本功 ▶", "gd:skills") in buttons(study)

    # a page that is not there (forged, or removed since) is refused politely, nothing changes
    query = await sb.press(pilot.city, study, data="gd:nosuch", forge=True)
    answer = await sb.callback_answer(query)
    assert answer["show_alert"] and answer["text"] == zh.plain(guide.PAGE.refusal)
    assert (await current(stack, pilot.city, index)).text == study.text

    await sb.send(pilot.city, "/help")  # both commands are in /help
    help_text = (await sb.wait_for(pilot.city, lambda m: "/contacts" in (m.text or ""), TIMEOUT)).text
    assert "/guide — 新委员履职指南" in help_text and "/contacts — 委员学习和联络室" in help_text

    english = await stack.world.join("H006", "Ma")  # an English-speaking member of the roster
    await sb.send(english, "/guide")
    index_en = await sb.wait_for(english, lambda m: "gd:study" in m.button_data.values(), TIMEOUT)
    assert ("How to study", "gd:study") in buttons(index_en)
    assert "☐ One issue per report" in (await open_page(stack, english, index_en, "gd:sqmy")).text


async def linkage(stack, *args: str) -> tuple[int, str]:
    """The command line on the running bot's database (in a thread: it runs its own event loop)."""
    def run():
        result = CliRunner().invoke(main, ["--database", stack.app.settings.database, *args])
        return result.exit_code, result.output
    return await asyncio.to_thread(run)


async def test_the_office_edits_a_page_from_a_file_and_bad_files_change_nothing(stack, tmp_path):
    pilot = await stack.pilot()
    page = tmp_path / "study.md"
    page.write_text("# 学习园地\n\n- 参加 **集中学习**\n- [x] 已完成读书计划\n<不是标签>\n", encoding="utf-8")
    code, out = await linkage(stack, "guide", "edit", "study", "--file", str(page))
    assert code == 0 and "saved" in out
    code, out = await linkage(stack, "guide", "show", "study")
    assert out.startswith("# 学习园地\n") and "- [x] 已完成读书计划" in out
    await stack.sb.send(pilot.city, "/guide")
    index = await stack.sb.wait_for(pilot.city, lambda m: "gd:study" in m.button_data.values(), TIMEOUT)
    assert ("学习园地", "gd:study") in buttons(index)
    shown = await open_page(stack, pilot.city, index, "gd:study")
    assert "• 参加 集中学习" in shown.text and "☑ 已完成读书计划" in shown.text and "<不是标签>" in shown.text
    assert any(e["type"] == "bold" for e in shown.entities)

    before = await stack.row("guide_pages", key="study", lang="zh")
    bad = {"latin1.md": "# 标题\n正文".encode("gbk"), "nul.md": b"# t\n\x00\x01", "empty.md": "# 只有标题\n".encode(),
           "long.md": ("# 长\n" + "字" * 4100).encode(),
           "title.md": ("# " + "很" * 31 + "\n正文").encode()}
    reasons = {"latin1.md": "not UTF-8", "nul.md": "not text", "empty.md": "no text",
               "long.md": "as Telegram counts them", "title.md": "button's label"}
    for name, content in bad.items():
        (tmp_path / name).write_bytes(content)
        code, output = await linkage(stack, "guide", "edit", "study",
                                           "--file", str(tmp_path / name))
        assert code != 0 and reasons[name] in output, (name, output)
    (tmp_path / "notitle.md").write_text("没有标题的正文", encoding="utf-8")  # a new page needs its title
    code, output = await linkage(stack, "guide", "edit", "newpage", "--file", str(tmp_path / "notitle.md"))
    assert code != 0 and "needs a title" in output
    emoji = tmp_path / "emoji.md"  # 2,100 emoji are 4,200 UTF-16 units: over, though 2,100 characters
    emoji.write_text("# 表情\n" + "😀" * 2100, encoding="utf-8")
    code, output = await linkage(stack, "guide", "edit", "study",
                                       "--file", str(emoji))
    assert code != 0 and "4096" in output
    assert await stack.row("guide_pages", key="study", lang="zh") == before
    code, out = await linkage(stack, "guide", "edit", "study", "--file", str(page), "--lang", "en")
    assert code == 0
    (tmp_path / "body.md").write_text("只换正文", encoding="utf-8")  # no "# title": the page keeps its own
    code, out = await linkage(stack, "guide", "edit", "study", "--file", str(tmp_path / "body.md"))
    assert code == 0 and (await stack.row("guide_pages", key="study", lang="zh")).title == "学习园地"
    async with stack.app.db.read() as conn:
        edits = [row.detail for row in await conn.execute(audit_log.select()) if row.action == "guide.edit"]
        assert [(d["page"], d["lang"]) for d in edits] == [("study", "zh"), ("study", "en"), ("study", "zh")]
        assert len({row.key for row in await store.guide_index(conn)}) == 4


async def test_contacts_by_level_and_district_and_the_offices_edits(stack, tmp_path):
    pilot = await stack.pilot()
    sb = stack.sb
    stranger = await sb.user("Stranger", language_code="en")  # not on the roster: the router's polite refusal
    await sb.send(stranger, "/contacts")
    refusal = await sb.wait_for(stranger, None, TIMEOUT)
    assert "invite" in refusal.text and "022-0000-0106" not in refusal.text
    await sb.send(pilot.hongqiao, "/contacts")  # a Hongqiao district member
    shown = await sb.wait_for(pilot.hongqiao, lambda m: "📇" in (m.text or ""), TIMEOUT)
    assert "委员学习和联络室" in shown.text and "022-0000-0001" in shown.text
    assert "红桥区政协委员联络中心" in shown.text and "和平区政协委员联络中心" not in shown.text
    assert "社会和法制委员会" in shown.text and "022-0000-0205" in shown.text

    await sb.send(pilot.city, "/contacts")  # a city member: every district's centre
    city = await sb.wait_for(pilot.city, lambda m: "📇" in (m.text or ""), TIMEOUT)
    assert "红桥区政协委员联络中心" in city.text and "和平区政协委员联络中心" in city.text
    assert city.text.index("委员学习和联络室") < city.text.index("和平区") < city.text.index("社会和法制委员会")

    code, out = await linkage(stack, "contacts", "add", "--scope", "district", "--code", "hongqiao",
                        "--name-zh", "红桥区政协委员联络中心（夜间值班）", "--phone", "022-0000-0199", "--hours", "18:00—21:00")
    assert code == 0
    contact_id = out.split("#")[1].split()[0]
    code, out = await linkage(stack, "contacts", "edit", contact_id, "--note", "节假日照常")
    assert code == 0
    await sb.send(pilot.hongqiao, "/contacts")
    later = await sb.wait_for(pilot.hongqiao, lambda m: "夜间值班" in (m.text or ""), TIMEOUT)
    assert "022-0000-0199" in later.text and "节假日照常" in later.text and "18:00—21:00" in later.text

    count = await stack.count("contacts")
    for args, reason in ((["add", "--scope", "district", "--code", "atlantis", "--name-zh", "x"], "district codes"),
                         (["add", "--scope", "office"], "needs a name"),
                         (["add", "--scope", "office", "--name-zh", "x", "--phone", "call me"], "phone number"),
                         (["add", "--scope", "office", "--name-zh", "x", "--email", "nobody"], "e-mail"),
                         (["edit", "9999", "--phone", "1234"], "no contact #9999"),
                         (["edit", contact_id], "nothing to change"),
                         (["delete", "9999"], "no contact #9999")):
        code, output = await linkage(stack, "contacts", *args)
        assert code != 0 and reason in output, (args, output)
    bad = tmp_path / "bad.yaml"
    bad.write_text("contacts:\n  - {scope: office, name_zh: 新值班室, phone: 022-0000-0300}\n"
                   "  - {scope: committee, code: nowhere, name_zh: 不存在}\n", encoding="utf-8")
    code, output = await linkage(stack, "contacts", "import", str(bad))
    assert code != 0 and "entry 2" in output
    assert await stack.count("contacts") == count  # all or nothing
    good = tmp_path / "good.yaml"
    good.write_text("contacts:\n  - {scope: office, name_zh: 委员学习和联络室, phone: 022-0000-0002}\n", encoding="utf-8")
    code, out = await linkage(stack, "contacts", "import", str(good))
    assert code == 0 and "0 added, 1 updated" in out
    code, out = await linkage(stack, "contacts", "delete", contact_id)
    assert code == 0 and await stack.count("contacts") == count - 1
    await sb.send(pilot.hongqiao, "/contacts")
    last = await sb.wait_for(pilot.hongqiao, lambda m: "022-0000-0002" in (m.text or ""), TIMEOUT)
    assert "夜间值班" not in last.text
