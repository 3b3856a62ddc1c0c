"""The guide's small Markdown, as Telegram's HTML: ``# heading`` (bold), ``**bold**``, ``- item``
(•), ``- [ ] item`` (☐, a checklist), everything else as written. Each line stays one line, so a
page never holds a tag across lines."""

from __future__ import annotations

import html
import re

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_CHECK = re.compile(r"^\s*[-*]\s+\[( |x|X)\]\s+(.*)$")
_ITEM = re.compile(r"^(\s*)[-*]\s+(.*)$")


def title_and_body(text: str) -> tuple[str | None, str]:
    """A file's first ``# heading`` line as the page's title (None: none), and the rest."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    if lines and (found := re.match(r"^#\s+(.+)$", lines[0].strip())):
        return found.group(1).strip(), "\n".join(lines[1:]).strip("\n")
    return None, "\n".join(lines)


def to_html(body: str) -> str:
    out = []
    for line in body.split("\n"):
        line = line.rstrip()
        if heading := _HEADING.match(line):
            out.append(f"<b>{_inline(heading.group(1))}</b>")
        elif check := _CHECK.match(line):
            out.append(("☑ " if check.group(1) in "xX" else "☐ ") + _inline(check.group(2)))
        elif item := _ITEM.match(line):
            out.append(item.group(1) + "• " + _inline(item.group(2)))
        else:
            out.append(_inline(line))
    return "\n".join(out)


def _inline(text: str) -> str:
    return _BOLD.sub(lambda m: f"<b>{m.group(1)}</b>", html.escape(text, quote=False))
