"""The verifiable part of a poll's page (the voting app's template loads this tag)."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.verifiable import queries

register = template.Library()


@register.inclusion_tag("verifiable/_poll_block.html")
def verifiable_poll(poll: Any) -> dict[str, Any]:
    vote = queries.vote_of(poll)
    label = vote.get_phase_display() if vote is not None else queries.Phase.SETUP.label
    return {"body": poll.body, "poll": poll, "phase_label": label}
