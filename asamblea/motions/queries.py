"""Reading motions."""

from __future__ import annotations

from typing import Any

from asamblea.bodies.models import Body
from asamblea.motions.models import Motion

# A motion in these states is still in play: it is shown first on the body's page.
IN_PLAY = (Motion.State.SUBMITTED, Motion.State.SUPPORTED, Motion.State.VOTING)


def body_motions(body: Body) -> dict[str, Any]:
    """The body's motions (not amendments) with where each went or came from: ``in_play`` and
    ``past`` (decided or withdrawn), both lazy querysets."""
    motions = (
        Motion.objects.filter(body=body, parent=None)
        .select_related("author", "forwarded_from__origin__body")
        .prefetch_related("forwards__coordination")
    )
    return {
        "in_play": motions.filter(state__in=IN_PLAY),
        "past": motions.exclude(state__in=IN_PLAY),
    }
