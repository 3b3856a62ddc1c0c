"""The week's publication draft, laid out for copying into the WeChat official account's editor.

What may be published, and only that:
- adopted reports (采用) of the week: a named report with its author and its 意见建议; a report
  named to the office only, or anonymous, as 「一位委员」 with its title and topic — never its
  text, which could point to the author, never an alias;
- deliberation conclusions (议政结论) of the week;
- channel items published in the week (not drafts, scheduled or withdrawn ones); a member profile
  (委员风采) only while the member's recorded consent holds.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from handlers.channels.items import ChannelError, channel_name
from handlers.core.context import clip
from handlers.core.i18n import translator
from handlers.core.localtime import local_at, local_day, shown
from storage import channels as store
from storage import deliberation as deliberation_store
from storage import digests as digest_store
from storage import reference


@dataclass
class Section:
    heading: str
    entries: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, paragraphs)


def week_window(week: str | None, now: datetime) -> tuple[str, datetime, datetime]:
    """'2026-W49' (ISO week; default: this week) → (label, start, end) in UTC, Monday 00:00 Shanghai."""
    if week:
        try:
            year, number = week.upper().split("-W")
            monday = date.fromisocalendar(int(year), int(number), 1)
        except ValueError:
            raise ChannelError("the week must look like 2026-W49, not {week!r}", week=week) from None
    else:
        today = local_day(now)
        monday = today - timedelta(days=today.weekday())
    year, number, _ = monday.isocalendar()
    return f"{year}-W{number:02d}", local_at(monday, "00:00"), local_at(monday + timedelta(days=7), "00:00")


async def sections(conn, start: datetime, end: datetime, lang: str = "zh") -> list[Section]:
    t = translator(lang)
    result = []
    adopted = await digest_store.adoptions(conn, start, end)
    texts = await store.suggestions(conn, [a.id for a in adopted if a.privacy == "named"])
    reports = Section(t.plain("Adopted social-opinion reports (社情民意信息采用)"))
    for a in adopted:
        topic = await reference.topic(conn, a.topic_code)
        topic_name = reference.name(topic, lang) if topic else a.topic_code
        title = a.title or a.code
        if a.privacy == "named":
            reports.entries.append((title, [t.plain("Reported by member {name} · {topic}", name=a.author_name,
                                                    topic=topic_name), clip(texts.get(a.id, ""), 600)]))
        else:
            reports.entries.append((title, [t.plain("Reported by a member · {topic}", topic=topic_name)]))
    result.append(reports)
    conclusions = Section(t.plain("Conclusions of online deliberation (网络议政)"))
    for topic in await deliberation_store.concluded_between(conn, start, end):
        conclusions.entries.append((topic.title, [p for p in (topic.conclusion or "").split("\n") if p.strip()]))
    result.append(conclusions)
    channels = {c.id: c for c in await store.all_channels(conn)}
    by_channel: dict[int, Section] = {}
    for item in sorted(await store.published_between(conn, start, end), key=lambda i: i.published_at):
        if item.kind == "profile":
            consent = item.profile_member_id and await store.consent(conn, item.profile_member_id)
            if not consent or not consent.consent:
                continue
        channel = channels[item.channel_id]
        section = by_channel.setdefault(channel.id, Section(channel_name(channel, lang)))
        paragraphs = [p for p in (item.body or "").split("\n") if p.strip()]
        if item.link:
            paragraphs.append(item.link)
        section.entries.append((item.title, paragraphs))
    result += [by_channel[c] for c in sorted(by_channel, key=lambda c: (channels[c].position, c))]
    return result


async def write(conn, out: str | Path, week: str | None, now: datetime, lang: str = "zh") -> tuple[Path, int]:
    """Write the draft (.docx or .html); returns (path, number of entries)."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".docx", ".html"):
        raise ChannelError("the draft must be written to a .docx or an .html file")
    label, start, end = week_window(week, now)
    parts = await sections(conn, start, end, lang)
    t = translator(lang)
    title = t.plain("Tianjin CPPCC members this week ({week})", week=label)
    span = f"{shown(start)[:10]} – {shown(end - timedelta(seconds=1))[:10]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".docx":
        _docx(path, title, span, parts, t)
    else:
        path.write_text(_html(title, span, parts, t), encoding="utf-8")
    return path, sum(len(s.entries) for s in parts)


def _docx(path: Path, title: str, span: str, parts: list[Section], t) -> None:
    from docx import Document  # only the draft needs it
    doc = Document()
    doc.add_heading(title, level=0)
    doc.add_paragraph(span)
    for section in parts:
        doc.add_heading(section.heading, level=1)
        if not section.entries:
            doc.add_paragraph(t.plain("Nothing this week."))
        for heading, paragraphs in section.entries:
            doc.add_heading(heading, level=2)
            for paragraph in paragraphs:
                doc.add_paragraph(paragraph)
    doc.save(path)


def _html(title: str, span: str, parts: list[Section], t) -> str:
    e = html.escape
    out = ['<!doctype html>', '<html lang="zh-CN"><head><meta charset="utf-8">', f"<title>{e(title)}</title>",
           "</head><body>", f"<h1>{e(title)}</h1>", f"<p>{e(span)}</p>"]
    for section in parts:
        out.append(f"<h2>{e(section.heading)}</h2>")
        if not section.entries:
            out.append(f"<p>{e(t.plain('Nothing this week.'))}</p>")
        for heading, paragraphs in section.entries:
            out.append(f"<h3>{e(heading)}</h3>")
            out += [f"<p>{e(p)}</p>" for p in paragraphs]
    out.append("</body></html>")
    return "\n".join(out)
