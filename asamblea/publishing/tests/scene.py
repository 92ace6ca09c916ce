"""Decisions made through the real actions, for the publishing tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from asamblea.bodies.models import Body
from asamblea.motions.actions import motion_submit
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.models import Poll


def decide(
    facilitator: Any,
    body: Body,
    title: str,
    voters: Iterable[Any] = (),
    *,
    choice: str = "yes",
    secrecy: str = Poll.Secrecy.SECRET,
    motion: bool = True,
) -> Poll:
    """A vote in ``body`` (on a new motion, or on a question), cast and closed."""
    if motion:
        carried = motion_submit(facilitator, body, title=title, text=f"{title}: texto")
        poll = poll_open(facilitator, body, motion=carried, secrecy=secrecy, quorum_percent=0)
    else:
        poll = poll_open(facilitator, body, title=title, secrecy=secrecy, quorum_percent=0)
    for voter in voters:
        ballot_cast(voter, poll, choice=choice)
    return poll_close(facilitator, poll)


def published_minutes(facilitator: Any, body: Body, title: str) -> Any:
    from asamblea.meetings import actions as meet

    meeting = meet.meeting_schedule(
        facilitator, body, title=title, starts_at=timezone.now(), place="Local"
    )
    meet.meeting_open(facilitator, meeting)
    meet.meeting_close(facilitator, meeting)
    return meet.minutes_publish(facilitator, meeting, publish=True)
