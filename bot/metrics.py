"""Prometheus metrics for `linkage run` (``LINKAGE_METRICS_PORT``): what this process did since it
started — updates handled and failed, how long handling took, sends by result — and what the
database says at the moment of the scrape: the outbox and inbox by state, timers due and late,
and whether this process leads (runs the sender and the scheduler)."""

from __future__ import annotations

from typing import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

# seconds: a member's press is answered well under the first buckets; the last ones catch a stall
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LATE_SECONDS = 60  # a timer due longer ago than this and not yet run is late


class Metrics:
    """One process's metrics, on a registry of its own (several apps may share a test process)."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.handling = Histogram("linkage_update_handling_seconds", "Time to handle one update, its "
                                  "transaction included", buckets=HANDLING_BUCKETS, registry=self.registry)
        self._read: dict = {}  # what the scrape read from the database and the app, for collect()
        self.registry.register(self)

    def collect(self):
        r = self._read
        if not r:
            return
        updates = CounterMetricFamily("linkage_updates", "Updates handled by this process, by result",
                                      labels=["result"])
        updates.add_metric(["handled"], r["handled"])
        updates.add_metric(["failed"], r["failed"])
        yield updates
        sends = CounterMetricFamily("linkage_sends", "Bot API sends by this process's sender, by result "
                                    "(ok; 429 rate-limited; 403 blocked; 400 failed for good; retried: 5xx or network)",
                                    labels=["result"])
        for result, count in r["sends"].items():
            sends.add_metric([result], count)
        yield sends
        for name, doc, counts in (("linkage_outbox_rows", "Outbox rows by state", r["outbox"]),
                                  ("linkage_inbox_rows", "Inbox updates by state (failed: parked)", r["inbox"])):
            family = GaugeMetricFamily(name, doc, labels=["state"])
            for state, count in sorted(counts.items()):
                family.add_metric([state], count)
            yield family
        yield GaugeMetricFamily("linkage_timers_due", "Timers due and not yet run", value=r["timers_due"])
        yield GaugeMetricFamily("linkage_timers_late", f"Timers due more than {LATE_SECONDS} s ago and not yet run",
                                value=r["timers_late"])
        yield GaugeMetricFamily("linkage_leader", "1 while this process leads (runs the sender and the scheduler)",
                                value=1 if r["leader"] else 0)

    def add_route(self, app: web.Application, read: Callable[[], Awaitable[dict]]) -> None:
        """``GET /metrics``; ``read()`` gives the numbers of the moment (see ``LinkageApp.metrics_now``)."""
        async def scrape(_request: web.Request) -> web.Response:
            self._read = await read()
            return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})
        app.router.add_get("/metrics", scrape)

