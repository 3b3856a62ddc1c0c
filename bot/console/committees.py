"""What the committees' screens (oversight, consultation) share: a message in the reader's language,
the committee a staff member's console is limited to and the rows it manages, the audience they
may address, a form's whole number, and the form field an
office operation's refusal is about."""

from __future__ import annotations

from aiohttp import web

from bot.console.web import read, refusal_of, session_of
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from handlers.core.roles import COMMITTEE

WHOLE_NUMBER = N_("Enter a whole number.")


def said(request: web.Request, msgid: str) -> str:
    """A console message in the signed-in member's language."""
    return translator(session_of(request).member.language).plain(msgid)


def committee_of(request: web.Request) -> str | None:
    """The committee a staff member's console is limited to (None: the city office, no limit)."""
    scope = session_of(request).scope
    return scope.committee_code if scope.kind == COMMITTEE else None


def ours(request: web.Request, row) -> bool:
    """A meeting or an item this console manages: any for the city, its committee's for its staff."""
    within = committee_of(request)
    return within is None or row.committee_code == within


def path_id(request: web.Request, key: str) -> int:
    """The id in the path at ``key`` (404 for anything but a plausible number)."""
    raw = request.match_info[key]
    if not raw.isdigit() or len(raw) > 9:
        raise web.HTTPNotFound()
    return int(raw)


async def owned(request: web.Request, key: str, load):
    """The row ``load(conn, id)`` finds for the path's id, if this console manages it: another
    committee's meeting or item does not exist for its staff (404)."""
    async with read(request) as conn:
        row = await load(conn, path_id(request, key))
    if row is None or not ours(request, row):
        raise web.HTTPNotFound()
    return row


def audience_for(request: web.Request, typed: str) -> str:
    """The audience a form may address: anyone for the city office; a committee's staff their
    committee's members or a list of members (empty: their committee)."""
    within = committee_of(request)
    if within is None:
        return typed or "all"
    typed = typed or f"committee:{within}"
    if typed != f"committee:{within}" and not typed.startswith("list:"):
        raise AdminError("the audience of a committee's staff is committee:{committee} or a list of members",
                         committee=within)
    return typed


def number(text: str) -> int | None:
    """A form's whole number (None when empty); ValueError for anything else."""
    if not text:
        return None
    if not text.isdigit() or len(text) > 6:
        raise ValueError(text)
    return int(text)


def refusal_beside(request, exc: AdminError, words: tuple, fields) -> dict:
    """A refusal as a form's ``errors``, in the reader's language, beside the field it is about: the
    one it names (``exc.field``), else the first of ``words`` ((field, (word, …)), …) its English
    text names, else the form's first."""
    lowered = str(exc).lower()
    guessed = next((name for name, names in words if name in fields and any(w in lowered for w in names)), fields[0])
    return refusal_of(request, exc, guessed, fields=fields)
