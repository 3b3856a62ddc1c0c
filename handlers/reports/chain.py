"""What an outcome chain says (采用 → 报送 → 批示 → 转办 → 反馈): the kinds of step, the detail
each needs, and the words for cards, /my, digests and exports. A report takes the state named
like its latest step (storage/items.py: every kind but "answered" is RESOLVED; "answered",
转有关部门参考, leaves it being handled, as before chains). Recording a step is
handlers/reports/outcomes.py; the rows are storage/outcomes.py."""

from __future__ import annotations

from handlers.core.i18n import N_, translator
from storage import outcomes as outcome_store

# The choices of "🏁 Record outcome", in this order (a duplicate is merged instead: merge.py).
OUTCOME_LABELS = {"adopted": N_("Adopted (采用)"), "reported_up": N_("Reported up (报送)"),
                  "instructed": N_("Leader instruction (批示)"), "transferred": N_("Transferred (转办)"),
                  "feedback": N_("Department feedback (反馈)"), "answered": N_("Answered"),
                  "not_adopted": N_("Not adopted")}
# What each kind asks for before the note: the body it went to, the leader's level, a department.
DETAIL = {"reported_up": "body", "instructed": "level", "transferred": "department", "feedback": "department"}
# Bodies a report is sent up to (报送对象) and levels of a leader's instruction: generic, no names.
BODIES = {"national_cppcc": N_("CPPCC National Committee (全国政协)"), "city_party": N_("Municipal Party Committee (市委)"),
          "city_government": N_("Municipal Government (市政府)"), "city_cppcc": N_("Municipal CPPCC (市政协)"),
          "district_party": N_("District Party Committee (区委)"),
          "district_government": N_("District Government (区政府)")}
LEVELS = {"national": N_("national"), "city": N_("city-level"), "district": N_("district-level")}
# One step with its detail, as the chain shows it.
STEP_LABELS = {"adopted": N_("adopted (采用)"), "reported_up": N_("reported up to {body}"),
               "instructed": N_("instruction by {level} leaders"), "transferred": N_("transferred to {department}"),
               "feedback": N_("feedback from {department}"), "answered": N_("answered"),
               "not_adopted": N_("not adopted")}


def department_name(step, lang: str) -> str:
    return (step.department_en if lang == "en" else step.department_zh) or ""


def step_label(step, lang: str) -> str:
    """One step in words, with its detail (plain text: the caller escapes)."""
    t = translator(lang)
    return t.plain(STEP_LABELS[step.kind], body=t.plain(BODIES[step.body]) if step.body in BODIES else "",
                   level=t.plain(LEVELS[step.level]) if step.level in LEVELS else "",
                   department=department_name(step, lang))


def chain_text(steps, lang: str) -> str:
    """The whole chain on one line: 采用 → 已报送市委 → 转市交通运输委办理 → … (plain text)."""
    return " → ".join(step_label(step, lang) for step in steps)


async def card_line(conn, item, lang: str) -> str | None:
    """The chain as a card shows it (HTML), or None before the first step."""
    steps = await outcome_store.chain(conn, item.id)
    if not steps:
        return None
    return translator(lang)("Outcome (办理结果): {chain}", chain=chain_text(steps, lang))
