"""The office's words (issue 9, ../shared/reference/zh-register.md): every Chinese msgstr in the
catalog speaks the register of CPPCC work documents — one name per role and unit, the office's
verbs, full-width punctuation next to Chinese, the bot's Chinese name. Runs over the whole catalog,
so strings added later are held to the same rules; a failure names the msgid and the term.

To fix a failure, change the msgstr in handlers/locales/zh_CN/LC_MESSAGES/linkage.po (not the
msgid), using the term the message gives."""

from __future__ import annotations

import re
import string
from pathlib import Path

import yaml

from tests.test_i18n import entries

ROOT = Path(__file__).resolve().parent.parent
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff]"
BOT_NAME = "天津政协市区联动履职助手"

# (pattern that must not appear in a msgstr, what to write instead)
FORBIDDEN = [
    (r"认领", "签收 (✋ 签收, 待签收, 已签收; releasing: 退回待签收)"),
    (r"上报", "提请市政协办理 (escalating to the city)"),
    (r"下派", "交区政协办理 (下派 is for sending cadres down)"),
    (r"答复", "向委员反馈 / 办理反馈 (a liaison's reply), 补充说明 (a member's answer), 报名情况 / 回复 (RSVP, co-signing)"),
    (r"提交", "报送 (a member's report), 反映人 (its author)"),
    (r"逾期", "超期, always"),
    (r"简报", "动态 (每周动态; 简报 is a formal office publication)"),
    (r"主题组", "主题议政群"),
    (r"联络组", "the unit's name: 委员学习和联络室, {区}政协委员联络中心, {街道}委员联络中心, 主题议政群, or 群"),
    (r"群组", "群"),
    (r"办公室", "委员学习和联络室 (there is no 市政协办公室; 办公厅 is the General Office, a unit of its own)"),
    (r"(?<!委员学习和)联络室", "委员学习和联络室 (the unit's full name, every time)"),
    (r"(?<![群系统])管理员", "委员学习和联络室工作人员 (office admins), 群管理员 (a Telegram group's), 系统管理员"),
    (r"[市区]级委员", "市政协委员 / 区政协委员"),
    (r"温馨提醒|本群提醒", "⏰ 催办提醒"),
    (r"继续加油|届时见|报名成功", "✅ 已记录。 / ✅ 已报名，请准时参加。"),
    (r"机器人|Linkage", f"本助手, or the bot's name {BOT_NAME}"),
    (r"(?<!社情民意)(?<!个人)信息(?!化)", "社情民意信息 (信息 alone is vague)"),
    (r"(?<!反映)社情民意(?!信息)", "社情民意信息 (反映社情民意 is the one idiom without it)"),
    (r"(?<!领导)批示", "获领导批示 (say whose level)"),
]
# (pattern in the msgid, pattern the msgstr must then contain, the term)
REQUIRED = [
    (r"\bObservation\b|\(情况\)", r"基本情况", "基本情况 (the first part of a 社情民意信息)"),
    (r"\bAnalysis\b|\(分析\)", r"原因分析", "原因分析 (the second part)"),
    (r"\bSuggestion\b|\(建议\)", r"意见建议", "意见建议 (the third part)"),
    (r"\breports?\b", r"社情民意信息", "社情民意信息 (what a member reports)"),
    (r"\b(?:un)?claim", r"签收", "签收"),
    (r"escalat", r"提请", "提请市政协办理"),
    (r"\bforward", r"转交", "转交"),
    (r"\bduplicate", r"重复", "重复"),
    (r"\btitle\b", r"标题", "标题"),
    (r"delegat", r"交.*办理", "交区政协办理"),
    (r"\boverdue\b", r"超期", "超期"),
    (r"\bdigest\b", r"动态", "动态 (每周动态)"),
    (r"\boffice\b", r"委员学习和联络室", "委员学习和联络室 (the city office, one name throughout)"),
    (r"\btopic groups?\b", r"主题议政群", "主题议政群"),
    (r"\bbot\b|(?-i:Linkage)", rf"本助手|{BOT_NAME}", f"本助手 or {BOT_NAME}"),
    (r"\bCPPCC\b", r"政协", "政协"),
    (r"\bco-sign", r"联名", "联名"),
    (r"\badopt", r"采用", "采用 (the CPPCC information office's word; 采纳 is a department's)"),
    (r"\(报送\)", r"报送上级", "已报送上级 (distinct from a member 报送-ing a report)"),
    (r"\bnot adopted\b", r"未采用（存档备查）", "未采用（存档备查）"),
]
HALF_WIDTH = r"[,.:;?!()\"]"
NEXT_TO_CHINESE = re.compile(rf"{CJK}\s*{HALF_WIDTH}|{HALF_WIDTH}\s*{CJK}")


def _without_markup(text: str) -> str:
    """What the reader sees in words: no placeholders, HTML tags, commands, URLs or codes."""
    text = re.sub(r"\{[^{}]*\}", " ", text)
    text = re.sub(r"</?[A-Za-z][^<>]*>", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"(?<![\w/])/[a-z][a-z_]*\b", " ", text)


def _chinese_entries() -> list:
    found = [m for m in entries() if m.string]
    assert len(found) > 300, "the catalog has hardly any translations: this test would check nothing"
    return found


def test_no_replaced_term_is_left_in_the_chinese():
    problems = [f"  {m.id!r}: {match.group(0)!r} → {instead}\n      in {m.string!r}"
                for m in _chinese_entries() for pattern, instead in FORBIDDEN
                for match in [re.search(pattern, _without_markup(m.string))] if match]
    assert not problems, ("Chinese msgstrs that use a term the office does not use "
                          "(see ../shared/reference/zh-register.md):\n" + "\n".join(problems))


def test_the_office_terms_are_used_consistently():
    problems = []
    for m in _chinese_entries():
        words = _without_markup(m.id)
        for in_msgid, in_msgstr, term in REQUIRED:
            if re.search(in_msgid, words, re.IGNORECASE) and not re.search(in_msgstr, m.string):
                problems.append(f"  {m.id!r}: must say {term}\n      in {m.string!r}")
    assert not problems, "Chinese msgstrs that do not use the office's term for what their msgid says:\n" + \
        "\n".join(problems)


def test_punctuation_next_to_chinese_is_full_width():
    """，。：；？！（）“” next to Chinese characters — placeholders, tags, commands and codes aside."""
    problems = [f"  {m.id!r}: {match.group(0)!r} — use full-width punctuation (，。：；？！（）“”)\n      in {m.string!r}"
                for m in _chinese_entries()
                for match in [NEXT_TO_CHINESE.search(_without_markup(m.string))] if match]
    assert not problems, "Half-width punctuation next to Chinese:\n" + "\n".join(problems)


def test_the_rules_catch_what_they_are_for():
    """Guards the rules above from passing on nothing: the old wording fails them."""
    old = ["✋ 认领", "⬆ 上报市级", "请市政协办公室关注", "联络室：/study 学习活动", "市政协 · 智慧停车 主题组",
           "您尚未提交任何信息。", "匿名：仅管理员可见", "⏰ 温馨提醒", "每周简报", "已逾期不足1个工作日", "我是政协 Linkage 机器人"]
    for text in old:
        assert any(re.search(p, _without_markup(text)) for p, _ in FORBIDDEN), text
    assert NEXT_TO_CHINESE.search("匿名:仅管理员可见") and NEXT_TO_CHINESE.search("联名(可选)")
    assert not NEXT_TO_CHINESE.search(_without_markup("例如 district:hongqiao、list:C001,C002。发送 /cancel 取消"))
    assert not any(re.search(p, "委员学习和联络室工作人员、群管理员、系统管理员、社情民意信息、获领导批示")
                   for p, _ in FORBIDDEN)


def test_the_seeded_group_names_are_the_office_s():
    """The targets' Chinese titles (what a member reads as 'now handled by …') follow the same rules,
    and a Chinese name has no spaces around its ·."""
    seeded = yaml.safe_load((ROOT / "seeds" / "targets.yaml").read_text(encoding="utf-8"))
    titles = [t["title_zh"] for t in seeded["targets"]] + [p["title_zh"] for p in seeded["patterns"].values()]
    from handlers.office.keys import default_titles

    class Row:  # a reference row as keys.default_titles reads it
        name_zh, name_en = "智慧停车", "Smart parking"
    titles += [default_titles(kind, Row)[0] for kind in ("office", "topic", "district", "street")]
    for title in titles:
        shown = string.Formatter().vformat(title, (), {"name_zh": "红桥区", "name_en": "", "code": ""})
        for pattern, instead in FORBIDDEN:
            assert not re.search(pattern, shown), f"target title {title!r}: {pattern!r} → {instead}"
        assert " ·" not in shown and "· " not in shown, f"target title {title!r}: no spaces around ·"
    assert "市政协·{name_zh}主题议政群" in titles and "市政协·智慧停车主题议政群" in titles
