"""The pledge's live stream: who may read it, what each write publishes, and that the broker
treats the commitment tick as a coalesced turnout tick (never one event per commitment, never
replayed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from asamblea.live import events
from asamblea.live.broker import coalesced
from asamblea.pledges import actions
from asamblea.pledges.live import STREAM_PREFIX, channels_for

pytestmark = pytest.mark.django_db


def published(capture, work):
    sent = []

    def sink(channel, kind, data):
        sent.append((channel, kind, dict(data)))

    events.subscribe(sink)
    try:
        with capture(execute=True):
            work()
    finally:
        events.unsubscribe(sink)
    return sent


def test_the_stream_is_for_those_who_may_read_the_pledge(fed):
    pledge = actions.pledge_open(
        fed.alice, fed.north, title="x", deadline=timezone.now() + timedelta(days=1), min_people=9
    )
    assert channels_for(fed.bob, pledge.pk) == [f"body:{fed.north.pk}|pledge."]
    assert channels_for(fed.olivia, pledge.pk) is not None  # observers read North
    for person in (fed.oscar, fed.frank, fed.cora):
        assert channels_for(person, pledge.pk) is None
    assert channels_for(fed.bob, pledge.pk + 1000) is None
    assert STREAM_PREFIX == "/live/pledges/"


def test_a_commitment_publishes_a_bare_tick_and_the_trigger_tells_every_assembly(
    fed, django_capture_on_commit_callbacks
):
    pledge = actions.pledge_open(
        fed.cora,
        fed.federation,
        title="Paro",
        deadline=timezone.now() + timedelta(days=1),
        min_people=2,
        min_assemblies=2,
    )
    sent = published(django_capture_on_commit_callbacks, lambda: actions.commit(fed.bob, pledge))
    assert sent == [(f"body:{fed.federation.pk}", "pledge.progress", {"pledge": pledge.pk})]
    assert coalesced("pledge.progress")
    sent = published(django_capture_on_commit_callbacks, lambda: actions.commit(fed.frank, pledge))
    told = {channel for channel, kind, _data in sent if kind == "pledge.triggered"}
    assert told == {f"body:{b.pk}" for b in (fed.federation, fed.north, fed.south)}
    assert all(data == {"pledge": pledge.pk} for _c, kind, data in sent if kind != "ledger")
