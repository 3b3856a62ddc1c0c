"""Reports (社情民意信息): the member's submission and /my, the liaisons' cards, routing, deadlines,
co-signers and exports."""

from handlers.core.feature import Feature
from handlers.reports import cosign, deadlines, liaison, lifecycle, outcomes, submit

FEATURE = Feature(
    name="reports",
    commands={"submit": submit.start, "my": submit.my_items, "holidays": deadlines.holidays_command},
    buttons={submit.STEP: submit.SUBMIT.on_button, submit.MEMBER: submit.on_member_button,
             liaison.CHOICE: liaison.on_choice_button, outcomes.STEP: liaison.on_outcome_button,
             cosign.ANSWER: cosign.on_button,
             lifecycle.CARD: liaison.on_card_button},  # a person target's cards arrive in private
    group_buttons={lifecycle.CARD: liaison.on_card_button},
    flows={"submit": submit.SUBMIT.on_message, "edit": submit.on_member_text, "answer": submit.on_member_text,
           "card": liaison.on_liaison_text},
    jobs={deadlines.KIND: deadlines.nudge, "card.lost": lifecycle.on_card_lost},
    personal_data=cosign.personal_data,
    on_item_moved=[deadlines.on_state_change],  # every move re-arms or cancels the item's clocks
)
