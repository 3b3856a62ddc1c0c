"""``/contacts``: the contact directory the office maintains (``linkage contacts …``) — the
liaison office (委员学习和联络室), each district's liaison centre ({区}政协委员联络中心) and each
special committee's office. Who sees what: everyone the office and the committees' offices; a
district member their own district's centre; a city member (市政协委员, whose work links the
districts: 市区联动) every district's, their own first."""

from __future__ import annotations

import html
import re

from handlers.core.context import Ctx
from handlers.core.errors import AdminError
from handlers.core.i18n import N_
from storage import audit, reference
from storage import serving as store

SCOPES = ("office", "district", "committee")
HEADINGS = {"district": N_("<b>District liaison centres (政协委员联络中心)</b>"),
            "committee": N_("<b>Special committees (专门委员会)</b>")}
PHONE = re.compile(r"^[0-9+()\- ]{3,40}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {"name_zh": 100, "name_en": 150, "phone": 40, "email": 100, "address": 200, "hours": 100, "note": 300}
FIELDS = ("scope", "code", "name_zh", "name_en", "phone", "email", "address", "hours", "note", "position")


def visible_to(member, row) -> bool:
    if row.scope != "district":
        return True
    return member.level == "city" or row.code == member.district_code


def entry_lines(row, lang: str) -> list[str]:
    esc = lambda text: html.escape(text or "", quote=False)  # noqa: E731
    name = row.name_en if lang == "en" and row.name_en else row.name_zh
    lines = [f"<b>{esc(name)}</b>"]
    reach = [part for part in (f"☎ {esc(row.phone)}" if row.phone else "", f"✉ {esc(row.email)}" if row.email else "")
             if part]
    where = [part for part in (f"📍 {esc(row.address)}" if row.address else "",
                               f"🕘 {esc(row.hours)}" if row.hours else "") if part]
    lines += [" · ".join(reach)] if reach else []
    lines += [" · ".join(where)] if where else []
    lines += [esc(row.note)] if row.note else []
    return lines


async def cmd_contacts(ctx: Ctx) -> None:
    member, t = ctx.member, ctx.t
    rows = [row for row in await store.contact_list(ctx.conn) if visible_to(member, row)]
    if not rows:
        await ctx.reply(t("The office has not published its contacts yet."))
        return
    own = [row for row in rows if row.scope == "district" and row.code == member.district_code]
    rows = [row for row in rows if row not in own]
    rows = [r for r in rows if r.scope == "office"] + own + [r for r in rows if r.scope != "office"]
    lines = [t("📇 <b>Contacts</b>")]
    scope = None
    for row in rows:
        if row.scope != scope:  # the office's own entries need no heading: their names say it
            scope = row.scope
            lines += ["", t(HEADINGS[scope])] if scope in HEADINGS else [""]
        lines += entry_lines(row, t.lang)
    await ctx.reply("\n".join(lines))  # split at line breaks past Telegram's 4,096 (ctx.send)


# --- the office's side (linkage contacts …) ---------------------------------------------------

async def _clean(conn, values: dict) -> dict:
    """The entry's fields checked (each error says which and how to fix it)."""
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if k in FIELDS}
    out = {k: (None if v == "" else v) for k, v in out.items()}
    scope = out.get("scope")
    if scope not in SCOPES:
        raise AdminError("the scope is office, district or committee, not {scope!r}", scope=scope)
    if scope == "office":
        out["code"] = None
    else:
        codes = {row.code for row in await reference.rows_of(conn, scope)}
        if out.get("code") not in codes:
            raise AdminError("a {scope} entry needs --code, one of the {scope} codes (seeds/{scope}s.yaml), "
                             "not {code!r}", scope=scope, code=out.get('code'))
    if not out.get("name_zh"):
        raise AdminError("an entry needs a name (--name-zh)")
    out["name_en"] = out.get("name_en") or out["name_zh"]
    for field, limit in LIMITS.items():
        if out.get(field) is not None and len(str(out[field])) > limit:
            raise AdminError("{field_name} has {length} characters; at most {limit}",
                             field_name=field, length=len(str(out[field])), limit=limit)
    if out.get("phone") and not PHONE.match(out["phone"]):
        raise AdminError("a phone number is digits, spaces, +, - and parentheses, not {phone!r}",
                         phone=out["phone"])
    if out.get("email") and not EMAIL.match(out["email"]):
        raise AdminError("not an e-mail address: {email!r}", email=out["email"])
    out["position"] = int(out.get("position") or 0)
    return out


async def add(conn, values: dict, now, *, actor: str) -> int:
    clean = await _clean(conn, values)
    if await store.contact_named(conn, clean["scope"], clean["code"], clean["name_zh"]) is not None:
        raise AdminError("there is already an entry {name_zh!r} there: use `linkage contacts edit ID`",
                         name_zh=clean["name_zh"])
    contact_id = await store.add_contact(conn, **clean, updated_at=now)
    await audit.record(conn, actor, "contacts.add", {"contact": contact_id, "name": clean["name_zh"]}, now)
    return contact_id


async def edit(conn, contact_id: int, changes: dict, now, *, actor: str) -> None:
    row = await store.contact(conn, contact_id)
    if row is None:
        raise AdminError("there is no contact #{contact_id} (see `linkage contacts list`)",
                         contact_id=contact_id)
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise AdminError("nothing to change: give at least one option (--phone, --name-zh …)")
    clean = await _clean(conn, {**{f: getattr(row, f) for f in FIELDS}, **changes})
    await store.change_contact(conn, contact_id, **clean, updated_at=now)
    await audit.record(conn, actor, "contacts.edit", {"contact": contact_id, "fields": sorted(changes)}, now)


async def delete(conn, contact_id: int, now, *, actor: str) -> None:
    row = await store.contact(conn, contact_id)
    if row is None:
        raise AdminError("there is no contact #{contact_id} (see `linkage contacts list`)",
                         contact_id=contact_id)
    await store.delete_contact(conn, contact_id)
    await audit.record(conn, actor, "contacts.delete", {"contact": contact_id, "name": row.name_zh}, now)


async def import_rows(conn, rows: list, now, *, actor: str) -> tuple[int, int]:
    """Entries from a file (a list of mappings with the entry's fields): each is added, or updates
    the entry of the same scope, code and Chinese name. All or nothing: the first bad entry is
    named and nothing is kept (the command's transaction). Returns (added, updated)."""
    if not isinstance(rows, list) or not rows:
        raise AdminError("the file holds no entries: a YAML list under 'contacts:'")
    added = updated = 0
    for number, values in enumerate(rows, start=1):
        if not isinstance(values, dict):
            raise AdminError("entry {number} is not a mapping of fields", number=number)
        unknown = sorted(set(values) - set(FIELDS))
        if unknown:
            raise AdminError("entry {number}: unknown field(s) {unknown}",
                             number=number, unknown=", ".join(unknown))
        try:
            clean = await _clean(conn, {k: (str(v) if v is not None and k != "position" else v)
                                        for k, v in values.items()})
        except AdminError as exc:
            raise AdminError("entry {number}: {exc}", number=number, exc=exc) from None
        found = await store.contact_named(conn, clean["scope"], clean["code"], clean["name_zh"])
        if found is None:
            await store.add_contact(conn, **clean, updated_at=now)
            added += 1
        else:
            await store.change_contact(conn, found.id, **clean, updated_at=now)
            updated += 1
    await audit.record(conn, actor, "contacts.import", {"added": added, "updated": updated}, now)
    return added, updated


async def listing(conn) -> list[str]:
    return [f"#{row.id:<4} {row.scope:<9} {row.code or '-':<16} {row.name_zh} | {row.phone or '-'} | "
            f"{row.email or '-'} | {row.address or '-'} | {row.hours or '-'}" for row in await store.contact_list(conn)
            ] or ["(no entries)"]


async def seed(conn, rows: list, now) -> int:
    """seeds/contacts.yaml, into an empty directory only: the office's entries survive a re-seed."""
    if await store.contact_count(conn):
        return 0
    added, _ = await import_rows(conn, rows, now, actor="seed")
    return added
