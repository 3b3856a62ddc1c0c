"""The error of an office operation (a CLI command, an office admin's chat command, the console):
its message says what is wrong and how to fix it, and is shown as it is, never as a traceback. A
feature whose callers must tell its refusals apart subclasses it (``StudyError``, ``NoticeError``);
the command line catches the base once (bot/cli/support.py).

The message is a catalog msgid with its values, ``AdminError("no member {ref}", ref=roster_ref)``
(never an f-string: scripts/update-catalog.sh extracts every AdminError class's first argument).
``str(exc)`` is the English text (the CLI, logs); ``exc.text(t)`` / ``exc.translated(lang)`` the
reader's language. ``field=`` names the input the refusal is about (a form shows it beside it). A
value that is a word of the catalog — a status's label — is passed as a ``Term``, so a Chinese
reader reads it in Chinese too (意见 #2 的状态为已隐藏, not …为hidden)."""

from __future__ import annotations

from handlers.core.i18n import translator


class Term(str):
    """A refusal's value that is itself a catalog msgid (``Term(STATUS[row.status])``): English in
    ``str(exc)``, the reader's language in ``exc.text(t)``."""


class AdminError(Exception):
    """An office operation was refused; the message says why (and how to fix it)."""

    def __init__(self, msgid: str, *, field: str | None = None, **values):
        # a value that is itself an AdminError is a refusal quoted inside this one (translated too)
        super().__init__(msgid.format(**values) if values else msgid)
        self.msgid, self.values, self.field = msgid, values, field

    def text(self, t) -> str:
        """The message in the language of ``t`` (a handlers.core.i18n.Translator), as plain text."""
        values = {k: v.text(t) if isinstance(v, AdminError) else t.plain(v) if isinstance(v, Term) else v
                  for k, v in self.values.items()}
        return t.plain(self.msgid, **values)

    def translated(self, lang: str | None) -> str:
        return self.text(translator(lang))

    @classmethod
    def like(cls, other: "AdminError", *, field: str | None = None) -> "AdminError":
        """``other``'s refusal as this class (a feature re-raising a refusal of one it uses)."""
        return cls(other.msgid, field=field or other.field, **other.values)
