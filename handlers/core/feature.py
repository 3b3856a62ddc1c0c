"""What a capability offers the bot, declared once: a ``Feature``. ``handlers/features.py`` lists
every feature (the way aiogram's ``include_routers`` lists
routers); ``Registry`` checks at start that no two features claim the same command, button
prefix, flow or timer kind, and answers the router's, the scheduler's and ``/mydata``'s
look-ups. A handler reaches the registry as ``ctx.features``, so no feature imports another
feature to find its hooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Mapping, Sequence

from handlers.core.buttons import ButtonData
from handlers.core.points import PointSource, RecordPart

if TYPE_CHECKING:
    from handlers.core.context import Ctx

Handler = Callable[["Ctx"], Awaitable[None]]
ButtonHandler = Callable[["Ctx", dict], Awaitable[None]]  # (ctx, the decoded fields)
FlowHandler = Callable[["Ctx", Any], Awaitable[None]]  # (ctx, the sender's conversation)
GroupCommand = Callable[["Ctx", "str | None"], Awaitable[None]]  # (ctx, the sender's status in the group)
Job = Callable[["Ctx", Any], Awaitable[None]]  # (ctx, the due timer)
Planner = Callable[["Ctx"], Awaitable[None]]
Upcoming = Callable[..., Awaitable[list[str]]]  # (conn, member, start, end, lang, cache) -> digest lines
# (conn, member, start, end, lang, cache) -> the member's CalendarEntry list of [start, end), for /calendar
Calendar = Callable[..., Awaitable[list["CalendarEntry"]]]
# (conn, member, since, until, lang, cache) -> lines for the digest's news of that window, each
# feature's own heading included (a deliberation's 议政结论, a meeting's outcome); [] when nothing
Recent = Callable[..., Awaitable[list[str]]]
# a line of /help: (who sees it — a test of the member, None: every member — and its msgid)
HelpLine = tuple["Callable[[Any], bool] | None", str]
# an entry of the private chats' command menu: (command, description msgid, who — None: every
# member; a test of the member: only in that member's own menu, handlers/core/menus.py)
MenuEntry = tuple[str, str, "Callable[[Any], bool] | None"]
MyPart = Handler  # replies with the member's part of /my from one feature (nothing when it has none)
PersonalData = Callable[[Any, Any], Awaitable[dict]]  # (conn, member) -> its part of /mydata
ItemMoved = Callable[["Ctx", int], Awaitable[None]]  # (ctx, item id), after every move of a report
TargetBound = Callable[["Ctx", Any], Awaitable[None]]  # (ctx, the target row), once a chat is bound to it
# (ctx, the code typed after /checkin) -> True when the code was this feature's and it answered
CheckIn = Callable[["Ctx", str], Awaitable[bool]]


@dataclass(frozen=True)
class DraftWriter:
    """Writes a feature's drafts (handlers/core/drafts.py). ``prepare(ctx, drafts)`` reads, in a
    read-only snapshot, what the next drafts share and keeps it (once per process: a digest
    firing's news); ``write(ctx, drafts)``, in the sender's short transaction, queues each draft's
    message(s) with ``ctx.send`` inside ``ctx.holding()`` and returns them by draft row id (none:
    nothing to send by now; a draft left out of the answer could not be written, and fails)."""
    write: Callable[["Ctx", list], Awaitable[dict[int, list[dict]]]]
    prepare: Callable[["Ctx", list], Awaitable[None]] | None = None


@dataclass(frozen=True)
class CalendarEntry:
    """One thing coming up for a member (/calendar): when (UTC), and its HTML line in their language."""
    at: datetime
    line: str


@dataclass(frozen=True)
class Feature:
    name: str
    commands: Mapping[str, Handler] = field(default_factory=dict)  # private, for known members
    open_commands: Mapping[str, Handler] = field(default_factory=dict)  # private, for anyone (/start)
    group_commands: Mapping[str, GroupCommand] = field(default_factory=dict)  # the sender's status is asked first
    buttons: Mapping[ButtonData, ButtonHandler] = field(default_factory=dict)  # in private chats
    group_buttons: Mapping[ButtonData, ButtonHandler] = field(default_factory=dict)  # in bound groups
    flows: Mapping[str, FlowHandler] = field(default_factory=dict)  # a member's text inside a conversation
    jobs: Mapping[str, Job] = field(default_factory=dict)  # timer kind -> what runs when it falls due
    drafts: Mapping[str, DraftWriter] = field(default_factory=dict)  # writers of messages written as they go
    planners: Sequence[Planner] = ()  # make sure the next occurrence of recurring work is planned
    upcoming: Sequence[Upcoming] = ()  # lines for the digests' "Coming up"
    calendar: Sequence[Calendar] = ()  # the member's dated entries for /calendar (sessions, deadlines, closings)
    recent: Sequence[Recent] = ()  # lines for the digests' news of the window (conclusions, outcomes)
    my_parts: Sequence[MyPart] = ()  # their part of /my, after the member's reports
    help: Sequence[HelpLine] = ()  # lines /help adds for this feature, after the members' own
    menu: Sequence[MenuEntry] = ()  # its commands in the private chats' menu, in this order
    group_menu: Sequence[tuple[str, str]] = ()  # (command, description msgid) in the groups' menu
    personal_data: PersonalData | None = None  # this feature's part of a member's /mydata
    on_item_moved: Sequence[ItemMoved] = ()  # told of every move of a report (handlers/reports/transitions.py)
    on_target_bound: Sequence[TargetBound] = ()  # told when a group is bound to a target (handlers/office/groups.py)
    check_in: Sequence[CheckIn] = ()  # codes /checkin tries after the study calendar's own (a meeting's venues)
    on_group_membership: Handler | None = None  # the bot added to or removed from a group
    on_private_membership: Handler | None = None  # a member blocked or unblocked the bot
    point_sources: Sequence[PointSource] = ()  # events that earn points (handlers/core/points.py)
    record_parts: Sequence[RecordPart] = ()  # sections of a member's duty record (履职档案)
    settings: Sequence[Handler] = ()  # its part of /settings: replies with its own choices (channels)


class Registry:
    """Every feature's declarations merged into look-up tables; clashes refused at start."""

    def __init__(self, features: Sequence[Feature]):
        self.features = tuple(features)
        self.commands = self._merge("commands", "command /{}")
        self.open_commands = self._merge("open_commands", "command /{}", also=self.commands)
        self.group_commands = self._merge("group_commands", "group command /{}")
        self.buttons = self._merge_buttons("buttons")
        self.group_buttons = self._merge_buttons("group_buttons")
        self.flows = self._merge("flows", "flow {}")
        self.jobs = self._merge("jobs", "timer kind {}")
        self.drafts = self._merge("drafts", "draft writer {}")
        self.planners = [p for f in self.features for p in f.planners]
        self.upcoming = [u for f in self.features for u in f.upcoming]
        self.calendar = [c for f in self.features for c in f.calendar]
        self.recent = [r for f in self.features for r in f.recent]
        self.my_parts = [part for f in self.features for part in f.my_parts]
        self.help = [line for f in self.features for line in f.help]
        self.menu = [entry for f in self.features for entry in f.menu]
        self.group_menu = [entry for f in self.features for entry in f.group_menu]
        self.personal_data = [f.personal_data for f in self.features if f.personal_data is not None]
        self.on_item_moved = [hook for f in self.features for hook in f.on_item_moved]
        self.on_target_bound = [hook for f in self.features for hook in f.on_target_bound]
        self.check_in = [hook for f in self.features for hook in f.check_in]
        self.on_group_membership = self._one("on_group_membership")
        self.on_private_membership = self._one("on_private_membership")
        self.point_sources = [source for f in self.features for source in f.point_sources]
        self.record_parts = [part for f in self.features for part in f.record_parts]
        self.settings = [part for f in self.features for part in f.settings]

    def _merge(self, table: str, what: str, also: Mapping | None = None) -> dict:
        merged: dict = {}
        owner: dict = {}
        for feature in self.features:
            for key, handler in getattr(feature, table).items():
                if key in merged or (also is not None and key in also):
                    raise ValueError(f"{what.format(key)} is claimed twice ({owner.get(key, 'commands')} "
                                     f"and {feature.name})")
                merged[key], owner[key] = handler, feature.name
        return merged

    def _merge_buttons(self, table: str) -> dict[str, tuple[ButtonData, ButtonHandler]]:
        merged: dict[str, tuple[ButtonData, ButtonHandler]] = {}
        for feature in self.features:
            for data, handler in getattr(feature, table).items():
                if data.prefix in merged:
                    raise ValueError(f"button prefix {data.prefix} is claimed twice ({feature.name} and another)")
                merged[data.prefix] = (data, handler)
        return merged

    def _one(self, hook: str) -> Handler | None:
        handlers = [getattr(f, hook) for f in self.features if getattr(f, hook) is not None]
        if len(handlers) > 1:
            raise ValueError(f"{hook} is claimed by more than one feature")
        return handlers[0] if handlers else None
