"""The study calendar (学习): sessions with RSVP, reminders and check-in, and reading plans."""

from handlers.core.feature import Feature
from handlers.study import study

FEATURE = Feature(
    name="study",
    commands={"sessions": study.cmd_sessions, "checkin": study.cmd_checkin, "study": study.cmd_study},
    buttons={study.BUTTON: study.on_button},
    flows={"study_excuse": study.on_excuse_text, "study_checkin": study.on_checkin_text},
    jobs={"study.remind": study.remind, "study.open": study.open_checkin, "study.materials": study.send_materials,
          "study.plan_day": study.plan_day_job},
    upcoming=[study.upcoming_for_digest],
    personal_data=study.personal_data,
)
