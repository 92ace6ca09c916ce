"""The vote page and the consultation page are live: their live part is a fragment that shows
progress while open and the result once closed, and their event streams are readable by exactly
those who may read the page (checked with the session, as the lean ASGI app does)."""

import pytest
from django.conf import settings
from django.urls import reverse

from asamblea.coordination import live as consultation_live
from asamblea.testing import coordination_scene, make_person
from asamblea.voting import live as poll_live
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.tests.test_views_voting import north_motion

pytestmark = pytest.mark.django_db


def session_of(cast, person):
    client = cast.client(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_vote_page_streams_the_assemblys_vote_events_to_its_readers_only(cast):
    poll = poll_open(cast.alice, cast.north, motion=north_motion(cast), secrecy="secret")
    path = f"/live/polls/{poll.pk}/events/"
    for reader in (cast.alice, cast.bob, cast.olivia):
        assert poll_live._resolve(path, {settings.SESSION_COOKIE_NAME: session_of(cast, reader)})
    assert poll_live.channels_for(cast.bob, poll.pk) == [f"body:{cast.north.pk}|poll."]
    for stranger in (cast.oscar, cast.frank):
        cookies = {settings.SESSION_COOKIE_NAME: session_of(cast, stranger)}
        assert poll_live._resolve(path, cookies) is None
    assert poll_live._resolve(path, {}) is None
    assert poll_live._resolve("/live/polls/x/events/", {}) is None
    assert poll_live.channels_for(cast.alice, poll.pk + 999) is None


def test_vote_page_live_part_shows_progress_then_the_result_without_a_reload(cast):
    poll = poll_open(cast.alice, cast.north, motion=north_motion(cast), secrecy="secret")
    page = cast.client(cast.bob).get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    html = page.content.decode()
    assert 'id="live"' in html
    assert reverse("voting:events", args=[poll.pk]) in html
    assert "every 3s" not in html  # no more polling: the stream says when to fetch
    live_url = reverse("voting:progress", args=[cast.north.slug, poll.pk])
    fragment = cast.client(cast.bob).get(live_url)
    assert fragment["Cache-Control"] == "no-store"
    assert 'name="choice"' in fragment.content.decode()
    ballot_cast(cast.bob, poll, choice="yes")
    poll_close(cast.alice, poll)
    closed = cast.client(cast.carol).get(live_url).content.decode()
    assert 'id="poll-outcome"' in closed
    assert 'id="count-yes">1<' in closed
    assert 'name="choice"' not in closed


def test_consultation_page_streams_its_events_and_the_consulted_assemblies_votes(cast):
    scene = coordination_scene(cast, make_person("dave"))
    consultation = scene["consultation"]
    channels = consultation_live.channels_for(cast.oscar, consultation.pk)
    assert channels is not None  # the Federation is public
    assert channels[0] == f"body:{consultation.coordination_id}|consultation"
    assert f"body:{cast.north.pk}|poll." in channels
    assert f"body:{cast.south.pk}|poll." in channels
    assert consultation_live.channels_for(cast.oscar, consultation.pk + 999) is None
    page = cast.client(None).get(
        reverse("coordination:consultation", args=[consultation.coordination.slug, consultation.pk])
    )
    html = page.content.decode()
    assert reverse("coordination:consultation_events", args=[consultation.pk]) in html
    assert "every 10s" not in html


def test_a_wsgi_server_tells_the_page_to_poll_instead_of_holding_a_stream_open(cast):
    """Under WSGI (``asamblea.wsgi``, the test server) Django cannot stream an async iterator:
    it would buffer it for ever, one thread per open page. The stream answers at once."""
    poll = poll_open(cast.alice, cast.north, motion=north_motion(cast), secrecy="secret")
    client = cast.client(cast.bob)
    for path in (f"/live/polls/{poll.pk}/events/", f"/live/meetings/{_meeting(cast).pk}/events/"):
        answer = client.get(path)
        assert answer.status_code == 200 and not answer.streaming
        assert answer["Content-Type"].startswith("text/event-stream")
        assert b"event: degraded" in answer.content and b"retry: " in answer.content
    assert cast.client(cast.oscar).get(f"/live/polls/{poll.pk}/events/").status_code == 404


def _meeting(cast):
    from django.utils import timezone

    from asamblea.meetings.actions import meeting_open, meeting_schedule

    scheduled = meeting_schedule(
        cast.alice, cast.north, title="Sábado", starts_at=timezone.now(), place="Local"
    )
    return meeting_open(cast.alice, scheduled)
