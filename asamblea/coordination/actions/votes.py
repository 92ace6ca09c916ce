"""The coordination's own vote: its delegates cast their bodies' weight, split by mandate, and
the close adds the seats up by the statute's rule.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person, Visitor
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.coordination import aggregate as agg
from asamblea.coordination.actions.affiliations import assembly_decided
from asamblea.coordination.actions.common import channel, check_future
from asamblea.coordination.models import (
    Affiliation,
    AffiliationRequest,
    Candidacy,
    CoordinationVote,
    Delegation,
    Mandate,
    Seat,
)
from asamblea.coordination.queries import (
    active_delegations,
    choice_label,
    require_coordination,
    require_facilitator_of_coordination,
    seat_votes,
    statute_of,
    verified_membership,
)
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.motions.actions import set_state
from asamblea.motions.models import Motion
from asamblea.voting.actions import DEFAULT_VOTE_DURATION


@transaction.atomic
def vote_open(
    facilitator: Person,
    coordination: Body,
    motion: Motion,
    *,
    closes_at: datetime | None = None,
) -> CoordinationVote:
    """Open the delegates' vote on a motion on the coordination's agenda; without ``closes_at``
    it closes itself after ``DEFAULT_VOTE_DURATION``.

    Seats and weights are frozen now: each member body's weight (1, or its verified active
    membership) is shared between its active delegates; a body without delegates gets one empty
    seat a delegate it elects later can take. The motion row is locked (one open vote each).
    """
    require_coordination(coordination)
    require_facilitator_of_coordination(facilitator, coordination)
    check_future(closes_at)
    if closes_at is None:  # no facilitator can hold the delegates' decision open for ever
        closes_at = timezone.now() + DEFAULT_VOTE_DURATION
    motion = Motion.objects.select_for_update().get(pk=motion.pk)
    if motion.body_id != coordination.pk:
        raise NotAllowed(_("This motion belongs to another body."))
    if motion.state != Motion.State.SUPPORTED:
        raise Conflict(_("A vote can only be opened on a motion on the agenda."))
    statute = statute_of(coordination)
    weighting = agg.Weighting(statute.weighting)
    body_ids = list(
        Affiliation.objects.filter(coordination=coordination, left_at__isnull=True)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    if not body_ids:
        raise Conflict(_("This coordination has no member bodies yet."))
    membership = verified_membership(body_ids)
    weights = agg.freeze_weights(weighting, membership)
    delegations: dict[int, list[Delegation]] = {pk: [] for pk in body_ids}
    for delegation in active_delegations(coordination=coordination, body_id__in=body_ids):
        delegations[delegation.body_id].append(delegation)
    set_state(facilitator, motion, to_state=Motion.State.VOTING)
    vote = CoordinationVote.objects.create(
        coordination=coordination,
        motion=motion,
        title=motion.title,
        weighting=weighting.value,
        quorum_percent=coordination.quorum_percent,
        majority=coordination.majority,
        opened_by=facilitator,
        closes_at=closes_at,
    )
    seats = []
    for body_id in body_ids:
        holders: list[Delegation | None] = list(delegations[body_id]) or [None]
        share = Fraction(weights[body_id], len(holders))
        for holder in holders:
            seats.append(
                Seat(
                    vote=vote,
                    body_id=body_id,
                    delegation=holder,
                    share_num=share.numerator,
                    share_den=share.denominator,
                    cap=membership[body_id],
                )
            )
    Seat.objects.bulk_create(seats, batch_size=2000)
    record(
        coordination,
        "coordination.vote_opened",
        {
            "vote": vote.pk,
            "motion": motion.number,
            "weighting": weighting.value,
            "weights": {str(k): v for k, v in weights.items()},
            "seats": len(seats),
            "quorum_percent": vote.quorum_percent,
            "majority": vote.majority,
        },
    )
    publish_on_commit(channel(coordination), "coordination.vote", {"vote": vote.pk})
    return vote


def _split_counts(values: Any) -> tuple[int, int, int]:
    try:
        yes, no, abstain = (int(v) for v in values)
    except (TypeError, ValueError) as exc:
        raise Refused(_("Give the base's yes, no and abstain counts.")) from exc
    if min(yes, no, abstain) < 0:
        raise Refused(_("Counts cannot be negative."))
    return yes, no, abstain


def _mandated_split(mandate: Mandate | None, cap: int) -> tuple[int, int, int] | None:
    """What a binding mandate casts under split weighting: the counts of the members' vote
    that decided it, or the whole membership on the mandated side."""
    if mandate is None or not mandate.binding or mandate.position in ("", "free"):
        return None
    if mandate.poll_id and mandate.poll.result and mandate.poll.result.get("quorum_met"):
        result = mandate.poll.result
        return (
            int(Fraction(result["yes"])),
            int(Fraction(result["no"])),
            int(Fraction(result["abstain"])),
        )
    side = {"for": 0, "against": 1, "abstain": 2}[mandate.position]
    counts = [0, 0, 0]
    counts[side] = cap
    return (counts[0], counts[1], counts[2])


@transaction.atomic
def delegate_cast(
    person: Visitor,
    vote: CoordinationVote,
    body: Body,
    *,
    choice: str = "",
    split: tuple[Any, Any, Any] | None = None,
) -> Seat:
    """A delegate casts their seat's vote for their own body, once.

    Locks the seat row (``select_for_update``): a recall, a second click or a close racing
    with the cast is serialised on it; the vote row is read under lock too, so a close waits.

    A binding mandate is never silently applied over the delegate's choice: a vote that
    contradicts it is refused with a sentence saying so, unless the coordination's statute
    allows divergence, in which case it is cast as chosen, flagged as diverging, and reported
    to the base assembly (an entry in its ledger and a live event on its channel). Under split
    weighting, counts left out are the mandate's.
    """
    if person is None or not person.is_authenticated:
        raise NotAllowed(_("Log in to vote."))
    locked_vote = CoordinationVote.objects.select_for_update().get(pk=vote.pk)
    if not locked_vote.is_open or locked_vote.is_past_closing_time():
        raise Conflict(_("This vote is closed."), code="vote_closed")
    seat = (
        Seat.objects.select_for_update()
        .filter(
            vote=locked_vote,
            body=body,
            delegation__person=person,
            delegation__recalled_at__isnull=True,
            delegation__term_ends__gt=timezone.now(),
        )
        .first()
    )
    if seat is None:
        raise NotAllowed(_("Only a delegate of this body can vote for it."), code="not_delegate")
    if seat.has_voted:
        raise Conflict(_("You have already voted for this body."), code="already_voted")
    mandate = (
        Mandate.objects.select_related("poll")
        .filter(body=body, motion_id=locked_vote.motion_id)
        .exclude(position="")
        .first()
    )
    position = agg.Position(mandate.position) if mandate is not None else None
    binding = bool(mandate and mandate.binding)
    divergence_allowed = statute_of(locked_vote.coordination).divergence_allowed
    if locked_vote.is_split:
        mandated = _mandated_split(mandate, seat.cap)
        given = split if split is not None and any(v not in (None, "") for v in split) else None
        counts = _split_counts(given) if given is not None else (mandated or _split_counts(()))
        try:
            agg.check_split(counts, seat.cap)
        except ValueError as exc:
            raise Refused(
                _("The counts add up to more than the %(n)s members the body had at opening.")
                % {"n": seat.cap}
            ) from exc
        if mandated is not None and counts != mandated and not divergence_allowed:
            raise Refused(
                _(
                    "Your assembly's binding mandate is yes %(yes)s, no %(no)s, abstain "
                    "%(abstain)s. Cast these counts, or ask your assembly to change its mandate."
                )
                % dict(zip(("yes", "no", "abstain"), mandated, strict=True)),
                code="binding_mandate",
            )
        seat.split_yes, seat.split_no, seat.split_abstain = counts
        seat.requested = ""
    else:
        if choice not in agg.CHOICES:
            raise Refused(_("Choose yes, no or abstain."), code="bad_choice")
        mandated_choice = agg.mandated_choice(position, binding, choice)
        if mandated_choice != choice and not divergence_allowed:
            raise Refused(
                _(
                    "Your assembly's binding mandate is to vote “%(mandated)s”: a vote of "
                    "“%(choice)s” contradicts it and was not cast. Vote as mandated, or ask "
                    "your assembly to change its mandate."
                )
                % {"mandated": choice_label(mandated_choice), "choice": choice_label(choice)},
                code="binding_mandate",
            )
        seat.requested = choice
        seat.choice = choice
    seat.mandate = mandate.position if mandate is not None else ""
    seat.binding = binding
    seat.cast_at = timezone.now()
    seat.save()
    divergent = agg.diverges(position, seat.choice or None, seat.split)
    if divergent and binding:
        _report_divergence(locked_vote, seat, body, person)
    record(
        locked_vote.coordination,
        "coordination.delegate_voted",
        {
            "vote": locked_vote.pk,
            "body": body.pk,
            "delegate": person.pk,
            "choice": seat.choice,
            "split": list(seat.split) if seat.split else None,
            "mandate": seat.mandate,
            "binding": binding,
            "diverges": divergent,
        },
    )
    publish_on_commit(
        channel(locked_vote.coordination_id), "coordination.vote", {"vote": locked_vote.pk}
    )
    return seat


def _report_divergence(vote: CoordinationVote, seat: Seat, body: Body, person: Person) -> None:
    """Tell the base assembly that its delegate diverged from its binding mandate (the statute
    allows it): an entry in the assembly's own ledger and a live event on its channel."""
    record(
        body,
        "coordination.delegate_diverged",
        {
            "coordination": vote.coordination_id,
            "vote": vote.pk,
            "motion": vote.motion.number,
            "delegate": person.pk,
            "mandate": seat.mandate,
            "choice": seat.choice,
            "split": list(seat.split) if seat.split else None,
        },
    )
    publish_on_commit(channel(body), "coordination.delegate_diverged", {"vote": vote.pk})


@transaction.atomic
def vote_close(by: Person | None, vote: CoordinationVote) -> CoordinationVote:
    """Count the delegates' vote and settle the motion; ``by`` None means its time passed.

    Takes ``FOR UPDATE`` on the vote row, which casts also take, so no cast slips in after.
    The decision is recorded in the coordination's ledger and in each member body's (the
    report-back: the body's delegates' votes beside its mandate)."""
    # Imported here: a delegate election opens coordination votes (delegates imports votes).
    from asamblea.coordination.actions.delegates import settle_vote_election

    if by is not None:
        require_facilitator_of_coordination(by, vote.coordination)
    locked = CoordinationVote.objects.select_for_update().get(pk=vote.pk)
    if not locked.is_open:
        raise Conflict(_("This vote is already closed."), code="vote_closed")
    seats = seat_votes(locked)
    outcome = agg.delegate_outcome(
        seats, Fraction(locked.quorum_percent, 100), agg.Majority(locked.majority)
    )
    rows = list(Seat.objects.filter(vote=locked).select_related("body"))
    divergent = [
        s.pk
        for s in rows
        if agg.diverges(agg.Position(s.mandate) if s.mandate else None, s.choice or None, s.split)
    ]
    locked.state = CoordinationVote.State.CLOSED
    locked.closed_at = timezone.now()
    locked.result = outcome.to_dict() | {
        "seats": len(rows),
        "voted": sum(1 for s in rows if s.has_voted),
        "divergent": len(divergent),
    }
    locked.save(update_fields=["state", "closed_at", "result"])
    motion = Motion.objects.select_for_update().get(pk=locked.motion_id)
    to_state = Motion.State.ADOPTED if outcome.adopted else Motion.State.REJECTED
    set_state(by, motion, to_state=to_state, reason=f"coordination vote {locked.pk}")
    # A coordination joins or leaves another by its own delegates' vote on the motion.
    request = AffiliationRequest.objects.filter(motion=motion).first()
    if request is not None:
        assembly_decided(by, request, adopted=outcome.adopted)
    candidacy = Candidacy.objects.filter(vote=locked).first()
    if candidacy is not None:
        settle_vote_election(candidacy)
    record(
        locked.coordination,
        "coordination.vote_closed",
        {"vote": locked.pk, "by": by.pk if by is not None else None, "result": locked.result},
    )
    by_body: dict[int, list[Seat]] = {}
    for seat in rows:
        by_body.setdefault(seat.body_id, []).append(seat)
    for seats_of_body in by_body.values():
        record(
            seats_of_body[0].body,
            "coordination.decided",
            {
                "coordination": locked.coordination_id,
                "vote": locked.pk,
                "motion": motion.number,
                "adopted": outcome.adopted,
                "mandate": seats_of_body[0].mandate,
                "delegate_votes": [s.choice or ("split" if s.split else "") for s in seats_of_body],
            },
        )
    publish_on_commit(channel(locked.coordination_id), "coordination.vote", {"vote": locked.pk})
    return locked
