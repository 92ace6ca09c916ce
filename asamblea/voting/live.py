"""Who may read a vote's live stream: whoever may read its page (a reader of its assembly, or a
person in its electorate). The stream carries the assembly's vote events (``poll.*``: progress,
opened, closed); the page fetches its live part again when one arrives."""

from __future__ import annotations

import re

from asgiref.sync import sync_to_async
from django.conf import settings

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body
from asamblea.bodies.queries import can_view
from asamblea.meetings.live import person_from_session
from asamblea.voting.models import Eligibility, Poll

STREAM_PREFIX = "/live/polls/"
_PATH = re.compile(r"^/live/polls/(\d{1,12})/events/$")


def channels_for(person: Visitor, poll_pk: int) -> list[str] | None:
    poll = Poll.objects.select_related("body").filter(pk=poll_pk).first()
    if poll is None:
        return None
    if not can_view(person, poll.body) and not (
        person.is_authenticated and Eligibility.objects.filter(poll=poll, person=person).exists()
    ):
        return None
    return [Body.channel_of(poll.body_id) + "|poll."]


def _resolve(path: str, cookies: dict[str, str]) -> list[str] | None:
    match = _PATH.match(path)
    if match is None:
        return None
    person = person_from_session(cookies.get(settings.SESSION_COOKIE_NAME))
    return channels_for(person, int(match.group(1)))


resolve_stream = sync_to_async(_resolve, thread_sensitive=False)
