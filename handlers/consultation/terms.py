"""The consultation's vocabulary: its buttons, limits, the answers a member may give, and the
error an office operation raises."""

from __future__ import annotations

import html
from datetime import timedelta

from handlers.core.buttons import ButtonData, Optional
from handlers.core.errors import AdminError
from handlers.core.i18n import N_

# a member's card: venue (v, with the venue id), online (o), cannot attend (n), check in (c),
# written statement (s), ask to speak (w), live comment (m)
CARD = ButtonData("kx", action=("v", "o", "n", "c", "s", "w", "m"), id=int, venue=Optional(int))
# an organiser's copy: accept (a) or return (r) a statement, mark its author as speaking in person
# or not (p), move it one place earlier (u); accept (sa) or decline (sd) a request to speak
ORGANISER = ButtonData("ko", action=("a", "r", "p", "u", "sa", "sd"), id=int)
PUSH = ButtonData("kp", comment=int)  # the host posts a live comment to the meeting's group
STEP = ButtonData("kf", refusal=N_("This button is no longer valid."), step=("file", "confirm", "name"), value=str)

TITLE_LIMIT = 60  # a statement's title, as Telegram counts it
STATEMENT_LIMIT = 2000  # a statement's text, as Telegram counts it
TOPIC_LIMIT = 200  # a speaking request's topic
COMMENT_LIMIT = 500  # a live comment
CHECKIN_EARLY = timedelta(minutes=30)  # the 签到 button and the codes work from 30 minutes before the start
REMINDER_MINUTES = (2880, 120)  # 48 h and 2 h before

ANSWERS = {"invited": N_("not answered yet"), "venue": N_("attending at {venue}"), "online": N_("online (线上参会)"),
           "absent": N_("cannot attend (不能参加)")}
STATEMENT_STATUS = {"submitted": N_("submitted, waiting for the organisers"), "accepted": N_("accepted"),
                    "returned": N_("returned")}
REQUEST_STATUS = {"pending": N_("waiting for the organisers"), "accepted": N_("accepted"),
                  "declined": N_("declined")}
MAIN_VENUE = N_("Main venue (主会场)")


class ConsultationError(AdminError):
    """What an organiser did wrong (command line), and how to fix it."""


def esc(text: str) -> str:
    return html.escape(text or "", quote=False)


def is_on(meeting, now) -> bool:
    """The meeting is on: check-in and live comments work (30 minutes before the start to the end)."""
    return meeting.starts_at - CHECKIN_EARLY <= now <= meeting.ends_at
