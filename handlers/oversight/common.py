"""What the oversight modules share: the statuses and ratings with their labels, the buttons,
the refusal, who may act on an item, and how an item and its department are named."""

from __future__ import annotations

import html

from handlers.core import roles
from handlers.core.buttons import ButtonData
from handlers.core.errors import AdminError
from handlers.core.i18n import N_, translator
from storage import oversight as store

OPENED, SENT, REPLIED, RATED, REOPENED, CLOSED = (
    "opened", "sent_to_department", "department_replied", "rated", "reopened", "closed")
STATUS = {OPENED: N_("opened"), SENT: N_("sent to the department"), REPLIED: N_("the department replied"),
          RATED: N_("rated by the members"), REOPENED: N_("reopened"), CLOSED: N_("closed")}
# which status may follow which (the one place that says it)
MOVES = {OPENED: (SENT, CLOSED), SENT: (REPLIED, CLOSED), REPLIED: (RATED, REOPENED, CLOSED),
         RATED: (REOPENED, CLOSED), REOPENED: (REPLIED, CLOSED), CLOSED: ()}
AWAITING_REPLY = (SENT, REOPENED)  # the department's clock runs
RATABLE = (REPLIED, RATED)
SATISFIED, BASICALLY, UNSATISFIED = "satisfied", "basically", "unsatisfied"
RATINGS = {SATISFIED: N_("satisfied (满意)"), BASICALLY: N_("basically satisfied (基本满意)"),
           UNSATISFIED: N_("not satisfied (不满意)")}
RATING_CODES = {"s": SATISFIED, "b": BASICALLY, "u": UNSATISFIED}
SOURCES = {"report": N_("report"), "statement": N_("consultation statement"), "own": N_("the office's own")}

RATE = ButtonData("ovr", item=int, round=int, rating=tuple(RATING_CODES))  # a raiser rates a round's reply
FIND = ButtonData("ovf", item=int, session=int)  # a participant of an inspection adds a finding
RATE_FLOW, FIND_FLOW = "oversight_rate", "oversight_find"

SUBJECT_LIMIT = 200
PROMISE_LIMIT = 2000
REPLY_LIMIT = 3500
REASON_LIMIT = 500
DEFAULT_DUE_DAYS = 15  # working days the department has to reply (the office may give another number)
MAX_DUE_DAYS = 120
NOT_YOURS = N_("Only the members who raised this item can rate its reply.")
NOT_NOW = N_("This item is not waiting for your rating now.")
NOT_PARTICIPANT = N_("Only members who signed up for this inspection can add findings to it.")


class OversightError(AdminError):
    """An oversight operation refused (the message says why, in English, for the command line)."""


def esc(text: str) -> str:
    return html.escape(text or "", quote=False)


def may_run(member, item) -> bool:
    """An office admin, or the staff of the committee whose item it is."""
    return roles.is_admin(member) or (item.committee_code is not None
                                      and roles.runs_committee(member, item.committee_code))


def may_open(member, committee_code: str | None) -> bool:
    return roles.is_admin(member) or (committee_code is not None and roles.runs_committee(member, committee_code))


def status_label(lang: str, status: str) -> str:
    return translator(lang).plain(STATUS[status])


def department_name(row, lang: str) -> str:
    """``row``: an item with its department's names (storage.oversight.listing)."""
    return row.department_en if lang == "en" else row.department_zh


async def item_or_fail(conn, item_id: int, *, lock: bool = False):
    item = await store.by_id(conn, item_id, lock=lock)
    if item is None:
        raise OversightError("there is no oversight item #{item_id} (see: linkage oversight list)",
                             item_id=item_id)
    return item
