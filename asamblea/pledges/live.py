"""Who may read a pledge's live stream: whoever may read the pledge. The stream carries the
opening body's ``pledge.*`` events (``pledge.progress`` — coalesced by the broker to at most one
a second, never replayed, so no commitment is timed —, ``pledge.triggered``, ``pledge.lapsed``);
the page fetches its live part again when one arrives."""

from __future__ import annotations

import re
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from asamblea.meetings.live import person_from_session
from asamblea.pledges.models import Pledge
from asamblea.pledges.queries import can_view_pledge

STREAM_PREFIX = "/live/pledges/"
_PATH = re.compile(r"^/live/pledges/(\d{1,12})/events/$")


def channels_for(person: Any, pledge_pk: int) -> list[str] | None:
    pledge = Pledge.objects.select_related("body").filter(pk=pledge_pk).first()
    if pledge is None or not can_view_pledge(person, pledge):
        return None
    return [f"body:{pledge.body_id}|pledge."]


def _resolve(path: str, cookies: dict[str, str]) -> list[str] | None:
    match = _PATH.match(path)
    if match is None:
        return None
    person = person_from_session(cookies.get(settings.SESSION_COOKIE_NAME))
    return channels_for(person, int(match.group(1)))


resolve_stream = sync_to_async(_resolve, thread_sensitive=False)
