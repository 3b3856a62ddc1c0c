"""`linkage bench updates` runs end to end and prints its table. A smoke test of the benchmark:
it checks the report's shape and that something was measured, never how fast anything was."""

from __future__ import annotations

import re

import pytest

from bot.bench.updates import run_bench

NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers_after(report: str, label: str) -> list[float]:
    line = next((line for line in report.splitlines() if line.startswith(label)), None)
    assert line is not None, f"no row {label!r} in:\n{report}"
    return [float(n) for n in NUMBER.findall(line[len(label):])]


@pytest.mark.long
async def test_bench_updates_prints_linkage_the_echo_bot_and_their_ratio():
    result = await run_bench("aiogram", members=3, seconds=3, log=lambda line: None)
    report = result.report()

    assert "framework aiogram, 3 members, 3 s per bot" in report
    assert "flood limits are off" in report
    for label in ("Linkage (submit flow)", "echo bot (aiogram)", "Linkage / echo"):
        updates_per_s, p50, p99, rss = numbers_after(report, label)[:4]
        assert min(updates_per_s, p50, p99, rss) > 0, report
    commit = re.search(r"Linkage inbox → commit: p50 ([\d.]+) ms, p99 ([\d.]+) ms over (\d+) updates", report)
    assert commit is not None, report
    p50, p99, handled = map(float, commit.groups())
    assert 0 < p50 <= p99 and handled > 0, report
    assert result.reports > 0 and result.linkage.errors == 0 and result.echo.errors == 0, report


@pytest.mark.long
async def test_bench_scale_builds_the_data_fires_the_digest_and_prints_its_figures():
    from bot.bench.scale import run_scale
    result = await run_scale(members=300, reports=3000, url=None, chunk=50, log=lambda line: None, after=3)
    report = result.report()

    assert result.rows == 300  # every member's weekly digest
    assert result.sent > 0, report  # written from their drafts and sent at Telegram's pace
    assert re.search(r"^  longest write transaction: \d+ ms", report, re.M), report
    assert result.longest_write_ms > 0 and result.writes > 0 and result.peak_rss_mb > 0, report
    assert result.baseline_p99_ms > 0, report  # members' updates were handled alongside
