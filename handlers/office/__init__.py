"""The office: the roster, invites, groups and their keys, liaisons and routing rules.

roster.py (roster files, import checked row by row), member_edit.py (one member), invites.py
(one or in bulk, who joined), keys.py (bind keys: issue, list, revoke), liaisons.py (add, remove),
rules.py (routing rules: add, edit, move, delete; the route dry run), groups.py (``/bind`` and
the bot joining or leaving a group); lookups.py reads what an office user typed. The CLI and the seeds call these operations
inside one transaction each, the same way: ``(conn, what it acts on..., now, *, options...,
actor=...)`` — ``now`` (an aware UTC datetime from the clock) when it writes, options by keyword,
``actor`` naming who did it for the audit log ("cli", "seed", "member:12", "console:member:12");
``within``, a district code, limits a district office to its own district. A refusal raises
:class:`handlers.core.errors.AdminError` with a message that says why.
"""

from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.office import groups

FEATURE = Feature(
    name="office",
    group_commands={"bind": groups.bind},
    group_menu=[("bind", N_("Bind this group with a key from the city office"))],
    on_group_membership=groups.on_membership,
)
