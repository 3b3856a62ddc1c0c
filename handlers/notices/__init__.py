"""Notices (通知公告) with read receipts and reminders."""

from handlers.core import roles
from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.notices import notices

FEATURE = Feature(
    name="notices",
    commands={"notice": notices.start_flow, "notices": notices.list_notices},
    menu=[("notice", N_("Send a notice"), roles.is_admin), ("notices", N_("Notices and their read receipts"), roles.is_admin)],
    buttons={notices.READ: notices.on_read, notices.STEP: notices.on_button},
    flows={"notice": notices.on_flow_text},
    jobs={"notice_remind": notices.remind},
    personal_data=notices.personal_data,
    record_parts=[notices.record_part],  # the notices read
)
