"""Template tag a body's page uses to list surveys without the lower apps importing this one."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.surveys.queries import body_surveys

register = template.Library()


@register.inclusion_tag("surveys/_body.html")
def surveys_of_body(body: Any, membership: Any = None) -> dict[str, Any]:
    return {
        "body": body,
        "surveys": list(body_surveys(body, insider=membership is not None)[:5]),
        "facilitator": membership is not None and membership.is_facilitator,
    }
