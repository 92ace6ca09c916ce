"""Up: forwarding a motion from a member body to the coordination's agenda, and backing it, by
the facilitators or the members' vote (the statute says which).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    require_facilitator,
    require_member,
)
from asamblea.coordination.actions.common import (
    FORWARD_VOTE_HOURS,
    channel,
    open_member_poll,
    record_both,
    require_member_body,
)
from asamblea.coordination.models import (
    Backing,
    Forward,
    ForwardVote,
    Statute,
)
from asamblea.coordination.queries import (
    is_member_body,
    require_coordination,
    statute_of,
)
from asamblea.errors import Conflict
from asamblea.live.events import publish_on_commit
from asamblea.motions.models import TEXT_MAX, Motion, MotionVersion, StateChange
from asamblea.voting.models import Poll


def _next_number(body: Body) -> int:
    Body.objects.select_for_update().filter(pk=body.pk).first()
    return (Motion.objects.filter(body=body).aggregate(n=Max("number"))["n"] or 0) + 1


def _agenda_motion(coordination: Body, origin: Motion, reason: str) -> Motion:
    """Put a forwarded motion on the coordination's agenda, keeping where it came from."""
    return put_on_agenda(
        coordination,
        title=origin.title,
        text=origin.text,
        reasons=(origin.reasons or "")[:TEXT_MAX],
        reason=reason,
        origin={"body": origin.body_id, "motion": origin.number},
    )


def put_on_agenda(
    coordination: Body,
    *,
    title: str,
    text: str,
    reasons: str,
    reason: str,
    origin: dict[str, Any] | None,
) -> Motion:
    """Create a motion on the coordination's agenda (``supported``: ready for a vote) and record
    it with its origin. The body row is locked for the numbering, as in ``motion_submit``.
    No actor: the callers (forwarding, a statement or an election put to the delegates) have
    checked who asks."""
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
    person: Person, body: Body, coordination: Body, origin: Motion, forward: Forward | None
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
    poll = open_member_poll(person, body, title=str(title), closes_at=closes_at)
    vote = ForwardVote.objects.create(
        body=body,
        coordination=coordination,
        origin=origin,
        forward=forward,
        poll=poll,
        proposed_by=person,
    )
    record_both(
        body,
        coordination,
        "motion.forward_vote_opened" if forward is None else "motion.backing_vote_opened",
        {"origin_body": origin.body_id, "motion": origin.number, "poll": poll.pk},
    )
    return vote


def _forward(motion: Motion, coordination: Body, by: Person, poll: Poll | None) -> Forward:
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
    record_both(body, coordination, "motion.forwarded", payload)
    _check_threshold(forward)
    return forward


@transaction.atomic
def motion_forward(person: Person, motion: Motion, coordination: Body) -> Forward | ForwardVote:
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
    require_member_body(body, coordination)
    if motion.state != Motion.State.ADOPTED:
        raise Conflict(_("Only a motion the assembly adopted can be forwarded."))
    if Forward.objects.filter(origin=motion, coordination=coordination).exists():
        raise Conflict(_("This motion was already forwarded to this coordination."))
    if by_vote:
        return _forward_vote_open(person, body, coordination, motion, None)
    return _forward(motion, coordination, person, None)


def _back(forward: Forward, body: Body, by: Person, poll: Poll | None) -> Backing:
    backing = Backing.objects.create(forward=forward, body=body, by=by)
    payload: dict[str, Any] = {"forward": forward.pk, "origin_body": forward.origin.body_id}
    if poll is not None:
        payload["poll"] = poll.pk
    record_both(body, forward.coordination, "motion.backed", payload)
    _check_threshold(forward)
    return backing


@transaction.atomic
def forward_back(person: Person, forward: Forward, body: Body) -> Backing | ForwardVote:
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
    require_member_body(body, locked.coordination)
    if locked.agenda_motion_id is not None:
        raise Conflict(_("This motion is already on the coordination's agenda."))
    if Backing.objects.filter(forward=locked, body=body).exists():
        raise Conflict(_("This body already backs this motion."))
    if by_vote:
        Motion.objects.select_for_update().filter(pk=locked.origin_id).first()
        return _forward_vote_open(person, body, locked.coordination, locked.origin, locked)
    return _back(locked, body, person, None)


def settle_forward_vote(vote: ForwardVote, poll: Poll, *, adopted: bool) -> None:
    """The members decided: forward or back when adopted. Runs inside the poll's closing
    transaction, so it never raises: what can no longer happen (the body left, the motion was
    forwarded or put on the agenda meanwhile) is recorded as lapsed. No actor: the members'
    vote decided."""
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
        publish_on_commit(channel(coordination), "motion.agenda", {"motion": motion.number})
