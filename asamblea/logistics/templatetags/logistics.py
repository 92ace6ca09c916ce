"""How pages of lower apps link to the logistics board without importing it: a coordination's
page loads this library and asks for the link, shown only to those who read the board."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.logistics.queries import reads_board

register = template.Library()


@register.inclusion_tag("logistics/_board_link.html", takes_context=True)
def board_link(context: dict[str, Any], coordination: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"coordination": coordination, "shown": reads_board(user, coordination)}
