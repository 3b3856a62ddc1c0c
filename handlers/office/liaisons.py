"""Liaisons: the members who handle the items of a target."""

from __future__ import annotations

from handlers.office.lookups import check_member_within, check_target_within, find_member, find_target
from storage import audit
from storage import targets as target_store


async def add_liaison(conn, member_ref: str, target_name: str, now, *, within: str | None = None,
                      actor: str = "cli") -> bool:
    """Make the member a liaison of the target; False when they already were."""
    member = await find_member(conn, member_ref)
    target = await find_target(conn, target_name)
    check_target_within(target, within)
    check_member_within(member, within)
    added = await target_store.add_liaison(conn, target.id, member.id)
    if added:
        await audit.record(conn, actor, "liaison.add", {"member": member.roster_id, "target": target.name}, now)
    return added


async def remove_liaison(conn, member_ref: str, target_name: str, now, *, within: str | None = None,
                         actor: str = "cli") -> bool:
    """The member no longer acts on the target's cards (every press checks it, their claimed
    cards included); a liaison of no other target becomes a member again. False when they were
    not its liaison."""
    member = await find_member(conn, member_ref)
    target = await find_target(conn, target_name)
    check_target_within(target, within)
    removed = await target_store.remove_liaison(conn, target.id, member.id)
    if removed:
        await audit.record(conn, actor, "liaison.remove", {"member": member.roster_id, "target": target.name}, now)
    return removed


async def liaisons_of(conn, target_name: str, *, within: str | None = None) -> list:
    """The target's liaisons, in roster order."""
    target = await find_target(conn, target_name)
    check_target_within(target, within)
    return sorted(await target_store.liaisons(conn, target.id), key=lambda m: m.roster_id)
