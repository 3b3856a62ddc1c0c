"""Several workers, one leader, on PostgreSQL: three ``linkage run --webhook`` processes, the
weekly digest to 200 members, the leader SIGKILLed half way (``bench failover``'s rig at a small
size). A follower takes the lead and finishes: nobody is left without the digest, and the only
extra copies are of rows caught mid-send. No timing is asserted (the bench prints it)."""

from __future__ import annotations

import pytest

from bot.bench.failover import FailoverRig
from tests.conftest import postgres_url

MEMBERS = 200


@pytest.mark.long
async def test_the_leader_killed_mid_digest_a_follower_finishes_and_nobody_is_lost(tmp_path, capsys):
    url = postgres_url()
    if not url:
        pytest.skip("LINKAGE_TEST_POSTGRES_URL is not set: the failover test needs PostgreSQL")
    rig = FailoverRig(tmp_path, MEMBERS, url, workers=3)
    try:
        await rig.setup()
        result = await rig.run()
        leaders = [w for w in rig.workers if rig.terms(w)]
        assert result.sent_at_kill < MEMBERS, "the kill came after the digest was sent"
        assert result.lost == 0, f"{result.lost} members never got the digest"
        assert result.duplicates <= result.in_flight, (result.duplicates, result.in_flight)
        assert await rig.rows() == {"sent": MEMBERS}
        # the killed one, then exactly one more
        assert len(leaders) == 2 and sorted(w.running for w in leaders) == [False, True]
        logs = "".join(w.log_file.read_text(encoding="utf-8") for w in rig.workers)
        assert logs.count("weekly digest queued") == 1  # the timer fired once, across the takeover
        with capsys.disabled():
            print("\n" + result.report())
    finally:
        await rig.close()
