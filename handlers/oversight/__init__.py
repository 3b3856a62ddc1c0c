"""民主监督 (oversight, issue 13 items 5–8): the office or a committee follows up what a responsible
department (承办单位) promised — from a report, a consultation statement or on its own — through
the department's replies, which the office records, the raisers' ratings (满意 / 基本满意 / 不满意;
不满意 reopens the item with a new working-day deadline) and inspections (视察: study-calendar
sessions linked to the items, whose participants attach findings).

``items`` is an item's life (command line and chat alike; every status change recorded with who,
when and why), ``members`` the raisers' ratings and the participants' findings, ``office`` the office's and the
committee staff's buttons in chat, ``inspections``
the calendar sessions, ``views`` what members read and the other features' views, ``export`` the
office's workbook, ``common`` what they share."""

from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.oversight import inspections, items, members, office, views
from handlers.oversight.common import FIND, FIND_FLOW, RATE, RATE_FLOW

FEATURE = Feature(
    name="oversight",
    commands={"oversight": views.cmd_oversight},
    buttons={RATE: members.on_rate, FIND: members.on_find, office.OFFICE: office.on_press},
    flows={RATE_FLOW: members.on_rate_text, FIND_FLOW: members.on_find_text, office.OFFICE_FLOW: office.on_text},
    jobs={"oversight.overdue": items.overdue_job, "oversight.findings": inspections.findings_job},
    recent=[views.recent],
    my_parts=[views.my_part],
    menu=[("oversight", N_("Oversight (民主监督): items I raised or inspected"), None)],
    help=[(None, N_("/oversight — oversight (民主监督): the items you raised, co-signed or inspected, with their "
                    "status; rate a department's reply; add inspection findings"))],
    personal_data=views.personal_data,
    point_sources=[views.point_events],
    record_parts=[views.record_part],
)
