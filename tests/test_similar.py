"""Chinese text similarity (handlers/reports/similar.py) on real-looking reports: the same problem
in two members' words scores above the threshold, different problems under one topic below."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from handlers.reports.similar import THRESHOLD, bigrams, most_similar, score

PARKING = "老旧小区夜间停车难，车辆占用非机动车道。"
SAME_PROBLEM = [
    (PARKING, "西于庄街道几个老旧小区晚上找不到车位，车停在非机动车道上。"),
    (PARKING, "小区夜间停车难，车辆停在非机动车道，影响骑车出行。"),
    ("社区老年人不会用手机预约挂号，看病难。", "老人不会使用智能手机在网上预约挂号，只能到医院排队。"),
    ("共享单车乱停乱放，堵塞盲道。", "共享单车随意停放占用盲道，视障人士出行不便。"),
]
DIFFERENT = [
    (PARKING, "公交站台缺少遮雨棚，雨天候车不便。"),
    (PARKING, "医院周边停车位紧张，就诊高峰排队进场。"),  # same topic words, another problem
    ("社区老年人不会用手机预约挂号，看病难。", "小区夜间停车难。"),
    ("共享单车乱停乱放，堵塞盲道。", "智慧停车平台收费标准不透明。"),
]


@pytest.mark.parametrize("a, b", SAME_PROBLEM)
def test_the_same_problem_in_other_words_is_similar(a, b):
    assert score(a, b) >= THRESHOLD + 0.05  # with room: the threshold is not fitted to the edge


@pytest.mark.parametrize("a, b", DIFFERENT)
def test_different_problems_are_not(a, b):
    assert score(a, b) < THRESHOLD - 0.1


def test_punctuation_and_whitespace_do_not_count():
    assert bigrams("夜间，停车 难！") == {"夜间", "停车", "难"}  # a bigram never spans a separator
    assert score("夜间停车难。", "夜间停车难") == 1.0
    assert score("", PARKING) == 0.0 and score("。，！", PARKING) == 0.0


def test_most_similar_keeps_the_best_few_above_the_threshold():
    reports = [SimpleNamespace(id=n, title=None, observation=text) for n, text in enumerate([
        "公交站台缺少遮雨棚。", "小区夜间停车难，车辆停在非机动车道。", "夜间停车难，非机动车道被占用。",
        PARKING, "老旧小区夜间停车难。"])]
    found = most_similar(PARKING, reports, limit=3)
    assert found[0].id == 3 and {r.id for r in found} == {1, 3, 4}  # identical first; the bus shelter never
    titled = SimpleNamespace(id=9, title="老旧小区停车难", observation="晚上回家没有地方停。")
    assert most_similar("老旧小区停车难，晚上没地方停车。", [titled]) == [titled]  # the title counts
