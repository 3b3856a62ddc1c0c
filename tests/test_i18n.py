"""The Chinese catalog is complete and faithful, and the translator really uses it.

When a test here fails because a string has no translation, run ``scripts/update-catalog.sh``
(it re-extracts the messages and updates ``handlers/locales/zh_CN/LC_MESSAGES/linkage.po``),
fill in the new ``msgstr`` entries in Chinese, and run the tests again.
"""

from __future__ import annotations

import ast
import re
import string
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po

from handlers.core import i18n
from handlers.core.i18n import Html, translator

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "handlers" / "locales" / "zh_CN" / "LC_MESSAGES" / "linkage.po"
SOURCE_DIRS = ("bot", "handlers")
# The same keywords as scripts/update-catalog.sh (read from it): pybabel's defaults plus ours.
SCRIPT_KEYWORDS = parse_keywords(re.findall(r"-k (\S+)", (ROOT / "scripts" / "update-catalog.sh").read_text()))
KEYWORDS = {**DEFAULT_KEYWORDS, **SCRIPT_KEYWORDS}
HINT = "Run scripts/update-catalog.sh, then translate the new entries in " + str(PO.relative_to(ROOT))

HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
COMMAND = re.compile(r"(?<![\w/:.<])/[a-z][a-z_]*\b")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _method_map() -> list[tuple[str, str]]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fh:
        method_map, _options = parse_mapping_cfg(fh)
    return method_map


def extracted_msgids() -> dict[str, str]:
    """Every msgid the code marks for translation → where it was first found."""
    found: dict[str, str] = {}
    for directory in SOURCE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / directory, method_map=_method_map(), keywords=KEYWORDS):
            msgid = message[0] if isinstance(message, (tuple, list)) else message
            if msgid:
                found.setdefault(msgid, f"{directory}/{filename}:{lineno}")
    return found


def load_catalog():
    with PO.open("rb") as fh:
        return read_po(fh, locale="zh_CN")


def entries() -> list:
    return [message for message in load_catalog() if message.id]


def placeholders(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def symbols(text: str) -> Counter:
    """Emoji and pictographs (✅ ⬆ 🏁 …): they carry meaning on buttons and must stay."""
    return Counter(ch for ch in text if unicodedata.category(ch) == "So")


# --- (a) every string in the code has a Chinese translation ------------------------------------

def test_every_msgid_in_the_code_is_translated():
    found = extracted_msgids()
    # the extraction itself must work, or this test would pass on nothing
    assert "✋ Claim" in found and "Welcome back, {name}." in found and len(found) > 50
    catalog = load_catalog()
    missing = []
    for msgid, where in sorted(found.items()):
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            missing.append(f"  {where}: {msgid!r}")
    assert not missing, (f"{len(missing)} message(s) have no Chinese translation in the catalog. {HINT}.\n"
                         + "\n".join(missing))


def _refusal_classes(trees) -> set[str]:
    """AdminError and its subclasses that keep its (msgid, **values) form (no __init__ of their own)."""
    family, grew = {"AdminError"}, True
    while grew:
        grew = False
        for tree in trees:
            for node in ast.walk(tree):
                if (isinstance(node, ast.ClassDef) and node.name not in family
                        and any(getattr(b, "id", None) in family for b in node.bases)
                        and not any(isinstance(f, ast.FunctionDef) and f.name == "__init__" for f in node.body)):
                    family.add(node.name)
                    grew = True
    return family


def test_every_refusal_is_a_msgid_in_the_catalog():
    """An office operation's refusal (``raise AdminError("…", value=…)``, a roster row's RowError)
    is a literal msgid the extraction finds and the catalog translates, never an f-string."""
    files = [f for d in SOURCE_DIRS for f in sorted((ROOT / d).rglob("*.py"))]
    trees = [ast.parse(f.read_text(encoding="utf-8")) for f in files]
    family = _refusal_classes(trees)
    assert {"AdminError", "StudyError", "NoticeError"} <= family
    assert family | {"RowError"} <= set(SCRIPT_KEYWORDS), (
        f"add {sorted(family | {'RowError'} - set(SCRIPT_KEYWORDS))} as -k keywords in scripts/update-catalog.sh")
    catalog, literal, computed = load_catalog(), [], []
    for path, tree in zip(files, trees):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)  # Error(…), module.Error(…)
            if name not in family | {"RowError"}:
                continue
            index = 1 if name == "RowError" else 0
            message = node.args[index] if len(node.args) > index else None
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                literal.append((where, message.value))
            elif message is None or isinstance(message, (ast.JoinedStr, ast.BinOp, ast.Call, ast.IfExp)):
                computed.append(where)  # (a name handed on is an N_ msgid: check_district_within's)
    assert not computed, "refusals built at run time (use a msgid and values):\n  " + "\n  ".join(computed)
    assert len(literal) > 250
    missing = [f"  {where}: {msgid!r}" for where, msgid in literal
               if catalog.get(msgid) is None or not catalog.get(msgid).string]
    assert not missing, f"{len(missing)} refusal(s) without a Chinese translation. {HINT}.\n" + "\n".join(missing)


FULL_WIDTH = re.compile(r"[\u3000-\u303f\uff01-\uff5e]")


def test_translations_are_chinese():
    """A msgstr without a single Chinese character (or, for a bare "{a}：{b}", full-width
    punctuation) is an English copy, not a translation."""
    not_chinese = [f"  {m.id!r} → {m.string!r}" for m in entries()
                   if m.string and not CJK.search(m.string) and not FULL_WIDTH.search(m.string)]
    assert not not_chinese, "These translations contain no Chinese:\n" + "\n".join(not_chinese)


def test_catalog_header():
    catalog = load_catalog()
    headers = dict(catalog.mime_headers)
    assert headers.get("Language") == "zh_CN"
    assert headers.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"


# --- (b) translations keep placeholders, HTML, commands and emoji -------------------------------

def test_translations_keep_placeholders_and_markup():
    problems = []
    translated = [m for m in entries() if m.string]
    assert translated, "the catalog has no translations at all"
    for message in translated:
        msgid, msgstr = message.id, message.string
        try:
            wanted, got = placeholders(msgid), placeholders(msgstr)
        except ValueError as exc:  # a stray "{" or "}" would break str.format at runtime
            problems.append(f"  {msgid!r}: not a valid format string ({exc}): {msgstr!r}")
            continue
        if wanted != got:
            problems.append(f"  {msgid!r}: placeholders {sorted(wanted)} ≠ {sorted(got)} in {msgstr!r}")
        if HTML_TAG.findall(msgid) != HTML_TAG.findall(msgstr):
            problems.append(f"  {msgid!r}: HTML tags {HTML_TAG.findall(msgid)} ≠ "
                            f"{HTML_TAG.findall(msgstr)} in {msgstr!r}")
        if sorted(COMMAND.findall(msgid)) != sorted(COMMAND.findall(msgstr)):
            problems.append(f"  {msgid!r}: commands {COMMAND.findall(msgid)} ≠ "
                            f"{COMMAND.findall(msgstr)} in {msgstr!r}")
        if symbols(msgid) != symbols(msgstr):
            problems.append(f"  {msgid!r}: emoji {''.join(symbols(msgid).elements())!r} ≠ "
                            f"{''.join(symbols(msgstr).elements())!r} in {msgstr!r}")
        if msgid.startswith("/") and msgid.split()[0] != msgstr.split()[0]:
            problems.append(f"  {msgid!r}: must start with {msgid.split()[0]!r}: {msgstr!r}")
    assert not problems, "Translations that do not match their msgid:\n" + "\n".join(problems)


# --- (c) the translator speaks Chinese by default and escapes what it fills in -----------------

KNOWN = "Welcome back, {name}."


def _chinese_for(msgid: str) -> str:
    message = load_catalog().get(msgid)
    assert message is not None and message.string, f"{msgid!r} is not translated. {HINT}."
    return message.string


def test_chinese_translator_uses_the_catalog():
    chinese = _chinese_for(KNOWN)
    result = translator("zh")(KNOWN, name="王明")
    assert result == chinese.format(name="王明")
    assert result != KNOWN.format(name="王明") and CJK.search(result.replace("王明", ""))
    assert translator("zh").plain("✋ Claim") == _chinese_for("✋ Claim")
    assert translator("zh-hans").lang == "zh"


def test_english_translator_uses_the_msgids():
    assert translator("en")(KNOWN, name="Wang Ming") == "Welcome back, Wang Ming."
    assert translator("en-US").plain("✋ Claim") == "✋ Claim"


@pytest.mark.parametrize("code", [None, "", "fr", "zh-CN"])
def test_chinese_is_the_default(code):
    assert translator(code).lang == "zh"
    assert translator(code)(KNOWN, name="王明") == _chinese_for(KNOWN).format(name="王明")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_interpolated_values_are_html_escaped(lang):
    t = translator(lang)
    result = t(KNOWN, name="<b>x</b> & co")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in result
    assert "<b>x</b>" not in result
    # markup of the message itself survives, and values marked as safe HTML are kept as they are
    received = t("✅ Received. Your reference code is <b>{code}</b>.", code="SQ-2026-<1>")
    assert "<b>SQ-2026-&lt;1&gt;</b>" in received
    assert "<i>here</i>" in t("Area: {place}", place=Html("<i>here</i>"))
    # plain() is for texts Telegram does not parse: nothing to escape there
    assert t.plain("Welcome back, {name}.", name="<x>").count("<x>") == 1


def test_a_missing_catalog_falls_back_to_english(monkeypatch, tmp_path):
    """Guards the test above from passing by accident: without the .po, no Chinese comes out."""
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    i18n._translations.cache_clear()
    try:
        assert i18n.Translator("zh")(KNOWN, name="x") == "Welcome back, x."
    finally:
        i18n._translations.cache_clear()
