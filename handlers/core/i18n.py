"""Every user-facing string goes through gettext catalogs; zh-CN is the default.

Source strings (msgids) are English, so English needs no translation; ``locales/zh_CN``
holds the Chinese. Catalogs are ``.po`` files compiled in memory by Babel at first use, so
the repository carries no generated ``.mo`` files.
"""

from __future__ import annotations

import html
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent.parent / "locales"
DOMAIN = "linkage"
DEFAULT_LANGUAGE = "zh"
LANGUAGES = ("zh", "en")
_CATALOG_DIRS = {"zh": "zh_CN", "en": "en"}


class Html(str):
    """A string that is already safe HTML (it is not escaped again when interpolated)."""


def language_for(code: str | None) -> str:
    """Map a stored choice or Telegram's language_code to one we speak; Chinese by default."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=None)
def _translations(lang: str) -> NullTranslations:
    po = LOCALES / _CATALOG_DIRS[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=_CATALOG_DIRS[lang])
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


class Translator:
    """``t("Hello {name}", name=...)``: translates, then fills in HTML-escaped values."""

    def __init__(self, lang: str):
        self.lang = language_for(lang)
        self._gettext = _translations(self.lang).gettext

    def __call__(self, msgid: str, **values) -> str:
        text = self._gettext(msgid)
        if not values:
            return text
        return text.format(**{k: v if isinstance(v, Html) else html.escape(str(v), quote=False)
                              for k, v in values.items()})

    def plain(self, msgid: str, **values) -> str:
        """For texts Telegram shows without parsing (button labels, callback answers)."""
        return self._gettext(msgid).format(**values) if values else self._gettext(msgid)


def translator(lang: str | None) -> Translator:
    return _translator(language_for(lang))


@lru_cache(maxsize=None)
def _translator(lang: str) -> Translator:
    return Translator(lang)


def N_(msgid: str) -> str:
    """Marks a string for extraction where it is translated later (labels in tables)."""
    return msgid
