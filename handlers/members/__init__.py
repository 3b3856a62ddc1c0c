"""Members: joining by invite, help, language, cancelling, and the bot blocked or unblocked."""

from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.members import onboarding

FEATURE = Feature(
    name="members",
    open_commands={"start": onboarding.start},
    commands={"help": onboarding.show_help, "language": onboarding.choose_language, "cancel": onboarding.cancel},
    menu=[("cancel", N_("Stop what you are doing"), None), ("language", "中文 / English", None), ("help", N_("Help"), None)],
    group_menu=[("help", N_("Help"))],
    buttons={onboarding.LANGUAGE: onboarding.set_language},
    on_private_membership=onboarding.on_private_membership,
)
