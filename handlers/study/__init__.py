"""The study calendar (学习): sessions with RSVP, reminders and check-in, and reading plans
(PRODUCT.md §7). Times are entered and shown in Asia/Shanghai and stored in UTC (``times``).

Framework-free: the chat, the command line (``bot/cli_study.py``) and the scheduler go through
the functions of these modules, each inside one transaction whose outbox rows the bot's sender
delivers. ``sessions`` is the office's work, ``attendance`` the members' answers and check-in,
``plans`` the reading plans, ``jobs`` the timers, ``views`` what is shown, ``cards`` the
messages members get, ``terms`` the vocabulary.
"""

from handlers.core import roles
from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.study import attendance, calendar, jobs, points, record, views
from handlers.study.terms import BUTTON

FEATURE = Feature(
    name="study",
    commands={"sessions": views.cmd_sessions, "checkin": attendance.cmd_checkin, "study": views.cmd_study},
    menu=[("sessions", N_("Upcoming study sessions"), None), ("checkin", N_("Check in at a session"), None),
          ("study", N_("Plan the study sessions"), roles.is_admin)],
    buttons={BUTTON: attendance.on_button},
    flows={"study_excuse": attendance.on_excuse_text, "study_checkin": attendance.on_checkin_text},
    jobs={"study.remind": jobs.remind, "study.open": jobs.open_checkin, "study.materials": jobs.send_materials,
          "study.plan_day": jobs.plan_day_job},
    upcoming=[views.upcoming_for_digest],
    calendar=[calendar.calendar],  # /calendar: sessions with my answer, reading-plan days
    personal_data=views.personal_data,
    record_parts=[record.record_part],  # sessions (excused absences too), reading plans
    point_sources=[points.events],  # attended (check-in), full training (a whole reading plan)
)
