"""Template helpers that show motions on pages of the apps below (the body page)."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.motions.queries import body_motions as _body_motions

register = template.Library()


@register.simple_tag
def body_motions(body: Any) -> dict[str, Any]:
    """The motions of ``body`` still in play and those decided or withdrawn (the caller checked
    viewing): ``{% body_motions body as motions %}``, then ``motions.in_play``, ``motions.past``."""
    return _body_motions(body)
