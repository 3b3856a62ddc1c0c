"""What the deliberation modules share: the buttons, the refusal, who may see and do what, how an
author is named, and a topic's card."""

from __future__ import annotations

import html
from datetime import timedelta

from handlers.core import audience, roles
from handlers.core.buttons import ButtonData, Optional
from handlers.core.context import Buttons
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from storage import deliberation as store
from storage import people, reference

# a topic's and a contribution's buttons: id is the topic's (say, view, conclude) or the contribution's
ACT = ButtonData("dl", action=("say", "view", "reply", "edit", "withdraw", "hide", "pin", "conclude", "close"),
                 id=int, page=Optional(int))
EDIT_MINUTES = 15
PAGE_SIZE = 5
TITLE_LIMIT = 200
QUESTION_LIMIT = 60  # a question is a button's label
MAX_QUESTIONS = 5
CLOSED = N_("This topic is closed.")  # zh: 已截止
NOT_INVITED = N_("This topic is not open to you.")
WHOLE_TOPIC = N_("the topic as a whole")
QUESTION = N_("Question {n}: {question}")
COMMITTEE_ONLY = N_("Only this committee's staff or an office admin can do this.")


class DeliberationError(AdminError):
    """A deliberation operation refused (the message says why, in English, for the command line)."""


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def is_open(topic, now) -> bool:
    return topic.status == "open" and topic.opens_at <= now < topic.closes_at


def may_take_part(member, topic) -> bool:
    return member is not None and (audience.addresses(topic.audience, member)
                                   or roles.runs_committee(member, topic.committee_code))


def may_still_change(contribution, now) -> bool:
    return now < contribution.created_at + timedelta(minutes=EDIT_MINUTES)


async def topic_or_fail(conn, deliberation_id: int, *, lock: bool = False):
    topic = await store.by_id(conn, deliberation_id, lock=lock)
    if topic is None:
        raise DeliberationError("there is no deliberation #{deliberation_id} (see: linkage deliberation list)",
                                deliberation_id=deliberation_id)
    return topic


async def committee_name(conn, code: str, lang: str) -> str:
    rows = {row.code: row for row in await reference.rows_of(conn, "committee")}
    return reference.name(rows.get(code), lang) or code


async def place_of(conn, row, lang: str) -> str:
    """A named author's district (district level) or sector (city level), as the room shows it."""
    if row.level == "district" and row.district_code:
        return await reference.name_of(conn, reference.district, row.district_code, lang) or ""
    sectors = {s.code: s for s in await reference.rows_of(conn, "sector")}
    return reference.name(sectors.get(row.sector_code), lang) if row.sector_code else ""


async def author(conn, row, lang: str, *, committee: bool) -> str:
    """How a contribution's author is shown (HTML-safe): the name and place when named; to anyone
    outside the committee only the alias when named to the committee only."""
    t = translator(lang)
    if row.naming == "committee" and not committee:
        return t("Member {alias}", alias=await people.alias(conn, row.member_id))
    place = await place_of(conn, row, lang)
    name = esc(row.name) + (("·" if t.lang == "zh" else " · ") + esc(place) if place else "")
    return name + (t(" (named to the committee only)") if row.naming == "committee" else "")


def question_label(say, topic, position: int | None) -> str:
    """``say``: a translator (HTML) or its ``plain`` (a spreadsheet cell)."""
    if not position or position > len(topic.questions):
        return say(WHOLE_TOPIC)
    return say(QUESTION, n=position, question=topic.questions[position - 1])


async def card(conn, topic, lang: str, *, committee: bool = False) -> tuple[str, Buttons]:
    """A topic as the audience gets it, with 发表意见 and 查看跟帖 (none once it is closed); the
    committee's own copy (``committee``) can close it early."""
    t = translator(lang)
    lines = [t("🗳 <b>Online deliberation</b> · {committee}", committee=await committee_name(conn, topic.committee_code,
                                                                                           lang)),
             f"<b>{esc(topic.title)}</b>", "", esc(topic.body)]
    if topic.link:
        lines.append("🔗 " + esc(topic.link))
    if topic.questions:
        lines += ["", t("<b>Questions</b>")] + [f"{n}. {esc(q)}" for n, q in enumerate(topic.questions, 1)]
    lines += ["", t("⏰ Open until {time}", time=shown(topic.closes_at))]
    if topic.status == "closed":
        lines.append(t(CLOSED))
        return "\n".join(lines), []
    buttons = [[(t.plain("💬 Give my view"), ACT.pack("say", topic.id)),
                (t.plain("📖 See the thread"), ACT.pack("view", topic.id))]]
    if committee:
        buttons.append([(t.plain("⏹ Close now"), ACT.pack("close", topic.id))])
    return "\n".join(lines), buttons
