"""Template tags the home page and a body's page use to show pledges, without the lower apps
importing this one (the templates load the library by name)."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.pledges.queries import body_pledges, committed_to, pledges_for

register = template.Library()


@register.inclusion_tag("pledges/_home.html", takes_context=True)
def pledges_home(context: Any) -> dict[str, Any]:
    """Open and recent pledges concerning the reader's assemblies, and which they committed to."""
    user = context.get("user")
    pledges = pledges_for(user)
    return {"pledges": pledges, "mine": committed_to(user, pledges)}


@register.inclusion_tag("pledges/_body.html", takes_context=True)
def pledges_of_body(context: Any, body: Any, membership: Any = None) -> dict[str, Any]:
    """A body's open and latest pledges (its own, and those that concern it)."""
    user = context.get("user")
    pledges = list(body_pledges(body, insider=membership is not None)[:5])
    return {
        "body": body,
        "pledges": pledges,
        "mine": committed_to(user, pledges),
        "facilitator": membership is not None and membership.is_facilitator,
    }
