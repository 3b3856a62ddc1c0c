"""Whether two reports (社情民意信息) describe the same problem: Chinese text similarity by
character bigrams. Chinese has no spaces between words, and a two-character window catches most
words (停车, 车位, 小区, 夜间) without a dictionary; the same measure serves the submit step's
suggestions, the liaison's merge candidates and the 多区同类问题 clusters.

The score is the Dice coefficient of two bigram sets (2·|A∩B| / (|A|+|B|)), punctuation and
whitespace removed. Reports are compared on their observations (情况); a title counts against the
other report's words (its title with its own observation against the other's observation), never
against the other's title: many titles are generic ("一条社情民意信息", "关于停车问题的建议"), and two
reports on different problems under the same generic title must not read alike. Candidates are read
by a bounded storage query (storage/duplicates.py); the scoring is here, in Python.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable, Sequence, TypeVar

# Everything that is not a letter or a digit (CJK characters are letters): punctuation, full-width
# or not, spaces and line breaks, emoji. A bigram never spans them.
_SEPARATORS = re.compile(r"[\W_]+")

# Chosen from examples (tests/test_similar.py): two members' words for the same problem — "老旧小区
# 夜间停车难，车辆占用非机动车道" and "西于庄街道几个老旧小区晚上找不到车位，车停在非机动车道上",
# or "社区老年人不会用手机预约挂号" and "老人不会使用智能手机在网上预约挂号" — score 0.28–0.63;
# reports on different problems under one topic ("医院周边停车位紧张" vs "小区夜间停车难") score
# below 0.1, since topic words (停车, 小区) are a few shared bigrams out of dozens. 0.2 keeps the
# first and drops the second with room on both sides; a false suggestion costs the member one press
# ("continue with mine"), a missed one a duplicate report a liaison can still merge.
THRESHOLD = 0.2
MAX_SUGGESTIONS = 5  # similar reports shown at submit and offered for a merge

T = TypeVar("T")


@functools.lru_cache(maxsize=4096)
def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of each run of letters and digits (a lone character counts as itself).
    Cached by text: every check scores the same open reports again."""
    grams: set[str] = set()
    for run in _SEPARATORS.split(text.lower()):
        if len(run) == 1:
            grams.add(run)
        grams.update(run[i:i + 2] for i in range(len(run) - 1))
    return frozenset(grams)


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def score(a: str, b: str) -> float:
    return dice(bigrams(a), bigrams(b))


@functools.lru_cache(maxsize=4096)
def _titled(observation: str, title: str) -> frozenset[str]:
    return bigrams(observation) | bigrams(title)


def most_similar(observation: str, candidates: Iterable[T], *, title: str | None = None,
                 limit: int = MAX_SUGGESTIONS, threshold: float = THRESHOLD) -> list[T]:
    """The candidates (items, or rows with their id, title and observation) that read like a
    report with this ``observation`` and ``title``, best first (newer first among equals), at most
    ``limit``: at least ``threshold`` for the best of observation against observation and each
    side's title and observation against the other's observation. Title against title never
    counts (see the module's docstring)."""
    mine, mine_titled = bigrams(observation), _titled(observation, title or "")
    kept = []
    for candidate in candidates:
        theirs = bigrams(candidate.observation)
        best = max(dice(mine, theirs), dice(mine_titled, theirs),
                   dice(mine, _titled(candidate.observation, getattr(candidate, "title", None) or "")))
        if best >= threshold:
            kept.append((best, candidate))
    kept.sort(key=lambda pair: (-pair[0], -pair[1].id))
    return [c for _, c in kept[:limit]]


def like(item, candidates: Sequence, *, limit: int = MAX_SUGGESTIONS) -> list:
    """The candidates similar to ``item`` (a report), best first."""
    return most_similar(item.observation, candidates, title=getattr(item, "title", None), limit=limit)


def similar_ids(item, candidates: Sequence) -> list[int]:
    """Ids of every candidate similar to ``item`` (no limit: for clusters)."""
    return [c.id for c in like(item, candidates, limit=len(candidates))]
