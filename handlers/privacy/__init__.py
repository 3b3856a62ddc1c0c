"""A member's own data: /mydata, and the nightly retention clean-up (PRODUCT.md §12)."""

from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.privacy import mydata, retention

FEATURE = Feature(
    name="privacy",
    commands={"mydata": mydata.cmd_mydata},
    menu=[("mydata", N_("Download my data"), None)],
    jobs={"retention": retention.apply_retention},
    planners=[retention.plan_retention],
)
