"""The lean ASGI stream app in front of Django: the permission rule is checked with the session
cookie, for every role; other paths go to Django; a reconnect replays what was missed."""

import asyncio

import pytest
from django.conf import settings
from django.utils import timezone

from asamblea.live.asgi import SSEApp
from asamblea.live.broker import Broker
from asamblea.meetings import actions
from asamblea.meetings.live import STREAM_PREFIX, resolve_stream


async def fallback(scope, receive, send):
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"django"})


def call(app, path, *, cookie=None, last_id=None, method="GET", chunks=1):
    """Run one request; returns (status, body) after ``chunks`` body messages."""
    headers = []
    if cookie:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    if last_id:
        headers.append((b"last-event-id", last_id.encode()))
    scope = {"type": "http", "path": path, "method": method, "headers": headers}
    sent = []
    done = asyncio.Event()
    disconnect = asyncio.Event()

    async def receive():
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        bodies = [m for m in sent if m["type"] == "http.response.body"]
        if len(bodies) >= chunks or not message.get("more_body"):
            done.set()

    async def run():
        task = asyncio.ensure_future(app(scope, receive, send))
        async with asyncio.timeout(10):
            await done.wait()
        disconnect.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run())
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.fixture
def app(settings):
    settings.REDIS_URL = ""
    return SSEApp(fallback, resolve_stream, Broker(), STREAM_PREFIX)


def session_of(cast, person):
    if person is None:
        return None
    return cast.client(person).cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db(transaction=True)
def test_stream_permission_for_every_role(cast, app):
    meeting = actions.meeting_schedule(
        cast.alice, cast.north, title="Junio", starts_at=timezone.now(), place="Local"
    )
    path = f"/live/meetings/{meeting.pk}/events/"
    expected = {
        "anonymous": 404,
        "outsider": 404,
        "other_facilitator": 404,
        "observer": 200,
        "member": 200,
        "facilitator": 200,
    }
    for role, status in expected.items():
        got, body = call(app, path, cookie=session_of(cast, cast.roles[role]))
        assert got == status, role
        if status == 200:
            assert b"event: hello" in body
    # A forged or foreign session id is anonymous.
    assert call(app, path, cookie="x" * 32)[0] == 404
    assert call(app, path, cookie="bad;cookie=\x00")[0] == 404


@pytest.mark.django_db(transaction=True)
def test_public_meeting_stream_is_open_and_bad_paths_refused(cast, app):
    meeting = actions.meeting_schedule(
        cast.frank, cast.south, title="Abierta", starts_at=timezone.now(), place="Plaza"
    )
    assert call(app, f"/live/meetings/{meeting.pk}/events/")[0] == 200
    assert call(app, "/live/meetings/999999/events/")[0] == 404
    assert call(app, "/live/meetings/abc/events/")[0] == 404
    assert call(app, "/live/meetings/" + "9" * 40 + "/events/")[0] == 404
    assert call(app, f"/live/meetings/{meeting.pk}/events/", method="POST")[0] == 405
    assert call(app, "/b/south/")[0] == 299  # everything else is Django's


@pytest.mark.django_db(transaction=True)
def test_reconnect_through_the_app_replays_missed_events(cast, app):
    meeting = actions.meeting_schedule(
        cast.frank, cast.south, title="Abierta", starts_at=timezone.now(), place="Plaza"
    )
    broker = app.broker
    broker.publish(meeting.channel, "attendance.in", {"meeting": meeting.pk})
    last = broker._logs[meeting.channel][-1].id
    broker.publish(meeting.channel, "speakers.requested", {"meeting": meeting.pk})
    broker.publish(meeting.channel, "speakers.floor_given", {"meeting": meeting.pk})
    status, body = call(app, f"/live/meetings/{meeting.pk}/events/", last_id=last, chunks=3)
    assert status == 200
    assert body.index(b"speakers.requested") < body.index(b"speakers.floor_given")
    assert b"attendance.in" not in body
