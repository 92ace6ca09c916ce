"""Template tags other apps' pages use to show meetings without importing the meetings app."""

from __future__ import annotations

from typing import Any

from django import template

from asamblea.meetings.models import Meeting

register = template.Library()


@register.simple_tag
def published_minutes(body: Any, limit: int = 10) -> list[Meeting]:
    """The assembly's latest meetings whose minutes are published."""
    return list(
        Meeting.objects.filter(body=body, minutes_published_at__isnull=False).order_by(
            "-closed_at"
        )[:limit]
    )


@register.simple_tag
def upcoming_meetings(body: Any, limit: int = 5) -> list[Meeting]:
    """Meetings that are scheduled or in session."""
    return list(
        Meeting.objects.filter(body=body)
        .exclude(state=Meeting.State.CLOSED)
        .order_by("starts_at")[:limit]
    )


@register.simple_tag
def meetings_now(body: Any, limit: int = 5) -> dict[str, Any]:
    """What an assembly's page shows first: the meetings in session, the next scheduled one,
    and the later scheduled ones (at most ``limit`` in all)."""
    current = upcoming_meetings(body, limit)
    in_session = [m for m in current if m.state == Meeting.State.OPEN]
    scheduled = [m for m in current if m.state == Meeting.State.SCHEDULED]
    return {
        "in_session": in_session,
        "next": scheduled[0] if scheduled else None,
        "later": scheduled[1:],
    }
