"""Who may read a consultation's live stream: whoever may read its coordination. The stream
carries the coordination's ``consultation`` events (an assembly decided or chose how to decide,
the consultation closed) and the vote events (``poll.*``) of every consulted assembly, so online
turnout shows as it grows; the page fetches its live part again, at most every few seconds."""

from __future__ import annotations

import re

from asgiref.sync import sync_to_async
from django.conf import settings

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body
from asamblea.coordination.models import Consultation, ConsultedBody
from asamblea.coordination.queries import can_view_coordination
from asamblea.meetings.live import person_from_session

STREAM_PREFIX = "/live/consultations/"
_PATH = re.compile(r"^/live/consultations/(\d{1,12})/events/$")


def channels_for(person: Visitor, consultation_pk: int) -> list[str] | None:
    consultation = (
        Consultation.objects.select_related("coordination").filter(pk=consultation_pk).first()
    )
    if consultation is None or not can_view_coordination(person, consultation.coordination):
        return None
    consulted = ConsultedBody.objects.filter(consultation=consultation).values_list(
        "body_id", flat=True
    )
    return [Body.channel_of(consultation.coordination_id) + "|consultation"] + [
        Body.channel_of(body_id) + "|poll." for body_id in consulted
    ]


def _resolve(path: str, cookies: dict[str, str]) -> list[str] | None:
    match = _PATH.match(path)
    if match is None:
        return None
    person = person_from_session(cookies.get(settings.SESSION_COOKIE_NAME))
    return channels_for(person, int(match.group(1)))


resolve_stream = sync_to_async(_resolve, thread_sensitive=False)
