"""Template helpers for election pages: pairing columns, and the list on an assembly's page."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.elections.models import Election

register = template.Library()


@register.filter
def zip_changes(cells: list[str], changes: list[str]) -> list[tuple[str, str]]:
    return list(zip(cells, changes, strict=True))


@register.filter
def zip_rows(names: list[str], rows: list[list[str]]) -> list[tuple[str, list[str]]]:
    return list(zip(names, rows, strict=True))


@register.inclusion_tag("elections/_body_elections.html", takes_context=True)
def body_elections(context: dict[str, Any], body: Any) -> dict[str, Any]:
    """The elections of ``body``, newest first, for its page (the caller checked viewing)."""
    membership = context.get("membership")
    return {
        "body": body,
        "elections": list(Election.objects.filter(body=body)[:20]),
        "can_create": membership is not None and membership.is_facilitator,
    }
