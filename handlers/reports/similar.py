"""Whether two reports (社情民意信息) describe the same problem: Chinese text similarity by
character bigrams. Chinese has no spaces between words, and a two-character window catches most
words (停车, 车位, 小区, 夜间) without a dictionary; the same measure serves the submit step's
suggestions, the liaison's merge candidates and the 多区同类问题 clusters.

The score is the Dice coefficient of the two bigram sets (2·|A∩B| / (|A|+|B|)) over title and
observation (情况), punctuation and whitespace removed. Candidates are read
by a bounded storage query (storage/duplicates.py); the scoring is here, in Python.
"""

from __future__ import annotations

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


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of each run of letters and digits (a lone character counts as itself)."""
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


def text_of(item) -> str:
    """What is compared: the title (on reports since titles) and the observation."""
    return f"{getattr(item, 'title', None) or ''}\n{item.observation}"


def score(a: str, b: str) -> float:
    return dice(bigrams(a), bigrams(b))


def most_similar(text: str, candidates: Iterable[T], *, limit: int = MAX_SUGGESTIONS,
                 threshold: float = THRESHOLD) -> list[T]:
    """The candidates (items) whose text scores at least ``threshold`` against ``text``, best
    first (newer first among equals), at most ``limit``."""
    mine = bigrams(text)
    scored = [(dice(mine, bigrams(text_of(c))), c) for c in candidates]
    kept = [(s, c) for s, c in scored if s >= threshold]
    kept.sort(key=lambda pair: (-pair[0], -pair[1].id))
    return [c for _, c in kept[:limit]]


def similar_ids(text: str, candidates: Sequence, threshold: float = THRESHOLD) -> list[int]:
    """Ids of every candidate similar to ``text`` (no limit: for clusters)."""
    return [c.id for c in most_similar(text, candidates, limit=len(candidates), threshold=threshold)]
