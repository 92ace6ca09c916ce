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
