"""What a feature gives the points ledger and the duty record (履职档案), framework-free.

A feature declares ``Feature.point_sources``: ``async def (conn, since, until) -> list[PointEvent]``,
every event of its rules whose ``occurred_at`` falls in [since, until) (``since`` None: from the
start). The ledger (handlers/points/ledger.py) turns events into entries once each — the key
(member, rule, source_kind, source_id, kind) — so a source may return an event again and again.
An event with ``gives_back`` undoes the earned entry of the same key (a withdrawn report).

A feature declares ``Feature.record_parts``: ``async def (conn, member, start, end, lang) ->
list[RecordSection]``, its sections of a member's record for the local dates [start, end].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Sequence


@dataclass(frozen=True)
class PointEvent:
    member_id: int
    rule_key: str  # a point_rules key (seeds/points.yaml); an unknown key earns nothing
    source_kind: str  # what it belongs to: item | session | plan | …
    source_id: str
    occurred_at: datetime
    reason: str  # short, shown to the member: a report's code and title at most, never its text
    gives_back: bool = False  # undoes the earned entry of the same member, rule and source


@dataclass(frozen=True)
class RecordSection:
    key: str  # stable name of the section (the workbook's sheet)
    title: str  # in the reader's language
    headings: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)


PointSource = Callable[[Any, "datetime | None", datetime], Awaitable[list[PointEvent]]]
RecordPart = Callable[..., Awaitable[list[RecordSection]]]  # (conn, member, start, end, lang)
