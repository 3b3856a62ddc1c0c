"""Digests: the members' weekly, daily and instant news, the liaisons' and the office's; /settings, /stats."""

from handlers.core.feature import Feature
from handlers.digests import digest

FEATURE = Feature(
    name="digests",
    commands={"settings": digest.settings_command, "stats": digest.stats_command},
    buttons={digest.FREQUENCY: digest.on_settings_button},
    jobs={"digest_weekly": digest.fire_weekly, "digest_daily": digest.fire_daily,
          "digest_instant": digest.fire_instant, "digest_liaison": digest.fire_liaison,
          "digest_office": digest.fire_office},
    planners=[digest.plan_digests],
    personal_data=digest.personal_data,
)
