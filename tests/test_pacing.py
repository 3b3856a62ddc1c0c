"""The sender's window arithmetic on a virtual clock: no 31st message in any second as Telegram
counts them (on arrival), whatever the network does between the sender and Telegram.

A small event simulation stands in for the network: each message leaves when the pacer allows
it, arrives after a random delay (now and then a stall, as a busy event loop or a garbage
collection makes), and its answer comes back after another. Telegram is played by the sandbox's
own rate limiter (the one ``linkage bench broadcast`` runs into), fed with the arrival times.
"""

from __future__ import annotations

import heapq
import random
from collections import deque

import pytest

from bot.sandbox.state import Chat, Limits, RateLimiter
from bot.sender import LOOKAHEAD, NEVER, Pacer

CONCURRENCY = 8


def simulate(pacer: Pacer, messages: list[tuple[int, bool, bool]], rng: random.Random, *,
             stall: float = 0.15, rtt: float = 0.01) -> list[tuple[float, int, bool, bool]]:
    """Send ``messages`` ((chat id, is group, paid), each chat's in order) as the sender does;
    returns (arrival time, chat id, is group, paid) of each."""
    pending = deque(messages)
    clock = 0.0
    in_flight: list[tuple[float, int, object]] = []  # heap of (answer time, order, slot)
    busy: set[int] = set()
    arrivals = []
    order = 0
    while pending or in_flight:
        while in_flight and in_flight[0][0] <= clock:
            done, _, (slot, chat_id) = heapq.heappop(in_flight)
            slot.done = done
            busy.discard(chat_id)
        if not pending:
            clock = max([clock] + [done for done, _, _ in in_flight])
            continue
        next_look = NEVER
        blocked: set[int] = set()  # chats whose head could not go: their later messages wait too
        for message in list(pending):
            chat_id, is_group, paid = message
            if len(in_flight) >= CONCURRENCY:
                break
            if chat_id in busy or chat_id in blocked:
                continue
            wait = pacer.wait_for(chat_id, is_group, clock, paid)
            if wait > LOOKAHEAD:
                blocked.add(chat_id)
                next_look = min(next_look, max(clock + wait - LOOKAHEAD, clock + 1e-6))
                continue
            pending.remove(message)
            leaves = clock + wait  # claimed now, it leaves when its slot opens (the sender's look-ahead)
            slot = pacer.take(chat_id, is_group, leaves, paid)
            out = rng.uniform(0, rtt) + (rng.uniform(0, stall) if rng.random() < 0.1 else 0)
            back = rng.uniform(0, rtt) + (rng.uniform(0, stall) if rng.random() < 0.1 else 0)
            arrivals.append((leaves + out, chat_id, is_group, paid))
            order += 1
            heapq.heappush(in_flight, (leaves + out + back, order, (slot, chat_id)))
            busy.add(chat_id)
        if in_flight:
            next_look = min(next_look, in_flight[0][0])
        assert next_look < NEVER, "the pacer waits for nothing"
        clock = max(clock, next_look)
    return sorted(arrivals)


def telegram_429s(arrivals, limits: Limits) -> int:
    """How many of these arrivals the sandbox's rate limiter answers with a 429."""
    limiter, chats, refused = RateLimiter(), {}, 0
    for at, chat_id, is_group, paid in arrivals:
        chat = chats.setdefault(chat_id, Chat(chat_id, "supergroup" if is_group else "private"))
        refused += limiter.acquire(limits, chat, at, paid) is not None
    return refused


def most_in_any(times: list[float], seconds: float) -> int:
    """The most of ``times`` within any half-open window of ``seconds`` (Telegram's count)."""
    times, most, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.mark.parametrize("seed", range(5))
def test_a_digest_never_has_a_31st_message_in_any_second_and_runs_near_30_per_second(seed):
    rng = random.Random(seed)
    pacer = Pacer(30, 1, 20)
    arrivals = simulate(pacer, [(1000 + n, False, False) for n in range(600)], rng)
    times = [a[0] for a in arrivals]
    assert most_in_any(times, 1.0) == 30  # the limit reached, never passed
    assert telegram_429s(arrivals, Limits()) == 0
    # the price of safety is one round trip (and the stalls) per window, not a fixed margin
    assert len(times) / (times[-1] - times[0]) > 26


def test_stalls_longer_than_any_margin_still_make_no_31st_message():
    rng = random.Random(7)
    arrivals = simulate(Pacer(30, 1, 20), [(2000 + n, False, False) for n in range(300)], rng, stall=0.8)
    assert most_in_any([a[0] for a in arrivals], 1.0) <= 30
    assert telegram_429s(arrivals, Limits()) == 0


def test_each_chat_gets_one_a_second_and_each_group_twenty_a_minute():
    rng = random.Random(3)
    messages = [(chat, False, False) for _ in range(5) for chat in (1, 2, 3)]
    messages += [(-100, True, False)] * 45
    arrivals = simulate(Pacer(30, 1, 20), messages, rng)
    for chat in (1, 2, 3, -100):
        times = [a[0] for a in arrivals if a[1] == chat]
        assert most_in_any(times, 1.0) == 1
    assert most_in_any([a[0] for a in arrivals if a[1] == -100], 60.0) == 20
    assert telegram_429s(arrivals, Limits()) == 0


def test_paid_broadcasts_pass_30_per_second_and_keep_the_unpaid_ones_under_it():
    rng = random.Random(11)
    messages = [(5000 + n, False, True) for n in range(2000)] + [(9000 + n, False, False) for n in range(60)]
    rng.shuffle(messages)
    arrivals = simulate(Pacer(30, 1, 20, paid_per_second=1000), messages, rng, rtt=0.002)
    paid = [a[0] for a in arrivals if a[3]]
    unpaid = [a[0] for a in arrivals if not a[3]]
    assert most_in_any(paid, 1.0) > 30  # beyond the broadcasting limit, as allow_paid_broadcast allows
    assert most_in_any(paid + unpaid, 1.0) <= 1000
    assert most_in_any(unpaid, 1.0) <= 30
    assert telegram_429s(arrivals, Limits()) == 0
    # without allow_paid_broadcast the same messages would run into Telegram's 30/s
    assert telegram_429s([(at, c, g, False) for at, c, g, _ in arrivals], Limits()) > 0
