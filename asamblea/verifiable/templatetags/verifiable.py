"""The verifiable part of a poll's or an election's page (the voting and elections apps'
templates load this tag)."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.verifiable import actions, queries
from asamblea.verifiable.core.channel import key_fingerprint
from asamblea.verifiable.subjects import Subject

register = template.Library()


def _block(context: dict[str, Any], subject: Subject) -> dict[str, Any]:
    vote = queries.vote_of(subject)
    if vote is not None:
        # As the poll's own page closes a vote past its closing time: the ballot box closes.
        vote = actions.close_if_due(vote)
    label = vote.get_phase_display() if vote is not None else queries.Phase.SETUP.label
    membership = context.get("membership")
    return {
        "body": subject.body,
        "poll": subject.poll,
        "election": subject.election,
        "urls": subject.urls(),
        "is_open": subject.is_open,
        "phase_label": label,
        "setup_needed": vote is None and subject.is_open,
        "facilitator": bool(membership is not None and membership.is_facilitator),
    }


@register.inclusion_tag("verifiable/_poll_block.html", takes_context=True)
def verifiable_poll(context: dict[str, Any], poll: Any) -> dict[str, Any]:
    return _block(context, Subject(poll=poll))


@register.inclusion_tag("verifiable/_poll_block.html", takes_context=True)
def verifiable_election(context: dict[str, Any], election: Any) -> dict[str, Any]:
    return _block(context, Subject(election=election))


@register.filter
def channel_fingerprint(channel_key: str) -> str:
    """A trustee's channel key as trustees compare it out of band (``core.channel``)."""
    return key_fingerprint(channel_key) if channel_key else ""
