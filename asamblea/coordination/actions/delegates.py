"""Delegates: electing them by the members' approval, filling seats, and recalling them at any
time by the members' vote.

An assembly elects either by one secret yes / no poll per candidate, or (its facilitator's
choice) by one verifiable approval election in :mod:`asamblea.elections`, run on that
election's verifiable pages; :func:`on_election_closed` settles it when the election closes.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    require_facilitator,
    require_member,
)
from asamblea.coordination.actions.common import (
    MAX_CANDIDATES,
    MAX_SEATS,
    MAX_TERM_DAYS,
    channel,
    check_future,
    open_member_poll,
    record_both,
    require_member_body,
)
from asamblea.coordination.actions.forwarding import put_on_agenda
from asamblea.coordination.actions.votes import vote_open
from asamblea.coordination.models import (
    Candidacy,
    CoordinationVote,
    DelegateElection,
    Delegation,
    Recall,
    Seat,
)
from asamblea.coordination.queries import (
    election_candidates,
    statute_of,
)
from asamblea.elections.actions import elect, voting_open
from asamblea.elections.methods.plurality import count_approval
from asamblea.elections.models import Election
from asamblea.errors import Conflict, Refused
from asamblea.live.events import publish_on_commit
from asamblea.motions.models import TITLE_MAX
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Poll


@transaction.atomic
def election_open(
    facilitator: Person,
    body: Body,
    coordination: Body,
    *,
    candidates: list[Any],
    seats: int,
    term_days: int,
    closes_at: datetime | None = None,
    secrecy: str = Election.Secrecy.SECRET,
) -> DelegateElection:
    """Open the election of ``seats`` delegates by the body's members: one secret yes / no poll
    per candidate, where yes approves. Approval voting fills the seats when every poll closed.

    With ``secrecy`` ``"verifiable"`` (an assembly only) it is instead one verifiable approval
    election of the members (:func:`asamblea.elections.actions.elect`, ``purpose``
    ``"delegation:<this election's id>"``) with the candidates named here on its ballot; they
    stand without being asked, as in the ordinary delegate election, and its voting opens at
    once (the candidates and the electorate are fixed now, as the polls fix them). Its
    facilitator then chooses its trustees and runs it on the election's verifiable pages; it has
    no closing time (its facilitator closes the ballot box). Its close settles this election
    (:func:`on_election_closed`).

    A coordinating body elects its own delegates to a higher coordination the same way, but its
    voters are its delegates: each candidate is a motion on its agenda decided by a delegates'
    vote (weighed by its statute), and the yes weight of that vote is the approval. Its
    delegates vote in the open by design, so the verifiable ballot is refused for it.
    """
    require_facilitator(facilitator, body)
    require_member_body(body, coordination)
    if secrecy not in (Election.Secrecy.SECRET, Election.Secrecy.VERIFIABLE):
        raise Refused(_("Choose a valid secrecy."), code="bad_secrecy")
    if secrecy == Election.Secrecy.VERIFIABLE and not body.is_assembly:
        raise Refused(
            _(
                "A coordinating body elects its delegates by its delegates' votes, which are "
                "public by design: a verifiable secret ballot is only for an assembly's "
                "members."
            ),
            code="verifiable_not_for_coordination",
        )
    if secrecy == Election.Secrecy.VERIFIABLE and closes_at is not None:
        raise Refused(
            _(
                "A verifiable election has no closing time: its facilitator closes the ballot "
                "box on the election's verifiable page. Leave the closing time empty."
            ),
            code="verifiable_no_closing_time",
        )
    if not 1 <= seats <= MAX_SEATS:
        raise Refused(_("Elect between 1 and 10 delegates."))
    if not 1 <= term_days <= MAX_TERM_DAYS:
        raise Refused(_("A term lasts between 1 and 730 days."))
    people = list(dict.fromkeys(candidates))
    if not seats <= len(people) <= MAX_CANDIDATES:
        raise Refused(_("Name at least as many candidates as seats, and at most 30."))
    if any(p.pk not in election_candidates(body) for p in people):
        raise Refused(_("Every candidate must be a member of the assembly."))
    check_future(closes_at)
    election = DelegateElection.objects.create(
        body=body,
        coordination=coordination,
        seats=seats,
        term_days=term_days,
        opened_by=facilitator,
    )
    if secrecy == Election.Secrecy.VERIFIABLE:
        _open_verifiable(facilitator, election, people)
    for order, person in enumerate(people):
        if election.election_id is not None:
            Candidacy.objects.create(election=election, person=person, order=order)
            continue
        title = str(
            _("Delegate to %(coordination)s: %(name)s")
            % {"coordination": coordination.name, "name": person.display_name}
        )[:TITLE_MAX]
        if body.is_assembly:
            poll = poll_open(facilitator, body, title=title, secrecy="secret", closes_at=closes_at)
            Candidacy.objects.create(election=election, person=person, poll=poll, order=order)
        else:
            motion = put_on_agenda(
                body, title=title, text=title, reasons="", reason="delegate election", origin=None
            )
            vote = vote_open(facilitator, body, motion, closes_at=closes_at)
            Candidacy.objects.create(election=election, person=person, vote=vote, order=order)
    record_both(
        body,
        coordination,
        "delegate.election_opened",
        {
            "election": election.pk,
            "seats": seats,
            "term_days": term_days,
            "candidates": [p.pk for p in people],
        }
        | ({"verifiable_election": election.election_id} if election.election_id else {}),
    )
    return election


def _open_verifiable(facilitator: Person, election: DelegateElection, people: list[Any]) -> None:
    """The one verifiable approval election of ``election`` (see :func:`election_open`)."""
    title = str(
        _("Delegates of %(body)s to %(coordination)s")
        % {"body": election.body.name, "coordination": election.coordination.name}
    )[:TITLE_MAX]
    approval = elect(
        facilitator,
        election.body,
        title=title,
        seats=election.seats,
        method=Election.Method.APPROVAL,
        candidates=people,
        secrecy=Election.Secrecy.VERIFIABLE,
        purpose=f"delegation:{election.pk}",
        named=True,
    )
    election.election = voting_open(facilitator, approval)
    election.save(update_fields=["election"])


def settle_election(candidacy: Candidacy, poll: Poll) -> None:
    """Store a candidate's approvals (the yes of its poll, if the poll met its quorum); when
    every candidate's poll is closed, fill the seats by approval voting.
    Locks the election row so two polls closing at once settle it once. No actor: the closing
    poll settles it."""
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


def settle_vote_election(candidacy: Candidacy) -> None:
    """A coordinating body's election: when every candidate's delegates' vote is closed, the
    yes weights (exact fractions, scaled by their common denominator to whole numbers so the
    order and the ties are unchanged) are the approvals. Locks the election row. No actor: the
    closing vote settles it."""
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


def on_election_closed(
    sender: Any, election: Election, by: Person | None = None, **kwargs: Any
) -> None:
    """Receiver of :data:`asamblea.elections.signals.election_closed`, inside the close's
    transaction: a verifiable delegate election settles when its approval election closes.

    Each candidate's approvals are the election's marks for them (the trustees' decrypted
    marks plus the ordinary ballots its facilitator allowed, as the election counted them);
    the seats are filled by :func:`_fill_seats` with the candidates in ballot order and the
    election's own seed, so ties fall exactly as on the election's result page. A cancelled
    election (no valid count) closes the delegate election with nobody elected. Locks the
    delegate election's row; once it is closed a second close changes nothing. No actor."""
    delegate_election = (
        DelegateElection.objects.select_for_update()
        .select_related("body", "coordination")
        .filter(election=election)
        .first()
    )
    if delegate_election is None or delegate_election.state != DelegateElection.State.OPEN:
        return
    result = election.result or {}
    if result.get("valid") is False:
        _close_without_result(delegate_election, election)
        return
    positions = dict(
        election.candidates.filter(position__isnull=False).values_list("person_id", "position")
    )
    votes = result["trace"]["votes"]
    candidacies = sorted(
        delegate_election.candidacies.select_related("person"),
        key=lambda c: (positions.get(c.person_id, len(votes)), c.order),
    )
    counts = {
        c.person_id: int(votes[positions[c.person_id]]) if c.person_id in positions else 0
        for c in candidacies
    }
    for c in candidacies:
        Candidacy.objects.filter(pk=c.pk).update(approvals=counts[c.person_id])
        c.approvals = counts[c.person_id]
    _fill_seats(delegate_election, candidacies, counts, seed=election.seed)


def _close_without_result(delegate_election: DelegateElection, election: Election) -> None:
    delegate_election.state = DelegateElection.State.CLOSED
    delegate_election.closed_at = timezone.now()
    delegate_election.save(update_fields=["state", "closed_at"])
    record_both(
        delegate_election.body,
        delegate_election.coordination,
        "delegate.election_cancelled",
        {"election": delegate_election.pk, "verifiable_election": election.pk, "elected": []},
    )


def _fill_seats(
    election: DelegateElection,
    candidacies: list[Candidacy],
    counts: dict[int, int],
    *,
    seed: str | None = None,
) -> None:
    # Approval voting from the shared counting methods: a yes on a candidate's poll is one
    # approval mark; ties at the last seat are drawn by the seeded lot (a verifiable delegate
    # election's: its election's seed, committed in the ledger when its voting opened). Nobody
    # is elected without at least one approval.
    counted = count_approval(
        [str(c.person_id) for c in candidacies],
        [(frozenset({i}), counts.get(c.person_id, 0)) for i, c in enumerate(candidacies)],
        election.seats,
        seed=seed if seed is not None else f"delegate-election:{election.pk}",
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
    record_both(
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
        }
        | ({"verifiable_election": election.election_id} if election.election_id else {}),
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


@transaction.atomic
def recall_open(person: Person, delegation: Delegation) -> Recall:
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
    poll = open_member_poll(person, locked.body, title=str(title), closes_at=closes_at)
    recall = Recall.objects.create(delegation=locked, poll=poll, proposed_by=person)
    record_both(
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


def recall_delegate(delegation: Delegation, poll: Poll) -> None:
    """Recall takes effect at once: the delegation ends and, in every open vote of the
    coordination, the delegate's seat is emptied and their vote removed. No actor: the recall
    poll's close decides it."""
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
    record_both(
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
        publish_on_commit(channel(locked.coordination), "coordination.vote", {"vote": vote_id})
