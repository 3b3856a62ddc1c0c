"""Telegram text formatting: parse_mode parsing into plain text + entities, like the real server.

Offsets and lengths are in UTF-16 code units, as in the Bot API. Errors raise
``FormatError`` whose message is the part after "Bad Request: can't parse entities: ".
"""

from __future__ import annotations

import re

__all__ = ["FormatError", "parse", "utf16_len", "utf16_slice", "finalize", "detect_entities", "with_detected",
           "first_link"]


class FormatError(ValueError):
    pass


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def utf16_slice(s: str, offset: int, length: int) -> str:
    return s.encode("utf-16-le")[2 * offset:2 * (offset + length)].decode("utf-16-le")


# a link ends at a space or at Chinese/full-width punctuation, and punctuation just before that is not part of it
_LINK_CHAR = r"[^\s\u3000-\u303f\uff00-\uffef]"
_LINK_END = r"(?=[.,;:!?)]*(?:[\s\u3000-\u303f\uff00-\uffef]|$))"
_AUTO_ENTITIES = [
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("url", re.compile(r"https?://" + _LINK_CHAR + "+?" + _LINK_END)),
    # a link typed without its scheme: a domain under a common top-level domain
    ("url", re.compile(r"(?<![\w@./-])(?:[A-Za-z0-9-]+\.)+(?:com|org|net|cn|gov|edu|io|me|info)(?![\w-])"
                       r"(?:/" + _LINK_CHAR + "*?)?" + _LINK_END)),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}")),
    ("hashtag", re.compile(r"(?<![\w#])#\w+")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{1,8}(?![A-Za-z])")),
    ("phone_number", re.compile(r"(?<![\w+])\+\d{1,3}[ -]?\d(?:[ -]?\d){6,13}(?!\d)")),
]
# explicit entities whose text Telegram does not search for links, commands ...
_OPAQUE = {"text_link", "text_mention", "code", "pre", "custom_emoji"}


def first_link(text: str, entities: list[dict]) -> str | None:
    """The URL a link preview would be made of: the first url or text_link entity."""
    for e in entities:
        if e["type"] == "url":
            link = utf16_slice(text, e["offset"], e["length"])
            return link if "://" in link else "http://" + link
        if e["type"] == "text_link":
            return e["url"]
    return None


def with_detected(text: str, entities: list[dict]) -> list[dict]:
    """Explicit entities plus those Telegram finds itself in the text (links, mentions, commands ...)
    outside the explicit links and code."""
    opaque = [(e["offset"], e["offset"] + e["length"]) for e in entities if e["type"] in _OPAQUE]
    found = [e for e in detect_entities(text)
             if not any(start < e["offset"] + e["length"] and e["offset"] < end for start, end in opaque)]
    return sorted(entities + found, key=lambda e: (e["offset"], -e["length"]))


def detect_entities(text: str) -> list[dict]:
    """Entities Telegram finds in what people type: commands, links, e-mail addresses, mentions,
    hashtags, cashtags, phone numbers."""
    found = sorted((m.start(), m.end(), kind) for kind, rx in _AUTO_ENTITIES for m in rx.finditer(text))
    entities, taken = [], 0
    for start, end, kind in found:
        if start >= taken:  # the first match wins where they overlap
            entities.append({"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])})
            taken = end
    return entities


class _Out:
    """Accumulates plain text and entities while tracking the UTF-16 offset."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict] = []

    def add(self, s: str) -> None:
        self.parts.append(s)
        self.pos += utf16_len(s)

    def entity(self, start: int, type_: str, **extra) -> None:
        if self.pos > start:  # Telegram drops empty entities
            self.entities.append({"type": type_, "offset": start, "length": self.pos - start, **extra})

    @property
    def text(self) -> str:
        return "".join(self.parts)


def parse(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    mode = (parse_mode or "").lower()
    if not mode:
        return text, []
    if mode == "html":
        out = _html(text)
    elif mode == "markdownv2":
        out = _markdown(text, v2=True)
    elif mode == "markdown":
        out = _markdown(text, v2=False)
    else:
        raise ValueError("unsupported parse_mode")
    return out.text, out.entities


def finalize(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Trim surrounding whitespace (Telegram does) and clip/sort entities accordingly."""
    stripped = text.lstrip(" \t\r\n")
    shift = utf16_len(text) - utf16_len(stripped)
    stripped = stripped.rstrip(" \t\r\n")
    end = utf16_len(stripped)
    fixed = []
    for e in entities:
        start = max(0, e["offset"] - shift)
        stop = min(end, e["offset"] - shift + e["length"])
        if stop > start:
            fixed.append({**e, "offset": start, "length": stop - start})
    fixed.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, fixed


# ---------------------------------------------------------------- HTML

_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "a": "text_link", "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|lt|gt|amp|quot);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def _unescape(value: str) -> str:
    def repl(m: re.Match) -> str:
        name = m.group(1)
        if name[0] == "#":
            code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
            return chr(code) if 0 < code < 0x110000 else m.group(0)
        return _NAMED[name]

    return _ENTITY_RE.sub(repl, value)


def _html(src: str) -> _Out:
    out = _Out()
    stack: list[tuple[str, int, dict]] = []  # (tag, start offset, attributes)
    i, n = 0, len(src)

    def at() -> int:
        return len(src[:i].encode())

    while i < n:
        c = src[i]
        if c == "&":
            m = _ENTITY_RE.match(src, i)
            if m:
                out.add(_unescape(m.group(0)))
                i = m.end()
                continue
            out.add("&")  # a lone ampersand is kept as text, like Telegram
            i += 1
            continue
        if c != "<":
            j = i
            while j < n and src[j] not in "<&":
                j += 1
            out.add(src[i:j])
            i = j
            continue
        end = src.find(">", i)
        if end < 0:
            raise FormatError(f"Can't find end of the tag starting at byte offset {at()}")
        body = src[i + 1:end]
        if body.startswith("/"):
            name = body[1:].strip().lower()
            if not stack:
                raise FormatError(f'Unexpected end tag at byte offset {at()}')
            tag, start, attrs = stack.pop()
            if name != tag:
                raise FormatError(
                    f'Unmatched end tag at byte offset {at()}, expected "</{tag}>", found "</{name}>"')
            _close_html(out, stack, tag, start, attrs)
        else:
            m = re.match(r"[a-zA-Z][a-zA-Z0-9-]*", body)
            name = m.group(0).lower() if m else ""
            if name not in _SIMPLE_TAGS:
                raise FormatError(f'Unsupported start tag "{name or body}" at byte offset {at()}')
            attrs = {a.lower(): _unescape(v1 or v2 or v3 or "")
                     for a, v1, v2, v3 in _ATTR_RE.findall(body[len(name):].rstrip("/"))}
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise FormatError(f'Tag "span" must have class "tg-spoiler" at byte offset {at()}')
            if name == "tg-emoji" and "emoji-id" not in attrs:
                raise FormatError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {at()}')
            stack.append((name, out.pos, attrs))
        i = end + 1
    if stack:
        raise FormatError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out


def _close_html(out: _Out, stack: list, tag: str, start: int, attrs: dict) -> None:
    kind = _SIMPLE_TAGS[tag]
    if tag == "a":
        href = attrs.get("href", "")
        if m := re.match(r"tg://user\?id=(\d+)$", href):
            out.entity(start, "text_mention", user={"id": int(m.group(1)), "is_bot": False, "first_name": ""})
        elif href:
            out.entity(start, "text_link", url=href)
    elif tag == "code" and stack and stack[-1][0] == "pre":
        # <pre><code class="language-x"> is a single pre entity carrying the language
        lang = attrs.get("class", "")
        if lang.startswith("language-"):
            stack[-1][2]["language"] = lang[len("language-"):]
    elif tag == "pre":
        extra = {"language": attrs["language"]} if attrs.get("language") else {}
        out.entity(start, "pre", **extra)
    elif tag == "blockquote":
        out.entity(start, "expandable_blockquote" if "expandable" in attrs else "blockquote")
    elif tag == "tg-emoji":
        out.entity(start, "custom_emoji", custom_emoji_id=attrs["emoji-id"])
    else:
        out.entity(start, kind)


# ---------------------------------------------------------------- Markdown / MarkdownV2

_V2_MARKS = {"__": "underline", "||": "spoiler", "*": "bold", "_": "italic", "~": "strikethrough"}
_V1_MARKS = {"*": "bold", "_": "italic"}
_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_ENTITY_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
                 "spoiler": "Spoiler", "text_link": "TextUrl", "code": "Code", "pre": "Pre"}


def _markdown(src: str, v2: bool) -> _Out:
    out = _Out()
    marks = _V2_MARKS if v2 else _V1_MARKS
    stack: list[tuple[str, int, int]] = []  # (marker, start offset, byte offset)
    quote_start: int | None = None
    i, n = 0, len(src)

    def at(k: int) -> int:
        return len(src[:k].encode())

    def read_until(k: int, closer: str) -> tuple[str, int]:
        """Read raw text up to `closer`, honouring backslash escapes; returns (text, index after closer)."""
        buf = []
        while k < n:
            if src.startswith(closer, k):
                return "".join(buf), k + len(closer)
            if v2 and src[k] == "\\" and k + 1 < n:
                k += 1
            buf.append(src[k])
            k += 1
        raise FormatError(f"Can't find end of the entity starting at byte offset {at(i)}")

    while i < n:
        c = src[i]
        if v2 and c == ">" and (i == 0 or src[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.pos
            i += 1
            continue
        if c == "\n" and quote_start is not None and not src.startswith(">", i + 1):
            out.entity(quote_start, "blockquote")
            quote_start = None
        if c == "\\" and i + 1 < n and (v2 and 0 < ord(src[i + 1]) < 127 or src[i + 1] in "_*`["):
            out.add(src[i + 1])
            i += 2
            continue
        if src.startswith("```", i):
            body, i2 = read_until(i + 3, "```")
            lang, nl, rest = body.partition("\n")
            start = out.pos
            if nl and lang and not any(ch.isspace() for ch in lang):
                out.add(rest)
                out.entity(start, "pre", language=lang)
            else:
                out.add(body)
                out.entity(start, "pre")
            i = i2
            continue
        if c == "`":
            body, i2 = read_until(i + 1, "`")
            start = out.pos
            out.add(body)
            out.entity(start, "code")
            i = i2
            continue
        if c == "[":
            close = _find_link_end(src, i + 1, v2)
            if close is not None and src.startswith("(", close + 1):
                url, i2 = read_until(close + 2, ")")
                inner = _markdown(src[i + 1:close], v2) if v2 else _Out()
                if not v2:
                    inner.add(src[i + 1:close])
                start = out.pos
                for e in inner.entities:
                    out.entities.append({**e, "offset": e["offset"] + start})
                out.add(inner.text)
                if m := re.match(r"tg://user\?id=(\d+)$", url):
                    out.entity(start, "text_mention", user={"id": int(m.group(1)), "is_bot": False, "first_name": ""})
                else:
                    out.entity(start, "text_link", url=url)
                i = i2
                continue
            if v2:
                raise FormatError("Character '[' is reserved and must be escaped with the preceding '\\'")
        mark = next((m for m in marks if src.startswith(m, i)), None)
        if mark:
            if stack and stack[-1][0] == mark:
                _, start, _ = stack.pop()
                out.entity(start, marks[mark])
            elif any(s[0] == mark for s in stack):
                raise FormatError(f"Can't find end of {_ENTITY_NAMES[marks[stack[-1][0]]]} entity "
                                  f"at byte offset {stack[-1][2]}")
            else:
                stack.append((mark, out.pos, at(i)))
            i += len(mark)
            continue
        if v2 and c in _V2_RESERVED:
            raise FormatError(f"Character '{c}' is reserved and must be escaped with the preceding '\\'")
        out.add(c)
        i += 1
    if stack:
        mark, _, offset = stack[-1]
        raise FormatError(f"Can't find end of {_ENTITY_NAMES[marks[mark]]} entity at byte offset {offset}")
    if quote_start is not None:
        out.entity(quote_start, "blockquote")
    return out


def _find_link_end(src: str, k: int, v2: bool) -> int | None:
    depth = 0
    while k < len(src):
        if v2 and src[k] == "\\":
            k += 2
            continue
        if src[k] == "[":
            depth += 1
        elif src[k] == "]":
            if depth == 0:
                return k
            depth -= 1
        k += 1
    return None
