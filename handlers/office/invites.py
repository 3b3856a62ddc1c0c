"""Invites: a one-time deep link that binds a member's Telegram account to their roster entry —
one member's, or every member's not joined yet at once (bulk: a CSV, and the rows of a
printable page with a QR code per link), and who has joined and who not."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.core.cells import csv_cell
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.localtime import shown
from handlers.office.lookups import LEVELS, Reference, check_district_within, clean, find_member, resolve_codes
from storage import audit, people, reference


def _bot(bot_username: str) -> str:
    username = clean(bot_username).lstrip("@")
    if not username:
        raise AdminError("the bot's username is not set (LINKAGE_BOT_USERNAME)")
    return username


def _days(days: int) -> None:
    if days <= 0:
        raise AdminError("an invite must be valid for at least one day")


async def invite_link(conn, member_ref: str, now, *, days: int, bot_username: str,
                      within: str | None = None, actor: str = "cli") -> str:
    """A one-time deep link that binds the member's Telegram account: https://t.me/BOT?start=CODE."""
    member = await find_member(conn, member_ref)
    check_district_within(member.district_code, within, N_("member {roster_id} must be in your district ({within})"),
                          roster_id=member.roster_id)
    if not member.active:
        raise AdminError("member {roster_id} ({name}) is not active",
                         roster_id=member.roster_id, name=member.name)
    _days(days)
    username = _bot(bot_username)
    code = await people.create_invite(conn, member.id, now, days)
    await audit.record(conn, actor, "invite.create", {"member": member.roster_id, "days": days}, now)
    return f"https://t.me/{username}?start={code}"


INVITE_STATES = (N_("joined"), N_("invited"), N_("expired"), N_("not invited"))


@dataclass
class Invitee:
    """A roster member with where they stand (``state``): joined; invited (their newest link is
    open); expired (it lapsed, or was used by nobody who is still bound); not invited."""
    roster_id: str
    name: str
    level: str
    district: str | None  # code
    district_name: str  # in the office's language; "" for none
    state: str
    link: str | None = None  # made by this call (bulk invites)
    invited_at: datetime | None = None  # the newest invite's creation
    invite_expires: datetime | None = None


@dataclass
class Filters:
    """Which members: a district, a level, a sector, a committee, a list of roster ids."""
    district: str | None = None
    level: str | None = None
    sector: str | None = None
    committee: str | None = None
    roster_ids: tuple[str, ...] = ()

    def as_detail(self) -> dict:
        return {k: v for k, v in (("district", self.district), ("level", self.level), ("sector", self.sector),
                                  ("committee", self.committee), ("members", list(self.roster_ids))) if v}


async def _filtered(conn, filters: Filters, *, within: str | None, joined: bool | None) -> list:
    codes = await resolve_codes(await Reference.load(conn), district=filters.district, sector=filters.sector,
                                committee=filters.committee)
    if filters.level is not None and filters.level not in LEVELS:
        raise AdminError("level '{level}' is not valid: use city or district", level=filters.level)
    district = codes["district"]
    if within is not None:
        check_district_within(district or within, within, N_("the members invited must be in your district ({within})"))
        district = within
    rows = await people.roster(conn, district=district, level=filters.level, sector=codes["sector"],
                               committee=codes["committee"], joined=joined)
    wanted = [clean(r) for r in filters.roster_ids if clean(r)]
    if wanted:
        known = {r.roster_id for r in rows}
        missing = [r for r in wanted if r not in known]
        if missing:
            if joined is False:
                raise AdminError("not among the members chosen (unknown, inactive, outside the filters or joined "
                                 "already): {missing}", missing=", ".join(missing))
            raise AdminError("not among the members chosen (unknown, inactive, outside the filters): {missing}",
                             missing=", ".join(missing))
        rows = [r for r in rows if r.roster_id in set(wanted)]
    return rows


async def _district_names(conn, lang: str) -> dict[str, str]:
    return {d.code: reference.name(d, lang) for d in await reference.rows_of(conn, "district")}


async def bulk_invites(conn, now, *, days: int, bot_username: str, filters: Filters = Filters(),
                       within: str | None = None, lang: str = "zh", actor: str = "cli") -> list[Invitee]:
    """A fresh one-time link for every active member not joined yet (of the filters), in roster
    order; their older links stay valid until used or expired. One audit entry for the batch."""
    _days(days)
    username = _bot(bot_username)
    rows = await _filtered(conn, filters, within=within, joined=False)
    names = await _district_names(conn, lang)
    out = []
    for member in rows:
        code = await people.create_invite(conn, member.id, now, days)
        out.append(Invitee(member.roster_id, member.name, member.level, member.district_code,
                           names.get(member.district_code, ""), "invited", f"https://t.me/{username}?start={code}",
                           now, now + timedelta(days=days)))
    await audit.record(conn, actor, "invite.bulk", {"count": len(out), "days": days, **filters.as_detail()}, now)
    return out


async def joined_status(conn, now, *, filters: Filters = Filters(), joined: bool | None = None,
                        within: str | None = None, lang: str = "zh") -> list[Invitee]:
    """Every active member (of the filters) with whether they joined, else their newest invite."""
    rows = await _filtered(conn, filters, within=within, joined=joined)
    names = await _district_names(conn, lang)
    newest = await people.latest_invites(conn, [r.id for r in rows])
    out = []
    for member in rows:
        invite = newest.get(member.id)
        state = "joined" if member.telegram_user_id is not None else "not invited" if invite is None else \
            "expired" if invite.used_at or invite.expires_at <= now else "invited"
        out.append(Invitee(member.roster_id, member.name, member.level, member.district_code,
                           names.get(member.district_code, ""), state,
                           invited_at=invite.created_at if invite else None,
                           invite_expires=invite.expires_at if invite else None))
    return out


# --- what the office prints or downloads --------------------------------------------------------

CSV_COLUMNS = (N_("Roster id"), N_("Name"), N_("District"), N_("Invite link"), N_("Valid until"))


def invites_csv(invitees: list[Invitee], *, lang: str = "zh") -> bytes:
    """The bulk invites as CSV (UTF-8 with a byte-order mark for Excel; cells never formulas)."""
    t = translator(lang)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([t(c) for c in CSV_COLUMNS])
    for i in invitees:
        writer.writerow([csv_cell(v) for v in (i.roster_id, i.name, i.district_name, i.link or "",
                                               shown(i.invite_expires) if i.invite_expires else "")])
    return buffer.getvalue().encode("utf-8-sig")


def qr_svg(link: str) -> str:
    """The link as a QR code, an SVG element to put in a page as it is (no Pillow needed)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage
    image = qrcode.make(link, image_factory=SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode").replace(' id="qr-path"', "")  # many on one page
