"""Down: a consultation puts one motion to every base assembly below a coordination; each
decides online, in a meeting or by a recorded count; the close adds them up by the rule
fixed in advance.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    require_facilitator,
)
from asamblea.coordination import aggregate as agg
from asamblea.coordination.actions.common import channel, check_rules, record_both
from asamblea.coordination.actions.votes import vote_close
from asamblea.coordination.models import (
    Consultation,
    ConsultedBody,
    CoordinationVote,
)
from asamblea.coordination.queries import (
    base_of,
    consultation_aggregate,
    require_coordination,
    require_facilitator_of_coordination,
    voting_member_counts,
)
from asamblea.coordination.signals import consultation_closing, consultation_poll_opened
from asamblea.dates import check_moment
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.meetings.models import Meeting
from asamblea.motions.actions import set_state
from asamblea.motions.models import Motion
from asamblea.voting.actions import poll_close, poll_open
from asamblea.voting.models import Eligibility, Poll


@transaction.atomic
def consultation_open(
    facilitator: Person,
    coordination: Body,
    motion: Motion,
    *,
    rule: str,
    deadline: datetime,
    quorum_percent: int | None = None,
    majority: str | None = None,
    verifiable: bool = False,
) -> Consultation:
    """Put a coordination motion to every base assembly below it, recursively.

    The rule, quorum, majority, and each assembly's electorate, weight (verified active
    membership), sectors and region are frozen now. The motion row is locked. ``verifiable``:
    every assembly decides by a verifiable online vote under one election key, which trustees
    among the coordination's delegates make next (docs/verifiable-ballots.md).
    """
    require_coordination(coordination)
    require_facilitator_of_coordination(facilitator, coordination)
    if rule not in agg.Rule._value2member_map_:
        raise Refused(_("Choose how the results are added up."))
    quorum_percent = coordination.quorum_percent if quorum_percent is None else quorum_percent
    majority = majority or coordination.majority
    check_rules(quorum_percent, majority)
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
    if verifiable:
        consultation.verifiable = True
        consultation.save(update_fields=["verifiable"])
    set_state(facilitator, motion, to_state=Motion.State.VOTING)
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
            "verifiable": verifiable,
        },
    )
    publish_on_commit(channel(coordination), "consultation", {"consultation": consultation.pk})
    return consultation


def _create_consultation(
    facilitator: Person,
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


def _refuse_if_verifiable(row: ConsultedBody) -> None:
    if row.consultation.verifiable:
        raise Conflict(
            _(
                "In a verifiable consultation every assembly decides by a verifiable online "
                "vote: a meeting's vote or a recorded count cannot be verified."
            ),
            code="verifiable_online_only",
        )


@transaction.atomic
def consultation_poll_open(facilitator: Person, row: ConsultedBody, *, secrecy: str) -> Poll:
    """The assembly decides by an online vote of its members, closing at the deadline. In a
    verifiable consultation the vote is always a verifiable one under the consultation's key."""
    require_facilitator(facilitator, row.body)
    locked = _consulted_open(row)
    if locked.consultation.verifiable:
        secrecy = Poll.Secrecy.VERIFIABLE
    elif secrecy == Poll.Secrecy.VERIFIABLE:
        raise Refused(
            _(
                "A verifiable vote in a consultation uses the consultation's election key: "
                "the coordination chooses it when it opens the consultation."
            ),
            code="verifiable_consultation_only",
        )
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
    record_both(
        locked.body,
        locked.consultation.coordination,
        "consultation.online_vote_opened",
        {"consultation": locked.consultation_id, "poll": poll.pk},
    )
    if locked.consultation.verifiable:
        consultation_poll_opened.send(sender=ConsultedBody, row=locked, poll=poll, by=facilitator)
    return poll


@transaction.atomic
def consultation_meeting_vote_open(
    facilitator: Person, row: ConsultedBody, meeting: Meeting, *, secrecy: str
) -> Poll:
    """The assembly decides in one of its open meetings: a vote of the members present (who
    vote on their phones, or are counted by a show of hands that a second facilitator attests,
    as for any in-meeting vote). Its result settles the assembly's row when the vote closes."""
    require_facilitator(facilitator, row.body)
    if meeting.body_id != row.body_id:
        raise NotAllowed(_("This meeting belongs to another assembly."))
    locked = _consulted_open(row)
    _refuse_if_verifiable(locked)
    if secrecy == Poll.Secrecy.VERIFIABLE:
        raise Refused(
            _(
                "A verifiable vote in a consultation uses the consultation's election key: "
                "the coordination chooses it when it opens the consultation."
            ),
            code="verifiable_consultation_only",
        )
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
    record_both(
        locked.body,
        locked.consultation.coordination,
        "consultation.meeting_vote_opened",
        {"consultation": locked.consultation_id, "poll": poll.pk, "meeting": meeting.pk},
    )
    return poll


@transaction.atomic
def consultation_record(
    facilitator: Person,
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
    _refuse_if_verifiable(locked)
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
    row: ConsultedBody,
    means: str,
    yes: int,
    no: int,
    abstain: int,
    took_part: int,
    note: str,
    *,
    extra_weight: int = 0,
) -> None:
    row.means = means
    row.decided = True
    row.yes, row.no, row.abstain, row.participants = yes, no, abstain, took_part
    row.extra_weight = extra_weight
    row.note = note
    row.decided_at = timezone.now()
    row.save()
    record_both(
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
        }
        | ({"extra_weight": extra_weight} if extra_weight else {}),
    )
    publish_on_commit(
        channel(row.consultation.coordination_id),
        "consultation",
        {"consultation": row.consultation_id},
    )


def settle_consulted(row: ConsultedBody, poll: Poll) -> None:
    """Record an assembly's answer to a consultation when its own vote closes (the
    ``poll_closed`` receiver calls it, in the poll's closing transaction). No actor."""
    locked = (
        ConsultedBody.objects.select_for_update()
        .select_related("consultation__coordination", "body")
        .get(pk=row.pk)
    )
    if locked.decided:
        return
    result = poll.result or {}
    if result.get("void_reason") == "verifiable_cancelled":
        return  # its verifiable vote was cancelled: the assembly did not decide
    counts = [int(Fraction(result.get(k, "0"))) for k in ("yes", "no", "abstain")]
    took_part = int(result.get("participants", sum(counts)))
    extra = _extra_weight(poll)
    if sum(counts) > locked.electorate + extra:
        # The electorate frozen at opening, in the counts' units (each elector of this vote
        # weighing more than 1 adds its weight above 1), bounds every assembly's count: people
        # who joined since cannot add to it. Such a result is recorded in both ledgers, not
        # counted.
        record_both(
            locked.body,
            locked.consultation.coordination,
            "consultation.result_not_counted",
            {
                "consultation": locked.consultation_id,
                "poll": poll.pk,
                "counts": counts,
                "electorate": locked.electorate + extra,
            },
        )
        return
    _decide_row(locked, locked.means or "online", *counts, took_part, "", extra_weight=extra)


def _extra_weight(poll: Poll) -> int:
    """The weight above 1 of the electors of an assembly's vote: its electorate snapshot, or
    for a verifiable vote the members who registered a credential (its board's credentials,
    which carry their weights; registering flips ``voted``), so that the verifiers recompute
    the same number from the board."""
    electors = Eligibility.objects.filter(poll=poll, weight__gt=1)
    if poll.is_verifiable:
        electors = electors.filter(voted=True)
    sums = electors.aggregate(total=Sum("weight"), n=Count("pk"))
    return int(sums["total"] or 0) - int(sums["n"] or 0)


@transaction.atomic
def consultation_close(by: Person | None, consultation: Consultation) -> Consultation:
    """Close a consultation: close its assemblies' online votes still open (their results
    count), add everything up with the rule fixed at opening and settle the motion.
    ``by`` None means the deadline passed. Locks the consultation row."""
    if by is not None:
        require_facilitator_of_coordination(by, consultation.coordination)
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not locked.is_open:
        raise Conflict(_("This consultation is already closed."), code="consultation_closed")
    if locked.verifiable:
        # The assemblies' encrypted tallies go on the consultation's board; the result comes
        # when the trustees have decrypted their products (consultation_result_verified).
        locked.state = Consultation.State.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "closed_at"])
        record(
            locked.coordination,
            "consultation.closed",
            {"consultation": locked.pk, "by": by.pk if by is not None else None, "result": None},
        )
        consultation_closing.send(sender=Consultation, consultation=locked, by=by)
        locked.refresh_from_db()
        publish_on_commit(
            channel(locked.coordination_id), "consultation", {"consultation": locked.pk}
        )
        return locked
    open_polls = Poll.objects.filter(
        pk__in=ConsultedBody.objects.filter(consultation=locked, decided=False).values("poll_id"),
        state=Poll.State.OPEN,
    )
    for poll in open_polls:
        poll_close(None, poll)
    locked.state = Consultation.State.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["state", "closed_at"])
    _count(by, locked)
    return locked


@transaction.atomic
def consultation_result_verified(consultation: Consultation) -> Consultation:
    """The result of a verifiable consultation, once its trustees have decrypted the tallies
    and each assembly's poll is closed with its decrypted counts (asamblea.verifiable calls it
    in the transaction of the last partial decryption). No actor."""
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not locked.verifiable or locked.is_open or locked.result is not None:
        raise Conflict(_("This consultation is not waiting for its result."), code="wrong_phase")
    _count(None, locked, event="consultation.result")
    return locked


def _count(by: Person | None, locked: Consultation, *, event: str = "consultation.closed") -> None:
    """Add up the closed consultation by its rule, store the result, settle the motion."""
    result = consultation_aggregate(locked)
    locked.result = result.to_dict()
    locked.save(update_fields=["result"])
    motion = Motion.objects.select_for_update().get(pk=locked.motion_id)
    adopted = result.total.outcome.adopted
    set_state(
        by,
        motion,
        to_state=Motion.State.ADOPTED if adopted else Motion.State.REJECTED,
        reason=f"consultation {locked.pk}",
    )
    record(
        locked.coordination,
        event,
        {
            "consultation": locked.pk,
            "by": by.pk if by is not None else None,
            "result": result.total.to_dict(),
        },
    )
    publish_on_commit(channel(locked.coordination_id), "consultation", {"consultation": locked.pk})


def close_due() -> int:
    """Close every delegates' vote and consultation whose time has passed; returns how many.
    No actor: a system job (``asamblea close-due``)."""
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
