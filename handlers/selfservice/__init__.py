"""A member's self-service (issue 11, item 7): ``/calendar`` — everything coming up for me in the
next 30 days, from every feature's ``Feature.calendar`` hook, in time order, paged; ``/phone`` —
my own phone number, typed or shared with Telegram's contact button; and the yearly summary at
year end (a restart-safe timer, once per member and year). The language stays with the members
feature (/language), reachable from /help and the menu.

``calendar`` answers /calendar, ``phone`` the /phone conversation, ``summary`` the year's message
and its timer; their tables are in storage/selfservice.py.
"""

from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.selfservice import calendar, phone, summary

FEATURE = Feature(
    name="selfservice",
    commands={"calendar": calendar.cmd_calendar, "phone": phone.cmd_phone},
    buttons={calendar.PAGE: calendar.on_page, summary.OPEN: summary.on_button},
    flows={phone.FLOW: phone.on_phone},
    jobs={summary.KIND: summary.fire},
    planners=[summary.plan_summary],
    menu=[("calendar", N_("Everything coming up for me"), None), ("phone", N_("My phone number"), None)],
    help=[(None, N_("/calendar — everything coming up for you in the next 30 days: sessions, meetings, "
                    "statements due, deliberation topics")),
          (None, N_("/phone — give or change your phone number"))],
    personal_data=phone.personal_data,
)
