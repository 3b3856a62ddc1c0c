"""The feature registry and the button codec: what a feature declares is what the router finds,
and two features cannot claim the same thing."""

from __future__ import annotations

import pytest

from handlers.core.buttons import ButtonData, Optional
from handlers.core.feature import Feature, Registry
from handlers.features import FEATURES, REGISTRY


async def _noop(ctx, *args) -> None:
    return None


def test_every_declared_command_button_flow_and_job_is_found_by_the_registry():
    for feature in FEATURES:
        for name, handler in feature.commands.items():
            assert REGISTRY.commands[name] is handler
        for data, handler in feature.buttons.items():
            assert REGISTRY.buttons[data.prefix] == (data, handler)
        for kind, job in feature.jobs.items():
            assert REGISTRY.jobs[kind] is job
        for flow, handler in feature.flows.items():
            assert REGISTRY.flows[flow] is handler
    assert REGISTRY.open_commands == {"start": REGISTRY.open_commands["start"]}
    assert set(REGISTRY.group_commands) == {"bind"}


@pytest.mark.parametrize("table, first, second, message", [
    ("commands", {"my": _noop}, {"my": _noop}, "command /my is claimed twice"),
    ("jobs", {"remind": _noop}, {"remind": _noop}, "timer kind remind is claimed twice"),
    ("flows", {"edit": _noop}, {"edit": _noop}, "flow edit is claimed twice"),
    ("buttons", {ButtonData("x", id=int): _noop}, {ButtonData("x", name=str): _noop}, "button prefix x"),
])
def test_a_clash_between_two_features_is_refused_at_start(table, first, second, message):
    with pytest.raises(ValueError, match=message):
        Registry([Feature("one", **{table: first}), Feature("two", **{table: second})])


def test_a_member_command_cannot_shadow_an_open_one():
    with pytest.raises(ValueError, match="command /start is claimed twice"):
        Registry([Feature("one", commands={"start": _noop}), Feature("two", open_commands={"start": _noop})])


def test_button_data_round_trips_and_refuses_what_does_not_fit():
    study = ButtonData("st", action=("a", "p"), id=int, day=Optional(int))
    assert study.pack("p", 12, 3) == "st:p:12:3"
    assert study.unpack("st:p:12:3") == {"action": "p", "id": 12, "day": 3}
    assert study.unpack("st:a:12") == {"action": "a", "id": 12, "day": None}
    for forged in ("st:x:12", "st:a:0", "st:a:-1", "st:a:１２", "st:a:2147483648", "st:a", "st:a:1:2:3",
                   "st:a::", "nt:a:12", "st"):
        assert study.unpack(forged) is None, forged


def test_button_data_refuses_to_pack_what_telegram_would_refuse():
    data = ButtonData("s", step=str, value=str)
    with pytest.raises(ValueError, match="64"):
        data.pack("topic", "x" * 70)
    with pytest.raises(ValueError, match="':'"):
        data.pack("a:b", "topic")
    assert data.unpack(data.pack("audience", "district:hongqiao")) == {"step": "audience", "value": "district:hongqiao"}
    assert len(data.pack("topic", "x" * 55).encode()) <= 64
