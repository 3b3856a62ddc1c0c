"""The digest crash test: the weekly digest to 2,000 members, sent by ``linkage run`` (a child
process) against the sandbox enforcing Telegram's limits (30/s per bot, 1/s per chat, 20/min per
group) times ``SCALE``, the bot's sender keeping the same scaled limits; SIGKILL in the middle of
the sending, restart. Then: every member got the digest, exactly once except duplicates of rows
caught 'sending' at the kill (counted, at most that many), and the sandbox answered not one 429
over the whole digest. The figures are printed.

What is proven is recovery and "each member once", not Telegram's pace itself: the sender's
windows are the same at any scale (test_sender and test_limits prove the pace; ``linkage bench
broadcast``, the same rig at scale 1, measures 2,000 messages against the real 30/s in about
70 s). Scaled, the digest takes a fifth of that (its rig is ``bot/bench/broadcast.py``)."""

from __future__ import annotations

import time

import pytest

from bot.bench.broadcast import BroadcastRig

MEMBERS = 2000
KILL_AFTER = 900  # digest rows sent when the bot is SIGKILLed
SCALE = 5  # Telegram's allowances times five, in the sandbox and the sender alike


@pytest.mark.long
async def test_sigkill_mid_digest_each_member_once_and_no_429(tmp_path, capsys):
    rig = BroadcastRig(tmp_path, MEMBERS, scale=SCALE)
    try:
        await rig.setup()
        started = time.time()
        await rig.start_bot()  # its scheduler fires the digest's timer at start
        queued = await rig.wait_rows()
        rows_at = time.time()
        assert queued == MEMBERS, f"the firing queued {queued} rows, not {MEMBERS}"

        # kill at a moment when rows are in flight ('sending'), the case that may duplicate
        caught_in_flight = await rig.wait_in_flight(KILL_AFTER, timeout=60)
        await rig.bot.kill()
        killed_at = time.time()
        at_kill = await rig.rows()
        mid_send = at_kill.get("sending", 0)
        received_at_kill = sum(rig.received().values())
        assert at_kill.get("pending", 0) > 0, f"the kill came too late to be in the middle: {at_kill}"

        await rig.start_bot()  # recovers the rows left 'sending', then drains the rest
        restarted_at = time.time()
        final = await rig.wait_done(timeout=150)
        result = await rig.result(started, rows_at)
        result.mid_send, result.killed_after = mid_send, at_kill.get("sent", 0)

        got = rig.received()
        assert final == {"sent": MEMBERS}, final
        assert result.missing == 0, f"{result.missing} members never got the digest"
        assert result.duplicates <= mid_send, (result.duplicates, mid_send)
        assert set(got.values()) <= {1, 2}  # a re-sent row is one extra copy, never more
        first = min(rig.send_times(), default=started)
        assert result.rate_limited == 0, (
            f"the sandbox answered {result.rate_limited} × 429, at "
            f"{[round(t - first, 2) for t in rig.rate_limit_times()]} s after the first message "
            f"(the kill at {killed_at - first:.2f} s, the restart at {restarted_at - first:.2f} s)")
        assert received_at_kill < MEMBERS  # the kill really interrupted the sending
        assert rig.bot.starts == 2
        log = rig.bot.log_file.read_text(encoding="utf-8")
        assert log.count("weekly digest queued") == 1  # the timer fired once, across the restart

        with capsys.disabled():
            print(f"\nDIGEST CRASH TEST: N={MEMBERS}, {result.queued} rows queued in the firing's transaction "
                  f"(bot start → rows {result.build_seconds:.1f} s); SIGKILL after {result.killed_after} sent, "
                  f"{mid_send} rows mid-send ('sending'{'' if caught_in_flight else '; none seen in flight'}); "
                  f"delivered {result.delivered}/{MEMBERS}, "
                  f"duplicates {result.duplicates} (≤ {mid_send}); 429s: {result.rate_limited}; "
                  f"sending {result.send_seconds:.1f} s at {result.rate:.1f} messages/s (limit {30 * SCALE}, peak second "
                  f"{result.peak_per_second}); total {result.total_seconds:.1f} s")
    finally:
        await rig.close()
