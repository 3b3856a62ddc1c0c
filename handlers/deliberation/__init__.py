"""网络议政 (online deliberation, PRODUCT.md §13): a special committee puts a topic (议题) to an
audience of members, who give their views and reply in threads (跟帖) until it closes; the
committee moderates (hide with a reason, pin), gets a summary and an XLSX when it closes, and posts
its conclusion (议政结论), which reaches every participant and the weekly digest.

``topics`` is the life of a topic (chat and command line alike), ``contribute`` the members'
flow, ``committee`` the committee's chat, ``views`` what members read, ``mirror`` the room's and
the committee's copies, ``summary`` the closing summary and export, ``common`` what they share."""

from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.deliberation import committee, contribute, mirror, topics, views
from handlers.deliberation.common import ACT

ACTIONS = {"say": contribute.start, "view": views.view, "reply": contribute.reply, "edit": contribute.edit,
           "withdraw": contribute.withdraw, "hide": committee.hide, "pin": committee.pin,
           "conclude": committee.conclude, "close": committee.close}


async def on_button(ctx, fields: dict) -> None:
    await ACTIONS[fields["action"]](ctx, fields)


FEATURE = Feature(
    name="deliberation",
    commands={"deliberations": views.cmd_deliberations, "deliberate": committee.start},
    buttons={ACT: on_button, contribute.STEP: contribute.on_step, committee.STEP: committee.on_step},
    flows={contribute.SAY.name: contribute.on_say_text, contribute.EDIT_FLOW: contribute.on_edit_text,
           committee.OPEN.name: committee.on_open_text, committee.HIDE_FLOW: committee.on_hide_text,
           committee.CONCLUDE_FLOW: committee.on_conclude_text},
    jobs={"deliberation.open": topics.open_job, "deliberation.close": topics.close_job},
    upcoming=[views.upcoming],
    recent=[views.recent],
    my_parts=[views.my_part],
    menu=[("deliberations", N_("Online deliberation (网络议政)"), None),
          ("deliberate", N_("Open a deliberation topic"), committee.may_open)],
    help=[(None, N_("/deliberations — online deliberation (网络议政): topics open to you, give your view, reply")),
          (committee.may_open, N_("/deliberate — open a deliberation topic for your committee"))],
    personal_data=views.personal_data,
    on_target_bound=[mirror.on_room_bound],  # a room bound late gets the views given before
)
