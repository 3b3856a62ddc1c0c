"""调查研究 (research projects, issue 13; seed lines 6181–6203): members propose research directions,
a special committee's director opens projects, and every member — not only the committee's — is
called to take part, breaking committee silos. A project follows the steps of theme-education
research (选准课题 → 深入调研走访 → 交流调研成果, seed lines 1382–1400) as dated milestones with
reminders; its field visits are study-calendar sessions (RSVP, reminders, check-in); participants
send findings; the director delivers the research paper (调研报告) to the participants, the office,
the digest, the duty record and the points.

``propose`` is the members' proposals and the committee's decision, ``director`` the director's
chat (open, progress, steps, the paper), ``visits`` a field visit arranged in chat, ``projects`` a
project's life (chat and command line),
``views`` what members do and read, ``points``/``record``/``export`` the other features' views."""

from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.research import director, points, propose, projects, record, views, visits
from handlers.research.common import ACT, MERGE_INTO, MILESTONE, may_open

ACTIONS = {"propose": propose.start, "open": director.start, "join": views.join, "decline": views.decline,
           "finding": views.finding, "progress": director.progress, "paper": director.paper, "visit": visits.start,
           "accept": propose.accept, "merge": propose.merge, "refuse": propose.refuse}


async def on_button(ctx, fields: dict) -> None:
    await ACTIONS[fields["action"]](ctx, fields)


FEATURE = Feature(
    name="research",
    commands={"research": views.cmd_research},
    buttons={ACT: on_button, MERGE_INTO: propose.merge_into, MILESTONE: director.step_done,
             propose.STEP: propose.on_step, director.STEP: director.on_step, visits.STEP: visits.on_step},
    flows={propose.PROPOSE.name: propose.on_text, propose.DECLINE_FLOW: propose.on_decline_text,
           director.OPEN.name: director.on_open_text, director.PAPER_FLOW: director.on_paper,
           views.FINDING_FLOW: views.on_finding, visits.VISIT.name: visits.on_text},
    jobs={"research.step": projects.step_job},
    upcoming=[views.upcoming],  # the steps of my projects due in the digest's week
    recent=[views.recent],  # the research papers delivered (调研成果)
    my_parts=[views.my_part],
    menu=[("research", N_("Research projects (调查研究)"), None)],
    help=[(None, N_("/research — research (调查研究): propose a direction, take part in a project, send findings")),
          (may_open, N_("/research — also: open a project for your committee, see its progress, deliver its paper"))],
    personal_data=views.personal_data,
    point_sources=[points.events],  # joined, each finding, the paper delivered
    record_parts=[record.record_part],  # projects taken part in, directions proposed
)
