"""Joining and leaving a coordination: an assembly's request, decided by its members' vote
or its facilitators, and the coordination's answer.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    require_member,
)
from asamblea.coordination import aggregate as agg
from asamblea.coordination.actions.common import COORDINATION_KINDS, record_both
from asamblea.coordination.models import (
    Affiliation,
    AffiliationRequest,
    Statute,
)
from asamblea.coordination.queries import (
    active_delegations,
    can_view_coordination,
    graph,
    is_member_body,
    require_coordination,
    require_facilitator_of_coordination,
    statute_of,
)
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.motions.actions import motion_submit
from asamblea.motions.models import TITLE_MAX


def _lock_coordination_graph() -> None:
    """Serialise every change to the graph's edges: only coordinating bodies have members, so
    locking their rows (in primary-key order, so no deadlock) makes the cycle check and the
    insert one step. Affiliations change rarely; this costs nothing that matters."""
    list(
        Body.objects.select_for_update()
        .filter(kind__in=COORDINATION_KINDS)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def affiliation_propose(
    person: Person, body: Body, coordination: Body, *, direction: str
) -> AffiliationRequest:
    """Put a motion to the assembly to join (or leave) ``coordination``. The assembly decides
    by an ordinary vote on it; the coordination then accepts per its statute."""
    require_member(person, body)
    require_coordination(coordination)
    if not can_view_coordination(person, coordination):
        raise NotAllowed(_("This coordination is open to its members only."))
    if direction not in AffiliationRequest.Direction.values:
        raise Refused(_("Choose to join or to leave."))
    member = is_member_body(body, coordination)
    if direction == "join":
        if member:
            raise Conflict(_("This body already belongs to this coordination."))
        parents, _members, _kinds = graph()
        if agg.creates_cycle(parents, body.pk, coordination.pk):
            raise Refused(_("A body cannot join a coordination it already contains."), code="cycle")
    elif not member:
        raise Conflict(_("This body does not belong to this coordination."))
    pending = AffiliationRequest.objects.filter(
        body=body,
        coordination=coordination,
        state__in=[AffiliationRequest.State.PROPOSED, AffiliationRequest.State.DECIDED],
    )
    if pending.exists():
        raise Conflict(_("A motion about this coordination is already pending."))
    if direction == "join":
        title = _("Join %(name)s") % {"name": coordination.name}
        text = _("The assembly decides to join the coordinating body %(name)s.")
    else:
        title = _("Leave %(name)s") % {"name": coordination.name}
        text = _("The assembly decides to leave the coordinating body %(name)s.")
    motion = motion_submit(
        person, body, title=str(title)[:TITLE_MAX], text=str(text) % {"name": coordination.name}
    )
    request = AffiliationRequest.objects.create(
        body=body, coordination=coordination, direction=direction, motion=motion
    )
    record_both(
        body,
        coordination,
        "affiliation.proposed",
        {"request": request.pk, "direction": direction, "motion": motion.number},
    )
    return request


def assembly_decided(by: Person | None, request: AffiliationRequest, *, adopted: bool) -> None:
    """An assembly's vote on joining or leaving a coordination closed (the ``poll_closed``
    receiver calls it): the request goes to the coordination, or is dropped. ``by`` closed the
    vote (None: its time ran out)."""
    request = AffiliationRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != AffiliationRequest.State.PROPOSED:
        return
    request.state = (
        AffiliationRequest.State.DECIDED if adopted else AffiliationRequest.State.DROPPED
    )
    request.save(update_fields=["state"])
    record_both(
        request.body,
        request.coordination,
        "affiliation.assembly_decided",
        {"request": request.pk, "direction": request.direction, "adopted": adopted},
    )
    # Leaving is the assembly's own decision: it takes effect at once, so no facilitator of the
    # coordination can hold it back by never answering. Joining follows the statute.
    automatic = statute_of(request.coordination).admission == Statute.Admission.AUTOMATIC
    if adopted and (automatic or request.direction == AffiliationRequest.Direction.LEAVE):
        _settle_affiliation(request, accept=True, by=None)


def _settle_affiliation(request: AffiliationRequest, *, accept: bool, by: Person) -> None:
    _lock_coordination_graph()
    body, coordination = request.body, request.coordination
    if accept and request.direction == "join":
        parents, _members, _kinds = graph()
        if agg.creates_cycle(parents, body.pk, coordination.pk):
            raise Refused(_("A body cannot join a coordination it already contains."), code="cycle")
        if is_member_body(body, coordination):
            raise Conflict(_("This body already belongs to this coordination."))
        Affiliation.objects.create(member=body, coordination=coordination)
    elif accept:
        now = timezone.now()
        Affiliation.objects.filter(
            member=body, coordination=coordination, left_at__isnull=True
        ).update(left_at=now)
        # A body that left has no delegates there any more.
        active_delegations(body=body, coordination=coordination).update(term_ends=now)
    request.state = (
        AffiliationRequest.State.ACCEPTED if accept else AffiliationRequest.State.REFUSED
    )
    request.decided_by = by
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "decided_by", "decided_at"])
    kind = "affiliation.accepted" if accept else "affiliation.refused"
    record_both(
        body,
        coordination,
        kind,
        {
            "request": request.pk,
            "direction": request.direction,
            "by": by.pk if by is not None else None,
        },
    )


@transaction.atomic
def affiliation_decide(facilitator: Person, request: AffiliationRequest, *, accept: bool) -> None:
    """The coordination accepts or refuses an assembly's decision to join or leave.

    Locks the request row, then every coordinating body's row (see
    :func:`_lock_coordination_graph`) so the cycle check and the new edge are one step."""
    coordination = request.coordination
    require_facilitator_of_coordination(facilitator, coordination)
    locked = AffiliationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state == AffiliationRequest.State.PROPOSED:
        raise Conflict(_("The assembly has not decided yet."))
    if locked.state != AffiliationRequest.State.DECIDED:
        raise Conflict(_("This request was already settled."))
    if not accept and locked.direction == "leave":
        raise Refused(_("An assembly that decided to leave cannot be held back."))
    _settle_affiliation(locked, accept=accept, by=facilitator)
