"""The console's screens: one module each (bot/console/__init__.py says how to add one), listed
here in the nav's order."""

from bot.console.screens import audit, dashboard, exports, reports
from bot.console.screens import calendar, groups, roster, rules
from bot.console.screens import deliberation, points, research
from bot.console.screens import consultation, oversight

SCREEN_LIST = [
    dashboard.SCREEN,  # numbers for a period, the chart, oldest unclaimed, the outbox's health
    reports.SCREEN,    # reports: list, filters, search; a report's page; revealing an author
    audit.SCREEN,      # the audit log
    exports.SCREEN,    # exports as downloads
    roster.SCREEN,     # roster and invites: import checked first, a member edited, bulk invites, who joined
    groups.SCREEN,     # groups and liaisons: targets, bound chats, bind keys issued and revoked, liaisons
    rules.SCREEN,      # routing: the rule table (add, edit, move, delete) and the dry run beside it
    calendar.SCREEN,   # study sessions and their answers, notices and read counts, a digest previewed, holidays
    deliberation.SCREEN, research.SCREEN, points.SCREEN,  # committees' topics (hide, pin, conclude); projects (proposals, steps, paper); the points' rules, board, corrections
    consultation.SCREEN, oversight.SCREEN,  # meetings: registrations, check-ins, statements · items and their steps
]
