"""Reports (社情民意信息): the member's submission and /my, the liaisons' cards, routing, deadlines,
co-signers, duplicates (similar reports, merge, 多区同类问题 clusters), search (/find) and exports."""

from handlers.core import roles
from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.reports import (clusters, cosign, deadlines, duplicates, liaison, lifecycle, mine, outcomes, points,
                              record, search, submit)

FEATURE = Feature(
    name="reports",
    commands={"submit": submit.start, "my": mine.my_items, "holidays": deadlines.holidays_command,
              "find": search.find_command},
    menu=[("submit", N_("Write a social-opinion report"), None), ("my", N_("My reports and their progress"), None),
          ("find", N_("Look reports up by code, title or text"), roles.handles_reports),
          ("holidays", N_("Holidays and make-up working days"), roles.is_admin)],
    buttons={submit.STEP: submit.SUBMIT.on_button, mine.MEMBER: mine.on_member_button,
             mine.CHANGE: mine.CHANGING.on_button,
             liaison.CHOICE: liaison.on_choice_button, outcomes.STEP: liaison.on_outcome_button,
             cosign.ANSWER: cosign.on_button,
             lifecycle.CARD: liaison.on_card_button},  # a person target's cards arrive in private
    group_buttons={lifecycle.CARD: liaison.on_card_button},
    flows={"submit": submit.SUBMIT.on_message, "edit": mine.on_member_text, "answer": mine.on_member_text,
           "change": mine.CHANGING.on_message,
           "card": liaison.on_liaison_text},
    jobs={deadlines.KIND: deadlines.nudge, "card.lost": lifecycle.on_card_lost},
    personal_data=cosign.personal_data,
    record_parts=[record.record_part],  # reports with their outcomes, co-signatures
    point_sources=[points.events],  # submit, co-sign, adopted, 批示; give-back on withdrawal and merge
    # every move re-arms or cancels the item's clocks, tells its followers, updates its cluster cards
    on_item_moved=[deadlines.on_state_change, duplicates.tell_followers, clusters.on_item_moved],
    on_target_bound=[clusters.on_target_bound],  # a cluster formed while its topic group was unbound
)
