"""The verifiable part of a poll's page (the voting app's template loads this tag)."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.verifiable import actions, queries

register = template.Library()


@register.inclusion_tag("verifiable/_poll_block.html", takes_context=True)
def verifiable_poll(context: dict[str, Any], poll: Any) -> dict[str, Any]:
    vote = queries.vote_of(poll)
    if vote is not None:
        # As the poll's own page closes a vote past its closing time: the ballot box closes.
        vote = actions.close_if_due(vote)
    label = vote.get_phase_display() if vote is not None else queries.Phase.SETUP.label
    membership = context.get("membership")
    return {
        "body": poll.body,
        "poll": poll,
        "phase_label": label,
        "setup_needed": vote is None and poll.is_open,
        "facilitator": bool(membership is not None and membership.is_facilitator),
    }
