"""Writes of coordination: affiliations, statutes, delegates, mandates, delegate votes, and
motions that flow up (forward), down (consultation) and sideways (solidarity).

Each function checks rights, writes in one transaction, records in the ledgers concerned and
publishes live events after commit. Votes of an assembly's own members (joining, electing,
recalling, deciding a mandate or a consultation online) are ordinary polls of that assembly;
:func:`on_poll_closed` settles what they decide, inside the poll's closing transaction.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.actions import body_create, record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    require_facilitator,
    require_member,
    voting_members,
)
from asamblea.coordination import aggregate as agg
from asamblea.coordination.models import (
    RECALL_HOURS_MAX,
    Affiliation,
    AffiliationRequest,
    Backing,
    Candidacy,
    Consultation,
    ConsultedBody,
    CoordinationVote,
    DelegateElection,
    Delegation,
    Forward,
    ForwardVote,
    Mandate,
    Recall,
    Seat,
    Solidarity,
    Statute,
)
from asamblea.coordination.queries import (
    active_delegations,
    base_of,
    can_view_coordination,
    graph,
    is_member_body,
    require_coordination,
    require_facilitator_of_coordination,
    statute_of,
    verified_membership,
    voting_member_counts,
)
from asamblea.dates import check_moment
from asamblea.elections.methods.plurality import count_approval
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.meetings.models import Meeting
from asamblea.motions.actions import motion_submit, set_state
from asamblea.motions.models import TEXT_MAX, TITLE_MAX, Motion, MotionVersion, StateChange
from asamblea.voting.actions import DEFAULT_VOTE_DURATION, poll_close, poll_open
from asamblea.voting.models import Eligibility, Poll

MAX_SEATS = 10
MAX_CANDIDATES = 30
MAX_TERM_DAYS = 730
MAX_THRESHOLD = 1000
# A member body's vote on forwarding or backing a motion closes itself after this (facilitators
# may close it earlier, as any vote of the members: quorum and majority still decide).
FORWARD_VOTE_HOURS = 72
COORDINATION_KINDS = frozenset(Body.Kind.values) - Body.ASSEMBLY_KINDS


def _channel(body: Body | int) -> str:
    return f"body:{body if isinstance(body, int) else body.pk}"


def _record_both(body: Body, coordination: Body, kind: str, payload: dict[str, Any]) -> None:
    """Record one event in the assembly's ledger and in the coordination's."""
    payload = payload | {"body": body.pk, "coordination": coordination.pk}
    record(body, kind, payload)
    record(coordination, kind, payload)


def _check_future(moment: datetime | None) -> None:
    check_moment(moment)


def _check_rules(quorum_percent: int, majority: str) -> None:
    if not 0 <= quorum_percent <= 100:
        raise Refused(_("The quorum is a percentage between 0 and 100."))
    if majority not in Poll.Majority.values:
        raise Refused(_("Choose a valid majority rule."))


# --- Coordinations and their statutes --------------------------------------------------------


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
    creator: Any,
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
    facilitator: Any,
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
    _check_rules(quorum_percent, majority)
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


# --- Joining and leaving ---------------------------------------------------------------------


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
    person: Any, body: Body, coordination: Body, direction: str
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
    _record_both(
        body,
        coordination,
        "affiliation.proposed",
        {"request": request.pk, "direction": direction, "motion": motion.number},
    )
    return request


def _assembly_decided(request: AffiliationRequest, adopted: bool, by: Any) -> None:
    request = AffiliationRequest.objects.select_for_update().get(pk=request.pk)
    if request.state != AffiliationRequest.State.PROPOSED:
        return
    request.state = (
        AffiliationRequest.State.DECIDED if adopted else AffiliationRequest.State.DROPPED
    )
    request.save(update_fields=["state"])
    _record_both(
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


def _settle_affiliation(request: AffiliationRequest, *, accept: bool, by: Any) -> None:
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
    _record_both(
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
def affiliation_decide(facilitator: Any, request: AffiliationRequest, accept: bool) -> None:
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


# --- Delegates -------------------------------------------------------------------------------


def _require_member_body(body: Body, coordination: Body) -> None:
    if not is_member_body(body, coordination):
        raise Refused(_("This body does not belong to this coordination."), code="not_member")


@transaction.atomic
def election_open(
    facilitator: Any,
    body: Body,
    coordination: Body,
    *,
    candidates: list[Any],
    seats: int,
    term_days: int,
    closes_at: datetime | None = None,
) -> DelegateElection:
    """Open the election of ``seats`` delegates by the body's members: one secret yes / no poll
    per candidate, where yes approves. Approval voting fills the seats when every poll closed.

    A coordinating body elects its own delegates to a higher coordination the same way, but its
    voters are its delegates: each candidate is a motion on its agenda decided by a delegates'
    vote (weighed by its statute), and the yes weight of that vote is the approval.
    """
    require_facilitator(facilitator, body)
    _require_member_body(body, coordination)
    if not 1 <= seats <= MAX_SEATS:
        raise Refused(_("Elect between 1 and 10 delegates."))
    if not 1 <= term_days <= MAX_TERM_DAYS:
        raise Refused(_("A term lasts between 1 and 730 days."))
    people = list(dict.fromkeys(candidates))
    if not seats <= len(people) <= MAX_CANDIDATES:
        raise Refused(_("Name at least as many candidates as seats, and at most 30."))
    if any(p.pk not in election_candidates(body) for p in people):
        raise Refused(_("Every candidate must be a member of the assembly."))
    _check_future(closes_at)
    election = DelegateElection.objects.create(
        body=body,
        coordination=coordination,
        seats=seats,
        term_days=term_days,
        opened_by=facilitator,
    )
    for order, person in enumerate(people):
        title = str(
            _("Delegate to %(coordination)s: %(name)s")
            % {"coordination": coordination.name, "name": person.display_name}
        )[:TITLE_MAX]
        if body.is_assembly:
            poll = poll_open(facilitator, body, title=title, secrecy="secret", closes_at=closes_at)
            Candidacy.objects.create(election=election, person=person, poll=poll, order=order)
        else:
            motion = _put_on_agenda(body, title, title, "", "delegate election", None)
            vote = vote_open(facilitator, body, motion, closes_at=closes_at)
            Candidacy.objects.create(election=election, person=person, vote=vote, order=order)
    _record_both(
        body,
        coordination,
        "delegate.election_opened",
        {
            "election": election.pk,
            "seats": seats,
            "term_days": term_days,
            "candidates": [p.pk for p in people],
        },
    )
    return election


def election_candidates(body: Body) -> set[int]:
    """Who may stand: an assembly's voting members; for a coordinating body, the persons who
    facilitate it and the delegates of its member bodies."""
    members = set(voting_members(body).values_list("person_id", flat=True))
    if not body.is_assembly:
        members |= set(active_delegations(coordination=body).values_list("person_id", flat=True))
    return members


def _settle_election(candidacy: Candidacy, poll: Poll) -> None:
    """Store a candidate's approvals (the yes of its poll, if the poll met its quorum); when
    every candidate's poll is closed, fill the seats by approval voting.
    Locks the election row so two polls closing at once settle it once."""
    election = DelegateElection.objects.select_for_update().get(pk=candidacy.election_id)
    result = poll.result or {}
    approvals = int(Fraction(result.get("yes", "0"))) if result.get("quorum_met") else 0
    Candidacy.objects.filter(pk=candidacy.pk).update(approvals=approvals)
    if election.state != DelegateElection.State.OPEN:
        return
    candidacies = list(election.candidacies.select_related("person"))
    if any(c.approvals is None for c in candidacies):
        return
    _fill_seats(election, candidacies, {c.person_id: c.approvals or 0 for c in candidacies})


def _settle_vote_election(candidacy: Candidacy) -> None:
    """A coordinating body's election: when every candidate's delegates' vote is closed, the
    yes weights (exact fractions, scaled by their common denominator to whole numbers so the
    order and the ties are unchanged) are the approvals. Locks the election row."""
    election = DelegateElection.objects.select_for_update().get(pk=candidacy.election_id)
    if election.state != DelegateElection.State.OPEN:
        return
    candidacies = list(election.candidacies.select_related("person", "vote"))
    if any(c.vote is None or c.vote.is_open for c in candidacies):
        return
    weights = {
        c.person_id: Fraction(c.vote.result["yes"]) if c.vote.result["quorum_met"] else Fraction(0)
        for c in candidacies
        if c.vote is not None and c.vote.result is not None
    }
    scale = math.lcm(*(w.denominator for w in weights.values()))
    counts = {person: int(w * scale) for person, w in weights.items()}
    for c in candidacies:
        Candidacy.objects.filter(pk=c.pk).update(approvals=counts.get(c.person_id, 0))
        c.approvals = counts.get(c.person_id, 0)
    _fill_seats(election, candidacies, counts)


def _fill_seats(
    election: DelegateElection, candidacies: list[Candidacy], counts: dict[int, int]
) -> None:
    # Approval voting from the shared counting methods: a yes on a candidate's poll is one
    # approval mark; ties at the last seat are drawn by the seeded lot. Nobody is elected
    # without at least one approval.
    counted = count_approval(
        [str(c.person_id) for c in candidacies],
        [(frozenset({i}), counts.get(c.person_id, 0)) for i, c in enumerate(candidacies)],
        election.seats,
        seed=f"delegate-election:{election.pk}",
    )
    winners = [candidacies[i].person_id for i in counted.elected if counted.votes[i] > 0]
    election.state = DelegateElection.State.CLOSED
    election.closed_at = timezone.now()
    election.save(update_fields=["state", "closed_at"])
    Candidacy.objects.filter(election=election, person_id__in=winners).update(elected=True)
    term_ends = timezone.now() + timedelta(days=election.term_days)
    for person_id in winners:
        delegation = Delegation.objects.create(
            body=election.body,
            coordination=election.coordination,
            person_id=person_id,
            election=election,
            term_ends=term_ends,
        )
        _fill_vacant_seats(delegation)
    _record_both(
        election.body,
        election.coordination,
        "delegate.elected",
        {
            "election": election.pk,
            "method": counted.method,
            "approvals": {str(k): v for k, v in counts.items()},
            "draws": [list(d.order) for d in counted.draws],
            "elected": winners,
            "term_ends": term_ends.isoformat(timespec="seconds"),
        },
    )


def _fill_vacant_seats(delegation: Delegation) -> None:
    """A newly elected delegate takes their body's empty seats in the coordination's open
    votes (seats emptied by a recall, or never filled)."""
    seats = Seat.objects.select_for_update().filter(
        vote__coordination=delegation.coordination,
        vote__state=CoordinationVote.State.OPEN,
        body=delegation.body,
        delegation__isnull=True,
    )
    taken_votes: set[int] = set()
    for seat in seats.order_by("vote_id", "pk"):
        if seat.vote_id in taken_votes:
            continue
        seat.delegation = delegation
        seat.save(update_fields=["delegation"])
        taken_votes.add(seat.vote_id)


def _open_member_poll(
    person: Any, body: Body, title: str, closes_at: datetime | None = None
) -> Poll:
    """Open a secret poll of the body's voting members on behalf of any member.

    Recalls need this: the base must be able to call the vote even when the delegate is the
    body's only facilitator. Same electorate snapshot and ledger entry as ``poll_open``.
    """
    poll = Poll.objects.create(
        body=body,
        title=title[:200],
        secrecy=Poll.Secrecy.SECRET,
        quorum_percent=body.quorum_percent,
        majority=body.majority,
        opened_by=person,
        closes_at=closes_at,
    )
    person_ids = list(
        voting_members(body).order_by("person_id").values_list("person_id", flat=True)
    )
    Eligibility.objects.bulk_create(
        [Eligibility(poll=poll, person_id=pid) for pid in person_ids], batch_size=2000
    )
    poll.electorate_size = len(person_ids)
    poll.save(update_fields=["electorate_size"])
    record(
        body,
        "poll.opened",
        {
            "poll": poll.pk,
            "motion": None,
            "title": poll.title,
            "secrecy": poll.secrecy,
            "quorum_percent": poll.quorum_percent,
            "majority": poll.majority,
            "electorate": len(person_ids),
            "closes_at": closes_at.isoformat() if closes_at else None,
        },
    )
    publish_on_commit(_channel(body), "poll.opened", {"poll": poll.pk})
    return poll


@transaction.atomic
def recall_open(person: Any, delegation: Delegation) -> Recall:
    """Any member of the delegate's body puts the recall to a vote of the body's members.

    The vote's closing time is fixed now from the coordination's statute (``recall_hours``,
    72 by default): it closes itself then (``asamblea close-due``, or the next visit of its
    page), and nobody can close it early or withdraw it (see :func:`on_poll_closing`). The
    delegation row is locked so one delegate has one recall vote open at a time."""
    require_member(person, delegation.body)
    locked = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if not locked.is_active():
        raise Conflict(_("This person is no longer a delegate."))
    if Recall.objects.filter(delegation=locked, poll__state=Poll.State.OPEN).exists():
        raise Conflict(_("A recall vote on this delegate is already open."))
    title = _("Recall %(name)s as delegate to %(coordination)s") % {
        "name": locked.person.display_name,
        "coordination": locked.coordination.name,
    }
    hours = statute_of(locked.coordination).recall_hours
    closes_at = timezone.now() + timedelta(hours=hours)
    poll = _open_member_poll(person, locked.body, str(title), closes_at)
    recall = Recall.objects.create(delegation=locked, poll=poll, proposed_by=person)
    _record_both(
        locked.body,
        locked.coordination,
        "delegate.recall_opened",
        {
            "delegation": locked.pk,
            "delegate": locked.person_id,
            "poll": poll.pk,
            "closes_at": closes_at.isoformat(timespec="seconds"),
        },
    )
    return recall


def _recall(delegation: Delegation, poll: Poll) -> None:
    """Recall takes effect at once: the delegation ends and, in every open vote of the
    coordination, the delegate's seat is emptied and their vote removed."""
    locked = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if locked.recalled_at is not None:
        return
    locked.recalled_at = timezone.now()
    locked.recall_poll = poll
    locked.save(update_fields=["recalled_at", "recall_poll"])
    seats = Seat.objects.select_for_update().filter(
        delegation=locked, vote__state=CoordinationVote.State.OPEN
    )
    votes = sorted(set(seats.values_list("vote_id", flat=True)))
    removed = [s.pk for s in seats if s.has_voted]
    seats.update(
        delegation=None,
        vacated=True,
        choice="",
        requested="",
        split_yes=None,
        split_no=None,
        split_abstain=None,
        cast_at=None,
    )
    _record_both(
        locked.body,
        locked.coordination,
        "delegate.recalled",
        {
            "delegation": locked.pk,
            "delegate": locked.person_id,
            "poll": poll.pk,
            "open_votes": votes,
            "votes_removed": len(removed),
        },
    )
    for vote_id in votes:
        publish_on_commit(_channel(locked.coordination), "coordination.vote", {"vote": vote_id})


# --- Mandates --------------------------------------------------------------------------------


def _mandate_motion(body: Body, motion: Motion) -> None:
    coordination = motion.body
    require_coordination(coordination)
    _require_member_body(body, coordination)
    if motion.state in Motion.FINAL_STATES:
        raise Conflict(_("The coordination has already decided this motion."))


@transaction.atomic
def mandate_set(
    facilitator: Any, body: Body, motion: Motion, *, position: str, binding: bool
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
    _record_both(
        body,
        motion.body,
        "mandate.set",
        {"motion": motion.number, "position": position, "binding": binding},
    )
    return mandate


@transaction.atomic
def mandate_vote_open(
    facilitator: Any,
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
    _check_future(closes_at)
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
    _record_both(
        body, motion.body, "mandate.vote_opened", {"motion": motion.number, "poll": poll.pk}
    )
    return mandate


def _settle_mandate(mandate: Mandate, poll: Poll) -> None:
    result = poll.result or {}
    if result.get("quorum_met"):
        yes, no = int(Fraction(result["yes"])), int(Fraction(result["no"]))
        position = agg.position_from_tally(yes, no).value
    else:
        position = agg.Position.FREE.value
    Mandate.objects.filter(pk=mandate.pk).update(position=position, set_at=timezone.now())
    _record_both(
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


# --- The coordination's own vote -------------------------------------------------------------


@transaction.atomic
def vote_open(
    facilitator: Any,
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
    _check_future(closes_at)
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
    set_state(motion, Motion.State.VOTING, facilitator)
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
    publish_on_commit(_channel(coordination), "coordination.vote", {"vote": vote.pk})
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
    person: Any,
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
        _channel(locked_vote.coordination_id), "coordination.vote", {"vote": locked_vote.pk}
    )
    return seat


def choice_label(choice: str) -> str:
    return str({"yes": _("Yes"), "no": _("No"), "abstain": _("Abstain")}.get(choice, choice))


def _report_divergence(vote: CoordinationVote, seat: Seat, body: Body, person: Any) -> None:
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
    publish_on_commit(_channel(body), "coordination.delegate_diverged", {"vote": vote.pk})


def seat_votes(vote: CoordinationVote) -> list[agg.SeatVote]:
    return [
        agg.SeatVote(
            body=seat.body_id,
            share=seat.share,
            choice=seat.choice or None,
            split=seat.split,
            cap=seat.cap,
            recalled=seat.delegation_id is None,
        )
        for seat in Seat.objects.filter(vote=vote).order_by("pk")
    ]


@transaction.atomic
def vote_close(by: Any | None, vote: CoordinationVote) -> CoordinationVote:
    """Count the delegates' vote and settle the motion; ``by`` None means its time passed.

    Takes ``FOR UPDATE`` on the vote row, which casts also take, so no cast slips in after.
    The decision is recorded in the coordination's ledger and in each member body's (the
    report-back: the body's delegates' votes beside its mandate)."""
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
    set_state(motion, to_state, by, f"coordination vote {locked.pk}")
    # A coordination joins or leaves another by its own delegates' vote on the motion.
    request = AffiliationRequest.objects.filter(motion=motion).first()
    if request is not None:
        _assembly_decided(request, outcome.adopted, by)
    candidacy = Candidacy.objects.filter(vote=locked).first()
    if candidacy is not None:
        _settle_vote_election(candidacy)
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
    publish_on_commit(_channel(locked.coordination_id), "coordination.vote", {"vote": locked.pk})
    return locked


# --- Up: forwarding --------------------------------------------------------------------------


def _next_number(body: Body) -> int:
    Body.objects.select_for_update().filter(pk=body.pk).first()
    return (Motion.objects.filter(body=body).aggregate(n=Max("number"))["n"] or 0) + 1


def _agenda_motion(coordination: Body, origin: Motion, reason: str) -> Motion:
    """Put a forwarded motion on the coordination's agenda, keeping where it came from."""
    return _put_on_agenda(
        coordination,
        origin.title,
        origin.text,
        (origin.reasons or "")[:TEXT_MAX],
        reason,
        {"body": origin.body_id, "motion": origin.number},
    )


def _put_on_agenda(
    coordination: Body,
    title: str,
    text: str,
    reasons: str,
    reason: str,
    origin: dict[str, Any] | None,
) -> Motion:
    """Create a motion on the coordination's agenda (``supported``: ready for a vote) and record
    it with its origin. The body row is locked for the numbering, as in ``motion_submit``."""
    number = _next_number(coordination)
    motion = Motion.objects.create(
        body=coordination,
        number=number,
        title=title,
        text=text,
        reasons=reasons,
        state=Motion.State.SUPPORTED,
    )
    MotionVersion.objects.create(
        motion=motion, number=1, title=motion.title, text=motion.text, reasons=reasons
    )
    StateChange.objects.create(motion=motion, to_state=Motion.State.SUPPORTED, reason=reason)
    record(
        coordination,
        "motion.submitted",
        {
            "motion": number,
            "title": motion.title,
            "author": None,
            "version": 1,
            "origin": origin,
            "reason": reason,
        },
    )
    return motion


def _decides_by_vote(coordination: Body) -> bool:
    return statute_of(coordination).forward_decision == Statute.ForwardDecision.VOTE


def _forward_vote_open(
    person: Any, body: Body, coordination: Body, origin: Motion, forward: Forward | None
) -> ForwardVote:
    """Put forwarding ``origin`` (or backing ``forward``) to a vote of ``body``'s members.
    The caller holds the lock on the origin motion's row: one such vote at a time."""
    pending = ForwardVote.objects.filter(
        body=body, coordination=coordination, origin=origin, poll__state=Poll.State.OPEN
    )
    if pending.exists():
        raise Conflict(_("The members are already voting on this."), code="vote_open")
    names = {"number": origin.number, "title": origin.title, "coordination": coordination.name}
    if forward is None:
        title = _("Forward motion #%(number)s «%(title)s» to %(coordination)s") % names
    else:
        title = _("Back «%(title)s» in %(coordination)s") % names
    closes_at = timezone.now() + timedelta(hours=FORWARD_VOTE_HOURS)
    poll = _open_member_poll(person, body, str(title), closes_at)
    vote = ForwardVote.objects.create(
        body=body,
        coordination=coordination,
        origin=origin,
        forward=forward,
        poll=poll,
        proposed_by=person,
    )
    _record_both(
        body,
        coordination,
        "motion.forward_vote_opened" if forward is None else "motion.backing_vote_opened",
        {"origin_body": origin.body_id, "motion": origin.number, "poll": poll.pk},
    )
    return vote


def _forward(motion: Motion, coordination: Body, by: Any, poll: Poll | None) -> Forward:
    """Send ``motion`` up (its body backs it) and put it on the agenda if that is enough."""
    body = motion.body
    try:
        with transaction.atomic():
            forward = Forward.objects.create(
                origin=motion, coordination=coordination, forwarded_by=by
            )
    except IntegrityError as exc:
        raise Conflict(_("This motion was already forwarded to this coordination.")) from exc
    Backing.objects.create(forward=forward, body=body, by=by)
    payload: dict[str, Any] = {"forward": forward.pk, "motion": motion.number}
    if poll is not None:
        payload["poll"] = poll.pk
    _record_both(body, coordination, "motion.forwarded", payload)
    _check_threshold(forward)
    return forward


@transaction.atomic
def motion_forward(person: Any, motion: Motion, coordination: Body) -> Forward | ForwardVote:
    """An assembly sends a motion it adopted up to one of its coordinations, by the rule of the
    coordination's statute: a vote of the assembly's members (any member puts it to the vote;
    the returned :class:`ForwardVote` forwards it if adopted), or, where the statute lets
    decisions taken in meetings be carried by a facilitator, a facilitator at once.

    The origin motion's row is locked: one forward vote at a time; the unique (motion,
    coordination) constraint refuses a second forward."""
    motion = Motion.objects.select_for_update().select_related("body").get(pk=motion.pk)
    body = motion.body
    require_coordination(coordination)
    by_vote = _decides_by_vote(coordination)
    if by_vote:
        require_member(person, body)
    else:
        require_facilitator(person, body)
    _require_member_body(body, coordination)
    if motion.state != Motion.State.ADOPTED:
        raise Conflict(_("Only a motion the assembly adopted can be forwarded."))
    if Forward.objects.filter(origin=motion, coordination=coordination).exists():
        raise Conflict(_("This motion was already forwarded to this coordination."))
    if by_vote:
        return _forward_vote_open(person, body, coordination, motion, None)
    return _forward(motion, coordination, person, None)


def _back(forward: Forward, body: Body, by: Any, poll: Poll | None) -> Backing:
    backing = Backing.objects.create(forward=forward, body=body, by=by)
    payload: dict[str, Any] = {"forward": forward.pk, "origin_body": forward.origin.body_id}
    if poll is not None:
        payload["poll"] = poll.pk
    _record_both(body, forward.coordination, "motion.backed", payload)
    _check_threshold(forward)
    return backing


@transaction.atomic
def forward_back(person: Any, forward: Forward, body: Body) -> Backing | ForwardVote:
    """Another member body backs a forwarded motion, by the statute's rule as in
    :func:`motion_forward`. Locks the forward row so the threshold puts it on the agenda
    exactly once, and the origin motion's row (one backing vote at a time)."""
    locked = (
        Forward.objects.select_for_update()
        .select_related("coordination", "origin__body")
        .get(pk=forward.pk)
    )
    by_vote = _decides_by_vote(locked.coordination)
    if by_vote:
        require_member(person, body)
    else:
        require_facilitator(person, body)
    _require_member_body(body, locked.coordination)
    if locked.agenda_motion_id is not None:
        raise Conflict(_("This motion is already on the coordination's agenda."))
    if Backing.objects.filter(forward=locked, body=body).exists():
        raise Conflict(_("This body already backs this motion."))
    if by_vote:
        Motion.objects.select_for_update().filter(pk=locked.origin_id).first()
        return _forward_vote_open(person, body, locked.coordination, locked.origin, locked)
    return _back(locked, body, person, None)


def _settle_forward_vote(vote: ForwardVote, poll: Poll, adopted: bool) -> None:
    """The members decided: forward or back when adopted. Runs inside the poll's closing
    transaction, so it never raises: what can no longer happen (the body left, the motion was
    forwarded or put on the agenda meanwhile) is recorded as lapsed."""
    if not adopted:
        return
    body, coordination = vote.body, vote.coordination
    reason = ""
    if not is_member_body(body, coordination):
        reason = "not_member"
    elif vote.forward_id is None:
        origin = Motion.objects.select_for_update().select_related("body").get(pk=vote.origin_id)
        if Forward.objects.filter(origin=origin, coordination=coordination).exists():
            reason = "already_forwarded"
        else:
            _forward(origin, coordination, None, poll)
            return
    else:
        forward = (
            Forward.objects.select_for_update()
            .select_related("coordination", "origin")
            .get(pk=vote.forward_id)
        )
        if forward.agenda_motion_id is not None:
            reason = "already_on_agenda"
        elif Backing.objects.filter(forward=forward, body=body).exists():
            reason = "already_backed"
        else:
            _back(forward, body, None, poll)
            return
    record(body, "motion.forward_lapsed", {"poll": poll.pk, "reason": reason})


def _check_threshold(forward: Forward) -> None:
    coordination = forward.coordination
    threshold = statute_of(coordination).forward_threshold
    backers = Backing.objects.filter(forward=forward).count()
    if forward.agenda_motion_id is None and backers >= threshold:
        motion = _agenda_motion(
            coordination, forward.origin, f"forwarded, backed by {backers} bodies"
        )
        Forward.objects.filter(pk=forward.pk).update(agenda_motion=motion)
        forward.agenda_motion = motion
        publish_on_commit(_channel(coordination), "motion.agenda", {"motion": motion.number})


# --- Down: consultations ---------------------------------------------------------------------


@transaction.atomic
def consultation_open(
    facilitator: Any,
    coordination: Body,
    motion: Motion,
    *,
    rule: str,
    deadline: datetime,
    quorum_percent: int | None = None,
    majority: str | None = None,
) -> Consultation:
    """Put a coordination motion to every base assembly below it, recursively.

    The rule, quorum, majority, and each assembly's electorate, weight (verified active
    membership), sectors and region are frozen now. The motion row is locked.
    """
    require_coordination(coordination)
    require_facilitator_of_coordination(facilitator, coordination)
    if rule not in agg.Rule._value2member_map_:
        raise Refused(_("Choose how the results are added up."))
    quorum_percent = coordination.quorum_percent if quorum_percent is None else quorum_percent
    majority = majority or coordination.majority
    _check_rules(quorum_percent, majority)
    if deadline is None or deadline <= timezone.now():
        raise Refused(_("The deadline must be in the future."))
    check_moment(deadline)
    motion = Motion.objects.select_for_update().get(pk=motion.pk)
    if motion.body_id != coordination.pk:
        raise NotAllowed(_("This motion belongs to another body."))
    if motion.state != Motion.State.SUPPORTED:
        raise Conflict(_("Only a motion on the agenda can be put to the assemblies."))
    base = base_of(coordination)
    if not base:
        raise Conflict(_("No assembly belongs to this coordination yet."))
    consultation = _create_consultation(
        facilitator, coordination, motion, base, rule, deadline, quorum_percent, majority
    )
    set_state(motion, Motion.State.VOTING, facilitator)
    record(
        coordination,
        "consultation.opened",
        {
            "consultation": consultation.pk,
            "motion": motion.number,
            "rule": rule,
            "quorum_percent": quorum_percent,
            "majority": majority,
            "deadline": deadline.isoformat(timespec="seconds"),
            "assemblies": len(base),
        },
    )
    publish_on_commit(_channel(coordination), "consultation", {"consultation": consultation.pk})
    return consultation


def _create_consultation(
    facilitator: Any,
    coordination: Body,
    motion: Motion,
    base: dict[int, int],
    rule: str,
    deadline: datetime,
    quorum_percent: int,
    majority: str,
) -> Consultation:
    consultation = Consultation.objects.create(
        coordination=coordination,
        motion=motion,
        title=motion.title,
        rule=rule,
        quorum_percent=quorum_percent,
        majority=majority,
        opened_by=facilitator,
        deadline=deadline,
    )
    ids = sorted(base)
    counts = voting_member_counts(ids)
    sectors: dict[int, list[str]] = {pk: [] for pk in ids}
    through = Body.sectors.through
    for body_id, slug in through.objects.filter(body_id__in=ids).values_list(
        "body_id", "sector__slug"
    ):
        sectors[body_id].append(slug)
    regions = dict(Body.objects.filter(pk__in=ids).values_list("pk", "region"))
    ConsultedBody.objects.bulk_create(
        [
            ConsultedBody(
                consultation=consultation,
                body_id=pk,
                member_of_id=base[pk],
                electorate=counts[pk],
                weight=counts[pk],
                sectors=sorted(sectors[pk]),
                region=regions.get(pk, ""),
            )
            for pk in ids
        ],
        batch_size=2000,
    )
    return consultation


def _consulted_open(row: ConsultedBody) -> ConsultedBody:
    """Lock the assembly's row and check the consultation still takes decisions."""
    locked = (
        ConsultedBody.objects.select_for_update()
        .select_related("consultation", "body")
        .get(pk=row.pk)
    )
    consultation = locked.consultation
    if not consultation.is_open or consultation.is_past_deadline():
        raise Conflict(_("This consultation is closed."), code="consultation_closed")
    if locked.decided:
        raise Conflict(_("This assembly has already decided."), code="already_decided")
    if locked.poll_id is not None:
        raise Conflict(_("This assembly is already voting online."), code="voting_online")
    return locked


@transaction.atomic
def consultation_poll_open(facilitator: Any, row: ConsultedBody, secrecy: str) -> Poll:
    """The assembly decides by an online vote of its members, closing at the deadline."""
    require_facilitator(facilitator, row.body)
    locked = _consulted_open(row)
    poll = poll_open(
        facilitator,
        locked.body,
        title=locked.consultation.title,
        secrecy=secrecy,
        closes_at=locked.consultation.deadline,
    )
    locked.means = ConsultedBody.Means.ONLINE
    locked.poll = poll
    locked.save(update_fields=["means", "poll"])
    _record_both(
        locked.body,
        locked.consultation.coordination,
        "consultation.online_vote_opened",
        {"consultation": locked.consultation_id, "poll": poll.pk},
    )
    return poll


@transaction.atomic
def consultation_meeting_vote_open(
    facilitator: Any, row: ConsultedBody, meeting: Meeting, secrecy: str
) -> Poll:
    """The assembly decides in one of its open meetings: a vote of the members present (who
    vote on their phones, or are counted by a show of hands that a second facilitator attests,
    as for any in-meeting vote). Its result settles the assembly's row when the vote closes."""
    require_facilitator(facilitator, row.body)
    if meeting.body_id != row.body_id:
        raise NotAllowed(_("This meeting belongs to another assembly."))
    locked = _consulted_open(row)
    poll = poll_open(
        facilitator,
        locked.body,
        title=locked.consultation.title,
        secrecy=secrecy,
        meeting=meeting,
    )
    locked.means = ConsultedBody.Means.MEETING
    locked.poll = poll
    locked.save(update_fields=["means", "poll"])
    _record_both(
        locked.body,
        locked.consultation.coordination,
        "consultation.meeting_vote_opened",
        {"consultation": locked.consultation_id, "poll": poll.pk, "meeting": meeting.pk},
    )
    return poll


@transaction.atomic
def consultation_record(
    facilitator: Any,
    row: ConsultedBody,
    *,
    means: str,
    yes: int,
    no: int,
    abstain: int,
    present: int,
    note: str = "",
) -> ConsultedBody:
    """Record the assembly's decision taken in a meeting or by a show of hands: the counts of
    individual yes / no / abstain and how many were present. Locks the assembly's row."""
    require_facilitator(facilitator, row.body)
    if means not in (ConsultedBody.Means.MEETING, ConsultedBody.Means.HANDS):
        raise Refused(_("Choose a vote in a meeting or a show of hands."))
    if min(yes, no, abstain, present) < 0:
        raise Refused(_("Counts cannot be negative."))
    if len(note) > 200:
        raise Refused(_("The note is too long (at most 200 characters)."))
    locked = _consulted_open(row)
    if yes + no + abstain > present:
        raise Refused(_("More votes than people present."))
    if present > locked.electorate:
        raise Refused(
            _("More people present than the %(n)s members the assembly had at opening.")
            % {"n": locked.electorate}
        )
    _decide_row(locked, means, yes, no, abstain, present, note)
    return locked


def _decide_row(
    row: ConsultedBody, means: str, yes: int, no: int, abstain: int, took_part: int, note: str
) -> None:
    row.means = means
    row.decided = True
    row.yes, row.no, row.abstain, row.participants = yes, no, abstain, took_part
    row.note = note
    row.decided_at = timezone.now()
    row.save()
    _record_both(
        row.body,
        row.consultation.coordination,
        "consultation.assembly_decided",
        {
            "consultation": row.consultation_id,
            "means": means,
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "took_part": took_part,
        },
    )
    publish_on_commit(
        _channel(row.consultation.coordination_id),
        "consultation",
        {"consultation": row.consultation_id},
    )


def _settle_consulted(row: ConsultedBody, poll: Poll) -> None:
    locked = (
        ConsultedBody.objects.select_for_update()
        .select_related("consultation__coordination", "body")
        .get(pk=row.pk)
    )
    if locked.decided:
        return
    result = poll.result or {}
    counts = [int(Fraction(result.get(k, "0"))) for k in ("yes", "no", "abstain")]
    took_part = int(result.get("participants", sum(counts)))
    if sum(counts) > locked.electorate:
        # The electorate frozen at opening bounds every assembly's count (people who joined
        # since cannot add to it). Such a result is recorded in both ledgers, not counted.
        _record_both(
            locked.body,
            locked.consultation.coordination,
            "consultation.result_not_counted",
            {"consultation": locked.consultation_id, "poll": poll.pk, "counts": counts},
        )
        return
    _decide_row(locked, locked.means or "online", *counts, took_part, "")


def consultation_rows(consultation: Consultation) -> list[agg.BodyResult]:
    """The consultation's assemblies as pure results, in one query."""
    return [
        agg.BodyResult(
            body=row["body_id"],
            electorate=row["electorate"],
            weight=row["weight"],
            member_of=row["member_of_id"],
            sectors=tuple(row["sectors"]),
            region=row["region"],
            decided=row["decided"],
            yes=row["yes"],
            no=row["no"],
            abstain=row["abstain"],
            participants=row["participants"],
        )
        for row in ConsultedBody.objects.filter(consultation=consultation)
        .order_by("body_id")
        .values(
            "body_id",
            "electorate",
            "weight",
            "member_of_id",
            "sectors",
            "region",
            "decided",
            "yes",
            "no",
            "abstain",
            "participants",
        )
    ]


def consultation_aggregate(consultation: Consultation) -> agg.Aggregate:
    return agg.aggregate(
        consultation_rows(consultation),
        agg.Rule(consultation.rule),
        Fraction(consultation.quorum_percent, 100),
        agg.Majority(consultation.majority),
    )


@transaction.atomic
def consultation_close(by: Any | None, consultation: Consultation) -> Consultation:
    """Close a consultation: close its assemblies' online votes still open (their results
    count), add everything up with the rule fixed at opening and settle the motion.
    ``by`` None means the deadline passed. Locks the consultation row."""
    if by is not None:
        require_facilitator_of_coordination(by, consultation.coordination)
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not locked.is_open:
        raise Conflict(_("This consultation is already closed."), code="consultation_closed")
    open_polls = Poll.objects.filter(
        pk__in=ConsultedBody.objects.filter(consultation=locked, decided=False).values("poll_id"),
        state=Poll.State.OPEN,
    )
    for poll in open_polls:
        poll_close(poll, None)
    result = consultation_aggregate(locked)
    locked.state = Consultation.State.CLOSED
    locked.closed_at = timezone.now()
    locked.result = result.to_dict()
    locked.save(update_fields=["state", "closed_at", "result"])
    motion = Motion.objects.select_for_update().get(pk=locked.motion_id)
    adopted = result.total.outcome.adopted
    set_state(
        motion,
        Motion.State.ADOPTED if adopted else Motion.State.REJECTED,
        by,
        f"consultation {locked.pk}",
    )
    record(
        locked.coordination,
        "consultation.closed",
        {
            "consultation": locked.pk,
            "by": by.pk if by is not None else None,
            "result": result.total.to_dict(),
        },
    )
    publish_on_commit(_channel(locked.coordination_id), "consultation", {"consultation": locked.pk})
    return locked


def close_due() -> int:
    """Close every delegates' vote and consultation whose time has passed; returns how many."""
    closed = 0
    now = timezone.now()
    for vote in CoordinationVote.objects.filter(state="open", closes_at__lte=now).only("pk"):
        try:
            vote_close(None, vote)
            closed += 1
        except Conflict:
            continue
    for consultation in Consultation.objects.filter(state="open", deadline__lte=now).only("pk"):
        try:
            consultation_close(None, consultation)
            closed += 1
        except Conflict:
            continue
    return closed


def progress_counts(consultation: Consultation) -> list[tuple[list[str], str, int, bool, int]]:
    """(sectors, region, electorate, decided, took part so far) of each assembly, in two
    queries: online votes still open report their turnout, never their partial choices."""
    rows = list(
        ConsultedBody.objects.filter(consultation=consultation).values(
            "sectors", "region", "electorate", "decided", "participants", "poll_id"
        )
    )
    open_polls = [r["poll_id"] for r in rows if r["poll_id"] and not r["decided"]]
    turnout: dict[int, int] = {}
    if open_polls:
        for row in (
            Eligibility.objects.filter(poll_id__in=open_polls, voted=True)
            .values("poll_id")
            .annotate(n=Count("pk"))
        ):
            turnout[row["poll_id"]] = row["n"]
    return [
        (
            r["sectors"],
            r["region"],
            r["electorate"],
            r["decided"],
            r["participants"] if r["decided"] else turnout.get(r["poll_id"] or 0, 0),
        )
        for r in rows
    ]


# --- Sideways: solidarity --------------------------------------------------------------------


def sister_bodies(body: Body) -> set[int]:
    """Bodies sharing at least one coordination with ``body`` (two queries)."""
    coordinations = Affiliation.objects.filter(member=body, left_at__isnull=True).values(
        "coordination_id"
    )
    return set(
        Affiliation.objects.filter(coordination_id__in=coordinations, left_at__isnull=True)
        .exclude(member=body)
        .values_list("member_id", flat=True)
    )


@transaction.atomic
def solidarity_send(facilitator: Any, motion: Motion, to_body: Body, note: str = "") -> Solidarity:
    """An assembly sends a motion it adopted to a sister assembly (one sharing a coordination)
    as a proposal for solidarity. The unique (motion, body) constraint refuses repeats."""
    motion = Motion.objects.select_related("body").get(pk=motion.pk)
    body = motion.body
    require_facilitator(facilitator, body)
    if motion.state != Motion.State.ADOPTED:
        raise Conflict(_("Only a motion the assembly adopted can be sent."))
    if len(note) > 500:
        raise Refused(_("The note is too long (at most 500 characters)."))
    if to_body.pk not in sister_bodies(body):
        raise Refused(_("Proposals go to sister bodies: bodies that share a coordination."))
    try:
        with transaction.atomic():
            sent = Solidarity.objects.create(
                origin=motion, to_body=to_body, note=note, sent_by=facilitator
            )
    except IntegrityError as exc:
        raise Conflict(_("This motion was already sent to this body.")) from exc
    payload = {"solidarity": sent.pk, "from": body.pk, "to": to_body.pk, "motion": motion.number}
    record(body, "solidarity.sent", payload)
    record(to_body, "solidarity.received", payload)
    publish_on_commit(_channel(to_body), "solidarity", {"solidarity": sent.pk})
    return sent


@transaction.atomic
def solidarity_answer(facilitator: Any, solidarity: Solidarity, take_up: bool) -> Solidarity:
    """The receiving assembly takes the proposal up (it becomes one of its motions, with its
    provenance) or declines it. Locks the proposal row: answered once."""
    require_facilitator(facilitator, solidarity.to_body)
    locked = (
        Solidarity.objects.select_for_update()
        .select_related("origin__body", "to_body")
        .get(pk=solidarity.pk)
    )
    if locked.state != Solidarity.State.SENT:
        raise Conflict(_("This proposal was already answered."))
    if take_up:
        origin = locked.origin
        locked.motion = motion_submit(
            facilitator,
            locked.to_body,
            title=origin.title,
            text=origin.text,
            reasons=origin.reasons,
        )
        locked.state = Solidarity.State.TAKEN_UP
    else:
        locked.state = Solidarity.State.DECLINED
    locked.save(update_fields=["state", "motion"])
    payload = {
        "solidarity": locked.pk,
        "from": locked.origin.body_id,
        "to": locked.to_body_id,
        "taken_up": take_up,
        "motion": locked.motion.number if locked.motion else None,
    }
    record(locked.to_body, "solidarity.answered", payload)
    record(locked.origin.body, "solidarity.answered", payload)
    return locked


# --- Settling what an assembly's own polls decide --------------------------------------------


def on_poll_closing(sender: Any, poll: Poll, by: Any = None, **kwargs: Any) -> None:
    """Receiver of :data:`asamblea.voting.signals.poll_closing`: a recall vote is never closed
    by hand before its closing time (unless every elector has voted), and never by the
    delegate it concerns; so neither the delegate nor a lone facilitator can cut it short."""
    if by is None:
        return
    recall = Recall.objects.filter(poll=poll).select_related("delegation").first()
    if recall is None:
        return
    if recall.delegation.person_id == by.pk:
        raise NotAllowed(
            _("You cannot close the vote on your own recall: it closes by itself on time."),
            code="own_recall",
        )
    everyone_voted = not Eligibility.objects.filter(poll=poll, voted=False).exists()
    if not poll.is_past_closing_time() and not everyone_voted:
        raise Conflict(
            _("A recall vote closes by itself at its set time; it cannot be closed early."),
            code="recall_closes_on_time",
        )


def on_poll_closed(sender: Any, poll: Poll, by: Any = None, **kwargs: Any) -> None:
    """Receiver of :data:`asamblea.voting.signals.poll_closed`, inside the close's transaction:
    joins and leaves, elections, recalls, mandates and online consultation votes take effect
    the moment the assembly's poll is counted."""
    result = poll.result or {}
    adopted = bool(result.get("adopted"))
    if poll.motion_id is not None:
        request = AffiliationRequest.objects.filter(motion_id=poll.motion_id).first()
        if request is not None:
            _assembly_decided(request, adopted, by)
    candidacy = Candidacy.objects.filter(poll=poll).first()
    if candidacy is not None:
        _settle_election(candidacy, poll)
    recall = Recall.objects.filter(poll=poll).select_related("delegation").first()
    if recall is not None and adopted:
        _recall(recall.delegation, poll)
    mandate = Mandate.objects.filter(poll=poll).select_related("motion__body", "body").first()
    if mandate is not None:
        _settle_mandate(mandate, poll)
    row = ConsultedBody.objects.filter(poll=poll).first()
    if row is not None:
        _settle_consulted(row, poll)
    forward_vote = (
        ForwardVote.objects.filter(poll=poll).select_related("body", "coordination").first()
    )
    if forward_vote is not None:
        _settle_forward_vote(forward_vote, poll, adopted)
