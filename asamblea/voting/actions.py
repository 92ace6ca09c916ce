"""Opening, casting and closing votes."""

from __future__ import annotations

import random
from datetime import datetime
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import require_facilitator, voting_members
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.motions.actions import set_state
from asamblea.motions.models import Motion
from asamblea.voting import casting, rules
from asamblea.voting.casting import CHOICES, RECEIPT_BYTES, CastReceipt, hash_receipt
from asamblea.voting.models import Ballot, Eligibility, Poll
from asamblea.voting.signals import poll_closed

# The cast rules live in ``casting`` (shared with the lean endpoint); these names stay here.
__all__ = ["CHOICES", "RECEIPT_BYTES", "CastReceipt", "hash_receipt"]


def _channel(poll: Poll) -> str:
    return f"body:{poll.body_id}"


@transaction.atomic
def poll_open(
    facilitator: Any,
    body: Body,
    *,
    motion: Motion | None = None,
    title: str = "",
    secrecy: str = Poll.Secrecy.SECRET,
    quorum_percent: int | None = None,
    majority: str | None = None,
    closes_at: datetime | None = None,
) -> Poll:
    """Open a yes / no / abstain vote and snapshot its electorate (the body's voting members).

    The motion row is locked (``select_for_update``) so one motion never has two open votes.
    """
    require_facilitator(facilitator, body)
    if not body.is_assembly:
        # A coordination's voters are its member bodies' delegates: see coordination.actions.
        raise Refused(_("A coordination decides through its delegates' vote."))
    quorum_percent = body.quorum_percent if quorum_percent is None else quorum_percent
    majority = majority or body.majority
    if secrecy not in Poll.Secrecy.values or majority not in Poll.Majority.values:
        raise Refused(_("Choose a valid secrecy and majority rule."))
    if not 0 <= quorum_percent <= 100:
        raise Refused(_("The quorum is a percentage between 0 and 100."))
    if closes_at is not None and closes_at <= timezone.now():
        raise Refused(_("The closing time must be in the future."))
    if motion is not None:
        motion = Motion.objects.select_for_update().get(pk=motion.pk)
        if motion.body_id != body.pk:
            raise NotAllowed(_("This motion belongs to another assembly."))
        if motion.state != Motion.State.SUPPORTED:
            raise Conflict(
                _("A vote can only be opened on a motion that has the supporters it needs.")
            )
        title = title or motion.title
        set_state(motion, Motion.State.VOTING, facilitator)
    if not title.strip():
        raise Refused(_("Say what is being decided."))
    poll = Poll.objects.create(
        body=body,
        motion=motion,
        title=title.strip()[:200],
        secrecy=secrecy,
        quorum_percent=quorum_percent,
        majority=majority,
        opened_by=facilitator,
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
            "motion": motion.number if motion else None,
            "title": poll.title,
            "secrecy": secrecy,
            "quorum_percent": quorum_percent,
            "majority": majority,
            "electorate": len(person_ids),
            "closes_at": closes_at.isoformat() if closes_at else None,
        },
    )
    publish_on_commit(_channel(poll), "poll.opened", {"poll": poll.pk})
    return poll


@transaction.atomic
def ballot_cast(poll: Poll, person: Any, choice: str) -> CastReceipt:
    """Cast one ballot. The caller acknowledges only after this returns, i.e. after commit.

    The rules are :func:`asamblea.voting.casting.cast_batch` with a batch of one, the same code
    the lean endpoint runs for many. Locks: one person, one ballot is a conditional UPDATE that
    flips ``Eligibility.voted`` from false to true under that row's lock (the snapshot row is
    unique per poll and person); a second or concurrent attempt updates no row and is refused.
    The poll row is held under ``FOR SHARE`` so a close waits for casts in flight.
    """
    return casting.cast_one(poll, person, choice)


def count(poll: Poll) -> rules.Outcome:
    """Count the stored ballots with the poll's stored rules (a recount gives the same)."""
    sums = {
        row["choice"]: row["total"]
        for row in Ballot.objects.filter(poll=poll).values("choice").annotate(total=Sum("weight"))
    }
    tally = rules.Tally(sums.get("yes", 0), sums.get("no", 0), sums.get("abstain", 0))
    electorate = Eligibility.objects.filter(poll=poll).aggregate(total=Sum("weight"))["total"] or 0
    return rules.decide(
        tally, electorate, Fraction(poll.quorum_percent, 100), rules.Majority(poll.majority)
    )


def _shuffle_secret_ballots(poll: Poll) -> None:
    """Rewrite a closed secret poll's ballots in random order, with fresh random ids, so that
    neither ids nor physical row order reflect the order in which they were cast."""
    rows = list(Ballot.objects.filter(poll=poll).values("choice", "weight", "receipt_hash"))
    random.SystemRandom().shuffle(rows)
    Ballot.objects.filter(poll=poll).delete()
    Ballot.objects.bulk_create([Ballot(poll=poll, **row) for row in rows], batch_size=2000)


@transaction.atomic
def poll_close(poll: Poll, by: Any | None) -> Poll:
    """Close a vote, count it, publish the result and settle its motion.

    Takes ``FOR UPDATE`` on the poll row: it waits for casts in flight (which hold ``FOR SHARE``)
    and any cast after it sees the poll closed. ``by`` None means the closing time passed.
    """
    if by is not None:
        require_facilitator(by, poll.body)
    locked = Poll.objects.select_for_update().select_related("body").get(pk=poll.pk)
    if not locked.is_open:
        raise Conflict(_("This vote is already closed."), code="poll_closed")
    if locked.is_secret:
        _shuffle_secret_ballots(locked)
    outcome = count(locked)
    participants = Eligibility.objects.filter(poll=locked, voted=True).count()
    locked.state = Poll.State.CLOSED
    locked.closed_at = timezone.now()
    locked.result = outcome.to_dict() | {"participants": participants}
    locked.save(update_fields=["state", "closed_at", "result"])
    if locked.motion_id is not None:
        motion = Motion.objects.select_for_update().select_related("body").get(pk=locked.motion_id)
        to_state = Motion.State.ADOPTED if outcome.adopted else Motion.State.REJECTED
        set_state(motion, to_state, by, f"poll {locked.pk}")
    poll_closed.send(sender=Poll, poll=locked, by=by)
    record(
        locked.body,
        "poll.closed",
        {"poll": locked.pk, "by": by.pk if by is not None else None, "result": locked.result},
    )
    publish_on_commit(_channel(locked), "poll.closed", {"poll": locked.pk})
    return locked


def close_due_polls() -> int:
    """Close every open poll whose closing time has passed; returns how many were closed."""
    closed = 0
    due = Poll.objects.filter(state=Poll.State.OPEN, closes_at__lte=timezone.now())
    for poll in due.only("pk"):
        try:
            poll_close(poll, None)
            closed += 1
        except Conflict:
            continue
    return closed


def receipt_lookup(poll: Poll, code: str) -> Ballot:
    """Find a secret ballot by its receipt code. Refuses malformed and unknown codes alike."""
    code = (code or "").strip().lower()
    if len(code) != RECEIPT_BYTES * 2 or any(c not in "0123456789abcdef" for c in code):
        raise Refused(_("This receipt code is not valid."), code="bad_receipt")
    ballot = Ballot.objects.filter(poll=poll, receipt_hash=hash_receipt(code)).first()
    if ballot is None:
        raise Refused(_("No ballot in this vote has this receipt code."), code="unknown_receipt")
    return ballot


def participation_counts(poll: Poll) -> dict[str, int]:
    """Turnout so far, for live progress (never partial choices)."""
    counts = Eligibility.objects.filter(poll=poll).aggregate(
        voted=Count("pk", filter=Q(voted=True)),
        total=Count("pk"),
    )
    return {"voted": counts["voted"] or 0, "electorate": counts["total"] or 0}
