"""Coordinations and their statutes: creating a coordinating body, setting its rules."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import body_create, record
from asamblea.bodies.models import Body
from asamblea.coordination import aggregate as agg
from asamblea.coordination.actions.common import COORDINATION_KINDS, MAX_THRESHOLD, check_rules
from asamblea.coordination.models import (
    RECALL_HOURS_MAX,
    Statute,
)
from asamblea.coordination.queries import (
    require_coordination,
    require_facilitator_of_coordination,
    statute_of,
)
from asamblea.errors import Refused


def _check_statute(
    weighting: str, forward_threshold: int, admission: str, recall_hours: int = 72
) -> None:
    if weighting not in agg.Weighting._value2member_map_:
        raise Refused(_("Choose a valid delegate weighting."))
    if not 1 <= forward_threshold <= MAX_THRESHOLD:
        raise Refused(_("The number of backing bodies is between 1 and 1000."))
    if admission not in Statute.Admission.values:
        raise Refused(_("Choose how joining and leaving are accepted."))
    if not 1 <= recall_hours <= RECALL_HOURS_MAX:
        raise Refused(_("A recall vote stays open between 1 hour and 30 days (720 hours)."))


def _check_forward_decision(forward_decision: str) -> None:
    if forward_decision not in Statute.ForwardDecision.values:
        raise Refused(_("Choose how member bodies decide to forward or back a motion."))


@transaction.atomic
def coordination_create(
    creator: Person,
    *,
    name: str,
    kind: str,
    weighting: str = agg.Weighting.ONE_BODY_ONE_VOTE.value,
    forward_threshold: int = 1,
    admission: str = Statute.Admission.FACILITATORS,
    forward_decision: str = Statute.ForwardDecision.VOTE,
    **body_fields: Any,
) -> Body:
    """Create a coordinating body with its statute; its creator is its first facilitator."""
    if kind not in COORDINATION_KINDS:
        raise Refused(_("Choose a kind of coordinating body."))
    _check_statute(weighting, forward_threshold, admission)
    _check_forward_decision(forward_decision)
    body = body_create(creator, name=name, kind=kind, **body_fields)
    Statute.objects.create(
        body=body,
        weighting=weighting,
        forward_threshold=forward_threshold,
        admission=admission,
        forward_decision=forward_decision,
    )
    record(
        body,
        "statute.set",
        {
            "weighting": weighting,
            "forward_threshold": forward_threshold,
            "admission": admission,
            "forward_decision": forward_decision,
        },
    )
    return body


@transaction.atomic
def statute_set(
    facilitator: Person,
    coordination: Body,
    *,
    weighting: str,
    forward_threshold: int,
    admission: str,
    quorum_percent: int,
    majority: str,
    recall_hours: int | None = None,
    divergence_allowed: bool | None = None,
    forward_decision: str | None = None,
) -> Statute:
    """Change the statute. Votes and consultations already open keep the rules they opened
    with (they copied them), and an open recall keeps its closing time; the body row is locked
    so two changes do not interleave. ``recall_hours`` and ``divergence_allowed`` left None
    keep their current values."""
    require_coordination(coordination)
    require_facilitator_of_coordination(facilitator, coordination)
    current = statute_of(coordination)
    recall_hours = current.recall_hours if recall_hours is None else recall_hours
    if divergence_allowed is None:
        divergence_allowed = current.divergence_allowed
    forward_decision = forward_decision or current.forward_decision
    _check_forward_decision(forward_decision)
    _check_statute(weighting, forward_threshold, admission, recall_hours)
    check_rules(quorum_percent, majority)
    locked = Body.objects.select_for_update().get(pk=coordination.pk)
    locked.quorum_percent, locked.majority = quorum_percent, majority
    locked.save(update_fields=["quorum_percent", "majority"])
    statute, _created = Statute.objects.update_or_create(
        body=locked,
        defaults={
            "weighting": weighting,
            "forward_threshold": forward_threshold,
            "admission": admission,
            "recall_hours": recall_hours,
            "divergence_allowed": divergence_allowed,
            "forward_decision": forward_decision,
        },
    )
    record(
        locked,
        "statute.set",
        {
            "weighting": weighting,
            "forward_threshold": forward_threshold,
            "admission": admission,
            "quorum_percent": quorum_percent,
            "majority": majority,
            "recall_hours": recall_hours,
            "divergence_allowed": divergence_allowed,
            "forward_decision": forward_decision,
            "by": facilitator.pk,
        },
    )
    return statute
