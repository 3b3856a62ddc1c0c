"""Points (积分) and the duty record (履职档案), PRODUCT.md §10: a ledger of entries, each from a
recorded event of another feature (``Feature.point_sources``) under the office's rules, and each
member's year gathered from every feature's part (``Feature.record_parts``).

``ledger`` collects events into entries (caps, give-backs, corrections, recompute), ``views``
answers ``/points``, ``board`` is the office's leaderboard and export, ``record`` the duty
record and ``files`` its XLSX and PDF.
"""

from handlers.core.feature import Feature
from handlers.core.i18n import N_
from handlers.points import ledger, record, views

FEATURE = Feature(
    name="points",
    commands={"points": views.cmd_points, "record": record.cmd_record},
    menu=[("points", N_("My points this year"), None), ("record", N_("My duty record (履职档案)"), None)],
    help=[(None, N_("/points — your points this year and how you earned them")),
          (None, N_("/record — your duty record of the year, as a spreadsheet and a PDF"))],
    buttons={views.RANK: views.on_rank},
    jobs={"points.collect": ledger.collect_job},
    planners=[ledger.plan_collection],
    personal_data=views.personal_data,
    record_parts=[record.record_part],  # the year's entries and total
)
