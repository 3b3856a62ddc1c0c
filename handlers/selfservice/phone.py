"""``/phone``: the member gives their own phone number — typed (a mainland mobile such as
138 0013 8000, or a landline with its area code such as 022-2345 6789, checked with Google's
libphonenumber rules), or shared with Telegram's "share my phone number" button, which must be
the sender's own contact. Each change is in the audit log (the number masked); an unfinished
draft is kept and handed back afterwards."""

from __future__ import annotations

import phonenumbers

from handlers.core.context import Ctx, shows_nothing, utf16_len
from handlers.core.flows import resume, suspend_into
from handlers.core.i18n import N_
from storage import audit
from storage import selfservice as store

FLOW = "phone"
CANCEL = N_("✖ Cancel")  # the keyboard's second button: sent back as its text
LONGEST = 40  # characters a typed number may have (spaces, dashes and brackets included)
_KINDS = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
          phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def normalised(text: str) -> str | None:
    """A mainland China mobile or landline number as E.164 (+8613800138000), or None."""
    if not text or utf16_len(text) > LONGEST:
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if (phonenumbers.region_code_for_number(number) != "CN" or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in _KINDS):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def readable(e164: str) -> str:
    """+8613800138000 → 138 0013 8000; +862223456789 → 022 2345 6789."""
    return phonenumbers.format_number(phonenumbers.parse(e164, "CN"), phonenumbers.PhoneNumberFormat.NATIONAL)


def masked(e164: str) -> str:
    """For the audit log: the last four digits only."""
    return "*" * (len(e164) - 4) + e164[-4:]


async def cmd_phone(ctx: Ctx) -> None:
    t = ctx.t
    current = await store.phone(ctx.conn, ctx.member.id)
    head = t("Your phone number on file: {number}.", number=readable(current.phone)) if current else \
        t("You have not given a phone number yet.")
    await suspend_into(ctx, FLOW, "number", {})
    text = head + "\n" + t("Send your number — a mobile such as 138 0013 8000, or a landline with its area code "
                           "such as 022-2345 6789 — or press the button below to share your Telegram number. "
                           "/cancel to stop.")
    keyboard = {"keyboard": [[{"text": t.plain("📱 Share my phone number"), "request_contact": True}],
                             [{"text": t.plain(CANCEL)}]],
                "resize_keyboard": True, "one_time_keyboard": True}
    await ctx.call("sendMessage", {"chat_id": ctx.event.chat_id, "text": text, "parse_mode": "HTML",
                                   "reply_markup": keyboard}, chat_id=ctx.event.chat_id)


async def on_phone(ctx: Ctx, conv) -> None:
    """The member's answer in the /phone conversation: a contact or a typed number."""
    t = ctx.t
    if ctx.event.contact is not None:
        number_text, owner = ctx.event.contact
        if owner != ctx.event.user_id:
            await ctx.reply(t("That is someone else's contact. Please press the button to share your own "
                              "number, or type it. Nothing was changed."))
            return
        source = "contact"
    elif ctx.event.attachments or shows_nothing(ctx.event.text or ""):
        await ctx.reply(t("Please type your phone number, or press the button to share it. /cancel to stop."))
        return
    elif (ctx.event.text or "").strip() == t.plain(CANCEL):  # the keyboard's own way out
        await _answer(ctx, t("Cancelled; your phone number is unchanged."))
        await resume(ctx, conv)
        return
    else:
        number_text, source = (ctx.event.text or "").strip(), "typed"
    number = normalised(number_text)
    if number is None:
        await ctx.reply(t("That does not look like a mainland China phone number. Please send a mobile number "
                          "(11 digits, such as 138 0013 8000) or a landline with its area code (such as "
                          "022-2345 6789). Nothing was changed."))
        return
    before = await store.phone(ctx.conn, ctx.member.id)
    await store.set_phone(ctx.conn, ctx.member.id, number, source, ctx.now)
    await audit.record(ctx.conn, f"member:{ctx.member.id}", "phone_set",
                       {"member": ctx.member.roster_id, "source": source, "phone": masked(number),
                        "before": masked(before.phone) if before else None}, ctx.now)
    await _answer(ctx, t("✅ Saved: your phone number is now {number}.", number=readable(number)))
    await resume(ctx, conv)


async def _answer(ctx: Ctx, text: str) -> None:
    """The conversation's last answer, taking the share-and-cancel keyboard away."""
    await ctx.call("sendMessage", {"chat_id": ctx.event.chat_id, "parse_mode": "HTML", "text": text,
                                   "reply_markup": {"remove_keyboard": True}}, chat_id=ctx.event.chat_id)


async def personal_data(conn, member) -> dict:
    """For /mydata: the phone number the member gave, and how."""
    row = await store.phone(conn, member.id)
    return {"phone": None if row is None else {"number": row.phone, "given_by": row.source,
                                               "updated_at": row.updated_at}}
