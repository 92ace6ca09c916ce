"""Mandates: what a body's delegates must vote on a motion of the coordination, set by its
facilitators or its members' vote.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    require_facilitator,
)
from asamblea.coordination import aggregate as agg
from asamblea.coordination.actions.common import check_future, record_both, require_member_body
from asamblea.coordination.models import (
    Mandate,
)
from asamblea.coordination.queries import (
    require_coordination,
)
from asamblea.errors import Conflict, Refused
from asamblea.motions.models import Motion
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Poll


def _mandate_motion(body: Body, motion: Motion) -> None:
    coordination = motion.body
    require_coordination(coordination)
    require_member_body(body, coordination)
    if motion.state in Motion.FINAL_STATES:
        raise Conflict(_("The coordination has already decided this motion."))


@transaction.atomic
def mandate_set(
    facilitator: Person, body: Body, motion: Motion, *, position: str, binding: bool
) -> Mandate:
    """Record the body's position on a coordination motion (decided in a meeting or by its
    members' vote), which becomes its delegates' mandate. Unique per body and motion."""
    require_facilitator(facilitator, body)
    _mandate_motion(body, motion)
    if position not in agg.Position._value2member_map_:
        raise Refused(_("Choose for, against, abstain or a free vote."))
    existing = Mandate.objects.select_for_update().filter(body=body, motion=motion).first()
    if existing is not None and existing.poll_id and existing.poll.is_open:
        raise Conflict(_("The members are still voting on this mandate."))
    mandate, _created = Mandate.objects.update_or_create(
        body=body,
        motion=motion,
        defaults={"position": position, "binding": binding, "set_by": facilitator},
    )
    record_both(
        body,
        motion.body,
        "mandate.set",
        {"motion": motion.number, "position": position, "binding": binding},
    )
    return mandate


@transaction.atomic
def mandate_vote_open(
    facilitator: Person,
    body: Body,
    motion: Motion,
    *,
    binding: bool,
    closes_at: datetime | None = None,
) -> Mandate:
    """Put the body's position on a coordination motion to its members; the result (yes ->
    for, no -> against, a tie -> abstain, no quorum -> free) becomes the mandate."""
    require_facilitator(facilitator, body)
    _mandate_motion(body, motion)
    check_future(closes_at)
    existing = Mandate.objects.select_for_update().filter(body=body, motion=motion).first()
    if existing is not None and existing.poll_id and existing.poll.is_open:
        raise Conflict(_("The members are already voting on this mandate."))
    title = _("Mandate on %(coordination)s #%(number)s: %(title)s") % {
        "coordination": motion.body.name,
        "number": motion.number,
        "title": motion.title,
    }
    poll = poll_open(
        facilitator, body, title=str(title)[:200], secrecy="secret", closes_at=closes_at
    )
    mandate, _created = Mandate.objects.update_or_create(
        body=body,
        motion=motion,
        defaults={"position": "", "binding": binding, "poll": poll, "set_by": facilitator},
    )
    record_both(
        body, motion.body, "mandate.vote_opened", {"motion": motion.number, "poll": poll.pk}
    )
    return mandate


def settle_mandate(mandate: Mandate, poll: Poll) -> None:
    """Set the mandate the members' vote decided, free if it missed its quorum (the
    ``poll_closed`` receiver calls it, in the poll's closing transaction). No actor."""
    result = poll.result or {}
    if result.get("quorum_met"):
        yes, no = int(Fraction(result["yes"])), int(Fraction(result["no"]))
        position = agg.position_from_tally(yes, no).value
    else:
        position = agg.Position.FREE.value
    Mandate.objects.filter(pk=mandate.pk).update(position=position, set_at=timezone.now())
    record_both(
        mandate.body,
        mandate.motion.body,
        "mandate.set",
        {
            "motion": mandate.motion.number,
            "position": position,
            "binding": mandate.binding,
            "poll": poll.pk,
        },
    )
