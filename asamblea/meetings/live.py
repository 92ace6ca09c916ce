"""Who may read a meeting's live stream: anyone who may read its assembly (checked with the
session, like every page). The stream carries the meeting's channel and its assembly's channel
(vote progress and results are published there; its other events are filtered out before they
wake the stream)."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.utils.module_loading import import_string

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body
from asamblea.bodies.queries import can_view
from asamblea.meetings.models import Meeting

STREAM_PREFIX = "/live/meetings/"
_PATH = re.compile(r"^/live/meetings/([0-9]{1,12})/events/$")


def channels_for(person: Visitor, meeting_pk: int) -> list[str] | None:
    meeting = Meeting.objects.select_related("body").filter(pk=meeting_pk).first()
    if meeting is None or not can_view(person, meeting.body):
        return None
    # Of the assembly's channel only the votes matter here (progress and results).
    return [meeting.channel, Body.channel_of(meeting.body_id) + "|poll."]


def person_from_session(session_key: str | None) -> Any:
    """The logged-in person of a session cookie, verified as Django's own middleware does
    (including the session hash that logs out a changed passphrase)."""
    if not session_key or len(session_key) > 64:
        return AnonymousUser()
    engine = import_string(settings.SESSION_ENGINE + ".SessionStore")
    return get_user(SimpleNamespace(session=engine(session_key)))  # type: ignore[arg-type]


def _resolve(path: str, cookies: dict[str, str]) -> list[str] | None:
    match = _PATH.match(path)
    if match is None:
        return None
    person = person_from_session(cookies.get(settings.SESSION_COOKIE_NAME))
    return channels_for(person, int(match.group(1)))


resolve_sync = _resolve
resolve_stream = sync_to_async(_resolve, thread_sensitive=False)
