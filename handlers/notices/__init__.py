"""Notices (通知公告) with read receipts and reminders."""

from handlers.core.feature import Feature
from handlers.notices import notices

FEATURE = Feature(
    name="notices",
    commands={"notice": notices.start_flow, "notices": notices.list_notices},
    buttons={notices.READ: notices.on_read, notices.STEP: notices.on_button},
    flows={"notice": notices.on_flow_text},
    jobs={"notice_remind": notices.remind},
    personal_data=notices.personal_data,
)
