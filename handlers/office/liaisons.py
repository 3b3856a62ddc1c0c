"""Liaisons: the members who handle the items of a target."""

from __future__ import annotations

from handlers.office.lookups import find_member, find_target
from storage import audit
from storage import targets as target_store


async def add_liaison(conn, member_ref: str, target_name: str, now, *, actor: str = "cli") -> bool:
    """Make the member a liaison of the target; False when they already were."""
    member = await find_member(conn, member_ref)
    target = await find_target(conn, target_name)
    added = await target_store.add_liaison(conn, target.id, member.id)
    if added:
        await audit.record(conn, actor, "liaison.add", {"member": member.roster_id, "target": target.name}, now)
    return added
