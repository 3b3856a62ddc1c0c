"""What people see of a meeting: its details, a member's invitation card with the buttons they may
press now, and who the organisers are (the committee's staff, or the office when it has none)."""

from __future__ import annotations

from handlers.consultation.terms import ANSWERS, CARD, MAIN_VENUE, esc, is_on
from handlers.core import audience, flows
from handlers.core.context import Buttons, Ctx, utf16_len
from handlers.core.i18n import N_, Html, Translator, translator
from handlers.core.roles import runs_committee
from handlers.core.localtime import show_span, shown
from storage import consultation as store
from storage import outbox, people, reference


def venue_name(t: Translator, venue) -> str:
    return t.plain(MAIN_VENUE) if venue.kind == "main" else venue.name


def venue_line(t: Translator, venue) -> str:
    """主会场 / a sub-venue's name, its place and its link (HTML)."""
    parts = [f"<b>{esc(venue_name(t, venue))}</b>"]
    if venue.place:
        parts.append(esc(venue.place))
    if venue.link:
        parts.append("🔗 " + esc(venue.link))
    return " · ".join(parts)


async def details(conn, t: Translator, m, venues) -> list[str]:
    """A meeting's title, theme, time, organiser, venues and deadline (HTML lines)."""
    committee = await store.committee(conn, m.committee_code)
    lines = [t("🏛 <b>Consultation meeting (专题协商会): {title}</b>", title=m.title),
             t("Theme: {theme}", theme=m.theme),
             t("🕒 Time: {time}", time=show_span(m.starts_at, m.ends_at)),
             t("Organised by: {committee}", committee=reference.name(committee, t.lang) if committee else m.committee_code)]
    lines += ["📍 " + venue_line(t, v) for v in venues]
    lines.append(t("📝 Written statements (书面发言) by {time}", time=shown(m.statements_by)))
    return lines


def answer_text(t: Translator, r, venues) -> str:
    answer = r.answer if r is not None else "invited"
    if answer == "venue":
        venue = next((v for v in venues if v.id == r.venue_id), None)
        return t(ANSWERS["venue"], venue=venue_name(t, venue) if venue else "?")
    return t(ANSWERS[answer])


def ticked(on: bool, label: str) -> str:
    """The member's current answer is ticked on its button."""
    return "✓ " + label if on else label


async def card(ctx: Ctx, t: Translator, m, r, member_id: int) -> tuple[str, Buttons]:
    """The invitation as a member sees it now: details, their answer, the buttons of the moment."""
    venues = await store.venues(ctx.conn, m.id)
    lines = await details(ctx.conn, t, m, venues)
    lines += ["", t("Your answer: {answer}", answer=Html(answer_text(t, r, venues)))]
    checked = await store.checkin(ctx.conn, m.id, member_id)
    if checked is not None:
        lines.append(t("✅ Checked in at {time}", time=shown(checked.at)))
    buttons: Buttons = []
    if ctx.now < m.starts_at:
        chosen = (r.answer, r.venue_id) if r is not None else ("invited", None)
        buttons += [[(ticked(chosen == ("venue", v.id), venue_name(t, v)), CARD.pack("v", m.id, v.id))]
                    for v in venues]
        buttons.append([(ticked(chosen[0] == "online", t.plain("💻 Online (线上参会)")), CARD.pack("o", m.id)),
                        (ticked(chosen[0] == "absent", t.plain("🙏 Cannot attend (不能参加)")), CARD.pack("n", m.id))])
        row = [(t.plain("🙋 Ask to speak (申请发言)"), CARD.pack("w", m.id))]
        if ctx.now < m.statements_by:
            row.insert(0, (t.plain("📝 Written statement (书面发言)"), CARD.pack("s", m.id)))
        buttons.append(row)
    if is_on(m, ctx.now):
        if checked is None:
            buttons.append([(t.plain("📍 Check in (签到)"), CARD.pack("c", m.id))])
        buttons.append([(t.plain("💬 Live comment (在线留言)"), CARD.pack("m", m.id))])
    return "\n".join(lines), buttons


def reachable(row) -> bool:
    return bool(row.active and row.reachable and row.telegram_user_id is not None)


async def organisers(conn, m) -> list:
    """Who gets the organisers' copies: the committee's staff, or the office admins when it has none."""
    return await store.committee_staff(conn, m.committee_code) or await people.admins(conn)


def may_organise(ctx: Ctx, m) -> bool:
    return runs_committee(ctx.member, m.committee_code)


async def author_label(conn, member_id: int, named: bool, lang: str) -> str:
    """A member as the meeting's group sees them: by name, or by alias (named to the committee only)."""
    member = await people.by_id(conn, member_id)
    if named:
        return member.name
    return translator(lang).plain("member {alias}", alias=await people.alias(conn, member_id))


async def refuse(ctx: Ctx, msgid: str, **values) -> None:
    """Say no: as the answer to a pressed button (an alert), or as a message."""
    if ctx.event.kind == "callback":
        await ctx.answer(ctx.t.plain(msgid, **values), alert=True)
    else:
        await ctx.reply(ctx.t(msgid, **values))


async def invitation(ctx: Ctx, m):
    """The member's RSVP row, made if the audience addresses them; None if not invited."""
    r = await store.rsvp(ctx.conn, m.id, ctx.member.id)
    if r is None and audience.addresses(m.audience, ctx.member):
        r = await store.ensure_rsvp(ctx.conn, m.id, ctx.member.id, ctx.now)
    return r


async def invited_meeting(ctx: Ctx, meeting_id: int):
    """(meeting, RSVP) of an announced meeting the member is invited to; otherwise says why."""
    m = await store.meeting(ctx.conn, meeting_id, lock=True)
    if m is None or m.status != "announced":
        await refuse(ctx, N_("This button is not valid."))
        return None
    r = await invitation(ctx, m)
    if r is None:
        await refuse(ctx, N_("This meeting is not one you were invited to."))
        return None
    return m, r


async def limited_text(ctx: Ctx, limit: int, msgid: str) -> str | None:
    """The message's text if it fits ``limit`` (as Telegram counts it); otherwise None, after
    telling the sender ``msgid`` (with its {limit} and {length})."""
    text = await flows.text_input(ctx)
    if text is not None and utf16_len(text) > limit:
        await ctx.reply(ctx.t(msgid, limit=limit, length=utf16_len(text)))
        return None
    return text


async def tell(ctx: Ctx, member_id: int, msgid: str, *, key: str | None = None, **values) -> None:
    """A message to a member in their language (bulk), if the bot can reach them."""
    member = await people.by_id(ctx.conn, member_id)
    if member is not None and reachable(member):
        await ctx.send(member.telegram_user_id, translator(member.language)(msgid, **values), key=key,
                       priority=outbox.BULK)


async def where_from(conn, member, lang: str) -> str:
    """A member's district and sector, as a statement's speaker is introduced ("" for neither)."""
    district = await reference.name_of(conn, reference.district, member.district_code, lang)
    sectors = {s.code: s for s in await reference.rows_of(conn, "sector")} if member.sector_code else {}
    sector = reference.name(sectors.get(member.sector_code), lang) if member.sector_code else None
    return "、".join(x for x in (district, sector) if x)
