"""The console's screens: one module each (bot/console/__init__.py says how to add one), listed
here in the nav's order."""

from bot.console.screens import audit, dashboard, exports, reports

SCREEN_LIST = [
    dashboard.SCREEN,  # numbers for a period, the chart, oldest unclaimed, the outbox's health
    reports.SCREEN,    # reports: list, filters, search; a report's page; revealing an author
    audit.SCREEN,      # the audit log
    exports.SCREEN,    # exports as downloads
]
