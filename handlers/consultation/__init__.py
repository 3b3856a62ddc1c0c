"""远程协商: consultation meetings (专题协商会) with a main venue and sub-venues (分会场), RSVPs that
name the venue, written statements (书面发言) and requests to speak (申请发言) before, check-in and
live comments (在线留言) during, and after it the compilation (发言摘登), materials, the minutes and
the departments' responses (issue 10; PRODUCT.md §13).

``meetings`` is the organisers' work (the command line: bot/cli/consultation.py), ``answers``
the members' card and ``/consultations``, ``statements`` the statements and requests with the
organisers' decisions, ``live`` the comments, ``jobs`` the reminders, ``views`` /my, the digest
and /mydata, ``export`` the documents, ``cards`` what is shown, ``terms`` the vocabulary.
Every press is checked: a member's against their invitation, an organiser's with
``roles.runs_committee`` (the committee's staff, or an office admin).
"""

from handlers.consultation import answers, calendar, jobs, live, points, record, statements, views
from handlers.consultation.terms import CARD, ORGANISER, PUSH, STEP
from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.core.roles import is_admin, staff_committee
from storage import conversations


async def on_step(ctx, fields: dict) -> None:
    """The flows' buttons (one prefix for both): the member's own flow answers them."""
    conv = await conversations.load(ctx.conn, ctx.event.user_id)
    flow = live.COMMENT if conv is not None and conv.flow == live.COMMENT.name else statements.STATEMENT
    await flow.on_button(ctx, fields)


def _organiser(member) -> bool:
    return is_admin(member) or staff_committee(member) is not None


FEATURE = Feature(
    name="consultation",
    commands={"consultations": answers.cmd_consultations},
    menu=[("consultations", N_("Consultation meetings (专题协商会)"), None)],
    buttons={CARD: answers.on_card, ORGANISER: statements.on_organiser, PUSH: live.on_push, STEP: on_step},
    flows={statements.STATEMENT.name: statements.STATEMENT.on_message, live.COMMENT.name: live.COMMENT.on_message,
           "knote": statements.on_note_text, "kspeak": statements.on_request_text},
    jobs={"consult.remind": jobs.remind},
    upcoming=[views.upcoming],
    calendar=[calendar.calendar],  # /calendar: my meetings with my answer, statements' deadlines
    recent=[views.recent],
    my_parts=[views.my_part],
    help=[(None, N_("/consultations — consultation meetings (专题协商会): your invitations, written statements, "
                    "requests to speak and live comments")),
          (_organiser, N_("Organisers: /consultations shows your committee's meetings with their counts; statements "
                          "and requests to speak reach you with accept and return buttons."))],
    personal_data=views.personal_data,
    check_in=[answers.check_in],
    point_sources=[points.events],  # attended, statement accepted (采用), spoke in person
    record_parts=[record.record_part],
)
