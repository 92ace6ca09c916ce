"""The vote pages' remembered turnout: for a second, forgotten by a committed ballot."""

from __future__ import annotations

import pytest

from asamblea.lean import turnout
from asamblea.live.events import publish_now


@pytest.fixture(autouse=True)
def empty():
    turnout.clear()
    yield
    turnout.clear()


def test_a_count_is_remembered_for_a_second(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(turnout.time, "monotonic", lambda: clock[0])
    turnout.remember("poll", {7: (3, 10), 8: (0, 4)})
    assert turnout.fresh("poll", [7, 8, 9]) == {7: (3, 10), 8: (0, 4)}
    assert turnout.fresh("election", [7]) == {}  # an election 7 is another count
    clock[0] += turnout.SECONDS - 0.01
    assert turnout.fresh("poll", [7]) == {7: (3, 10)}
    clock[0] += 0.02
    assert turnout.fresh("poll", [7, 8]) == {}


def test_a_committed_ballot_forgets_its_count_only():
    turnout.remember("poll", {7: (3, 10), 8: (0, 4)})
    turnout.remember("election", {7: (1, 2)})
    publish_now("body-channel", "poll.progress", {"poll": 7})
    assert turnout.fresh("poll", [7, 8]) == {8: (0, 4)}
    assert turnout.fresh("election", [7]) == {7: (1, 2)}
    publish_now("body-channel", "election.progress", {"election": 7})
    assert turnout.fresh("election", [7]) == {}


@pytest.mark.parametrize(
    "kind,data",
    [
        ("poll.progress", {"poll": "x"}),
        ("poll.progress", {}),
        ("poll.progress", {"poll": None}),
        ("pledge.progress", {"pledge": 8}),
        ("motion.changed", {"poll": 8}),
    ],
)
def test_other_events_change_nothing(kind, data):
    turnout.remember("poll", {8: (0, 4)})
    publish_now("body-channel", kind, data)
    assert turnout.fresh("poll", [8]) == {8: (0, 4)}
