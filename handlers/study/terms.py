"""The study calendar's vocabulary: kinds of session and of reading day, the answers a member
may give, the button that carries them, and how the office writes a kind or an audience."""

from __future__ import annotations

from handlers.core import audience
from handlers.core.buttons import ButtonData, Optional
from handlers.core.errors import AdminError
from handlers.core.i18n import N_

# attend · excused · check in a session (id), or a reading plan's day studied (plan id, day)
BUTTON = ButtonData("st", action=("a", "e", "c", "p"), id=int, day=Optional(int))

KINDS = {"study": N_("member study (委员学习)"), "reading": N_("reading class (读书班)"),
         "training": N_("training (培训)"), "live": N_("live duty broadcast (履职直播)"),
         "visit": N_("field visit (调研走访)"),  # a research project's (handlers/research/)
         "inspection": N_("inspection (视察)")}  # an oversight item's (handlers/oversight/)
KIND_ALIASES = {"委员学习": "study", "学习": "study", "读书班": "reading", "培训": "training",
                "履职直播": "live", "直播": "live",
                "视察": "inspection"}
DAY_KINDS = {"self-study": N_("self-study"), "lecture": N_("lecture"), "discussion": N_("discussion")}
DAY_KIND_ALIASES = {"selfstudy": "self-study", "self_study": "self-study", "study": "self-study",
                    "自学": "self-study", "lectures": "lecture", "辅导": "lecture", "专题辅导": "lecture",
                    "讲座": "lecture", "研讨": "discussion", "交流研讨": "discussion", "discuss": "discussion"}
SESSION_STATUS = {"draft": N_("draft"), "announced": N_("announced"), "cancelled": N_("cancelled")}
STATE_LABELS = {"invited": N_("not answered yet"), "attending": N_("attending"),
                "waiting": N_("on the waiting list"), "excused": N_("excused")}


class StudyError(AdminError):
    """What an office user (command line, admin chat) did wrong, and how to fix it."""


def parse_kind(value: str) -> str:
    kind = KIND_ALIASES.get(value.strip(), value.strip().lower())
    if kind not in KINDS:
        raise StudyError("kind must be one of {kinds} (or 委员学习, 读书班, 培训, 履职直播), not {value!r}", field="kind",
                         kinds=", ".join(KINDS), value=value)
    return kind


def parse_audience(value) -> dict:
    if isinstance(value, dict):
        return value
    try:
        return audience.parse(value)
    except AdminError as exc:
        raise StudyError.like(exc) from None


def spec_text(spec: dict) -> str:
    """An audience as the command line shows it."""
    if spec.get("kind") == "all":
        return "all"
    if spec.get("kind") == "list":
        return "list:" + ",".join(spec.get("roster_ids", []))
    return f"{spec.get('kind')}:{spec.get('value')}"
