"""The office: the roster, invites, groups and their keys, liaisons and routing rules."""

from handlers.core.feature import Feature
from handlers.office import groups

FEATURE = Feature(
    name="office",
    group_commands={"bind": groups.bind},
    on_group_membership=groups.on_membership,
)
