"""Publicity (宣传): the week's draft for the WeChat official account's editor — adopted reports
(named only where the author allows it), deliberation conclusions and channel items, as a Word
document or an HTML page (``linkage publicity week``). Linkage cannot post to WeChat."""

from handlers.core.feature import Feature

FEATURE = Feature(name="publicity")
