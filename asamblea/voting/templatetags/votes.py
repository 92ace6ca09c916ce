"""Template helpers that show votes on pages of the apps below (body, motion, meeting)."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.voting import queries
from asamblea.voting.forms import MeetingVoteForm, PollForm

register = template.Library()


@register.simple_tag
def body_polls(body: Any) -> dict[str, Any]:
    """The open votes of ``body`` and its last 20 others (the caller checked viewing):
    ``{% body_polls body as polls %}``, then ``polls.open``, ``polls.past``."""
    return queries.body_polls(body)


@register.inclusion_tag("voting/_motion_votes.html", takes_context=True)
def motion_votes(context: dict[str, Any], motion: Any, membership: Any) -> dict[str, Any]:
    """The votes on ``motion``, the form to call its vote (a voting member, after the wait) and
    the form to open one (a facilitator), for the motion's page."""
    return {
        "body": motion.body,
        "motion": motion,
        "polls": motion.polls.all(),
        "vote_callable": queries.vote_callable(motion, membership),
        "poll_form": (
            PollForm(body=motion.body) if membership and membership.is_facilitator else None
        ),
    }


def _meeting_context(context: Any) -> dict[str, Any]:
    """What the meeting page's own context says about the reader, for the vote's part."""
    keys = ("body", "meeting", "membership", "is_facilitator", "me_present", "request")
    return {key: context.get(key) for key in keys}


@register.inclusion_tag("voting/meeting/_vote.html", takes_context=True)
def meeting_vote(context: Any) -> dict[str, Any]:
    """The meeting's vote on its live page: turnout or result, the ballot for those in its
    electorate, and the hand count and closing forms for facilitators."""
    reader = _meeting_context(context)
    request = reader["request"]
    person = request.user if request is not None else None
    return reader | queries.meeting_vote(reader["meeting"], person)


@register.inclusion_tag("voting/meeting/_vote_projector.html", takes_context=True)
def meeting_vote_projector(context: Any) -> dict[str, Any]:
    """The meeting's vote as the projector shows it: turnout, or the result."""
    reader = _meeting_context(context)
    request = reader["request"]
    person = request.user if request is not None else None
    return reader | queries.meeting_vote(reader["meeting"], person)


@register.inclusion_tag("voting/meeting/_vote_form.html", takes_context=True)
def meeting_vote_form(context: Any, meeting: Any) -> dict[str, Any]:
    """The form a facilitator opens a vote of the members present with."""
    return _meeting_context(context) | {
        "vote_form": MeetingVoteForm(motions=queries.votable_motions(meeting))
    }
