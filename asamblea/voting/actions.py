"""Opening, casting and closing votes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    is_facilitator,
    require_facilitator,
    require_member,
    voting_members,
)
from asamblea.dates import check_moment
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.meetings.actions import close_due_meetings
from asamblea.meetings.models import Attendance, Meeting
from asamblea.meetings.queries import present_voters
from asamblea.motions.actions import set_state
from asamblea.motions.models import Motion
from asamblea.voting import casting
from asamblea.voting.ballot_box import rewrite_electorate, shuffle_ballots
from asamblea.voting.casting import CHOICES, RECEIPT_BYTES, CastReceipt, hash_receipt
from asamblea.voting.models import Ballot, Eligibility, HandCount, Poll
from asamblea.voting.queries import count, vote_callable_at
from asamblea.voting.rules import Tally
from asamblea.voting.signals import poll_closed, poll_closing

# The cast rules live in ``casting`` (shared with the lean endpoint); these names stay here.
__all__ = ["CHOICES", "RECEIPT_BYTES", "CastReceipt", "hash_receipt"]


def _channel(poll: Poll) -> str:
    return Body.channel_of(poll.body_id)


# An online vote left without a closing time closes itself after this long, so no facilitator
# can hold a decision of the members open forever (DESIGN invariant 8).
DEFAULT_VOTE_DURATION = timedelta(days=7)


@transaction.atomic
def poll_open(
    facilitator: Person,
    body: Body,
    *,
    motion: Motion | None = None,
    title: str = "",
    secrecy: str = Poll.Secrecy.SECRET,
    quorum_percent: int | None = None,
    majority: str | None = None,
    closes_at: datetime | None = None,
    meeting: Meeting | None = None,
    decides_agenda: bool = False,
    plain_fallback: bool = False,
) -> Poll:
    """Open a yes / no / abstain vote and snapshot its electorate (the body's voting members).

    The motion row is locked (``select_for_update``) so one motion never has two open votes.
    In a meeting (``meeting`` given) the electorate is the voting members present at opening,
    read under the meeting row's lock so no check-in or departure slips between count and
    snapshot; ``decides_agenda`` makes it the vote that adopts the meeting's agenda. An online
    vote opened without ``closes_at`` closes itself after ``DEFAULT_VOTE_DURATION``.
    """
    require_facilitator(facilitator, body)
    return _open(
        facilitator,
        body,
        motion=motion,
        title=title,
        secrecy=secrecy,
        quorum_percent=quorum_percent,
        majority=majority,
        closes_at=closes_at,
        meeting=meeting,
        decides_agenda=decides_agenda,
        plain_fallback=plain_fallback,
    )


@transaction.atomic
def poll_call(member: Person, motion: Motion) -> Poll:
    """A voting member opens the online vote on a motion that has had the supporters it needs
    for ``CALL_VOTE_WAIT`` without anyone opening its vote. The vote follows the statute's
    quorum and majority, is secret and closes after ``DEFAULT_VOTE_DURATION``; the ledger's
    ``poll.opened`` entry says who called it and that a member called it after the wait.

    The motion row is locked first, so two members calling at once open one vote."""
    locked = Motion.objects.select_for_update().select_related("body").get(pk=motion.pk)
    body = locked.body
    require_member(member, body)
    if not body.is_assembly:
        raise Refused(_("A coordination decides through its delegates' vote."))
    if locked.state != Motion.State.SUPPORTED:
        raise Conflict(
            _("A vote can only be called on a motion that has the supporters it needs."),
            code="not_supported",
        )
    callable_at = vote_callable_at(locked)
    if callable_at is None or timezone.now() < callable_at:
        raise Conflict(
            _(
                "A member can call the vote 72 hours after the motion reached its supporters, "
                "if no vote was opened by then."
            ),
            code="too_early",
        )
    return _open(
        member,
        body,
        motion=locked,
        secrecy=Poll.Secrecy.SECRET,
        called_by_member=True,
    )


def _open(
    opener: Person,
    body: Body,
    *,
    motion: Motion | None = None,
    title: str = "",
    secrecy: str = Poll.Secrecy.SECRET,
    quorum_percent: int | None = None,
    majority: str | None = None,
    closes_at: datetime | None = None,
    meeting: Meeting | None = None,
    decides_agenda: bool = False,
    called_by_member: bool = False,
    plain_fallback: bool = False,
) -> Poll:
    """Open the vote once the opener's right is checked (:func:`poll_open`, :func:`poll_call`)."""
    if not body.is_assembly:
        # A coordination's voters are its member bodies' delegates: see coordination.actions.
        raise Refused(_("A coordination decides through its delegates' vote."))
    if meeting is not None:
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.body_id != body.pk:
            raise NotAllowed(_("This meeting belongs to another assembly."))
        if not meeting.is_open:
            raise Conflict(_("This meeting is not in session."), code="meeting_not_open")
        if decides_agenda and meeting.agenda_adopted_at is not None:
            raise Conflict(_("The agenda is already adopted."), code="agenda_adopted")
    elif decides_agenda:
        raise Refused(_("Only a meeting adopts an agenda."))
    quorum_percent = body.quorum_percent if quorum_percent is None else quorum_percent
    majority = majority or body.majority
    if secrecy not in Poll.Secrecy.values or majority not in Poll.Majority.values:
        raise Refused(_("Choose a valid secrecy and majority rule."))
    if not 0 <= quorum_percent <= 100:
        raise Refused(_("The quorum is a percentage between 0 and 100."))
    check_moment(closes_at)
    if closes_at is None and meeting is None:
        closes_at = timezone.now() + DEFAULT_VOTE_DURATION
    if motion is not None:
        motion = Motion.objects.select_for_update().get(pk=motion.pk)
        if motion.body_id != body.pk:
            raise NotAllowed(_("This motion belongs to another assembly."))
        if motion.state != Motion.State.SUPPORTED:
            raise Conflict(
                _("A vote can only be opened on a motion that has the supporters it needs.")
            )
        title = title or motion.title
        set_state(
            opener,
            motion,
            to_state=Motion.State.VOTING,
            reason="vote called by a member after 72 hours" if called_by_member else "",
        )
    if not title.strip():
        raise Refused(_("Say what is being decided."))
    poll = Poll.objects.create(
        body=body,
        motion=motion,
        title=title.strip()[:200],
        secrecy=secrecy,
        quorum_percent=quorum_percent,
        majority=majority,
        opened_by=opener,
        closes_at=closes_at,
        meeting=meeting,
        decides_agenda=decides_agenda,
        plain_fallback=bool(plain_fallback and secrecy == Poll.Secrecy.VERIFIABLE),
    )
    if meeting is not None:
        person_ids = present_voters(meeting)
    else:
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
            **({"plain_fallback": poll.plain_fallback} if poll.is_verifiable else {}),
            "quorum_percent": quorum_percent,
            "majority": majority,
            "electorate": len(person_ids),
            "closes_at": closes_at.isoformat() if closes_at else None,
        }
        | ({"meeting": meeting.pk, "decides_agenda": decides_agenda} if meeting else {})
        | (
            {
                "called_by": opener.pk,
                "called_by_member": True,
                "reason": "called by a member after 72 hours without a vote",
            }
            if called_by_member
            else {}
        ),
    )
    publish_on_commit(_channel(poll), "poll.opened", {"poll": poll.pk})
    if meeting is not None:
        publish_on_commit(meeting.channel, "poll.opened", {"poll": poll.pk})
    return poll


@transaction.atomic
def ballot_cast(person: Person, poll: Poll, *, choice: str) -> CastReceipt:
    """Cast one ballot. The caller acknowledges only after this returns, i.e. after commit.

    The rules are :func:`asamblea.voting.casting.cast_batch` with a batch of one, the same code
    the lean endpoint runs for many. Locks: one person, one ballot is a conditional UPDATE that
    flips ``Eligibility.voted`` from false to true under that row's lock (the snapshot row is
    unique per poll and person); a second or concurrent attempt updates no row and is refused.
    The poll row is held under ``FOR SHARE`` so a close waits for casts in flight.
    """
    return casting.cast_one(poll, person, choice)


def _shuffle_and_rewrite(poll: Poll) -> None:
    """At the close of a secret poll: ballots in random order with fresh ids, and the
    electorate snapshot in person order (see :mod:`asamblea.voting.ballot_box`)."""
    shuffle_ballots(
        Ballot.objects.filter(poll=poll), ("poll_id", "choice", "weight", "receipt_hash")
    )
    rewrite_electorate(Eligibility.objects.filter(poll=poll), "poll_id")


@transaction.atomic
def poll_close(by: Person | None, poll: Poll) -> Poll:
    """Close a vote, count it, publish the result and settle its motion.

    Takes ``FOR UPDATE`` on the poll row: it waits for casts in flight (which hold ``FOR SHARE``)
    and any cast after it sees the poll closed. ``by`` None means the closing time passed.

    A facilitator cannot close a vote whose hand count is not valid (unattested, or exceeding
    the people who have not voted on their phone): they correct the count, or close the vote
    *without a valid count* (:func:`poll_close_without_count`). When the closing time passes
    with such a count, the vote closes without a valid count by itself, so a vote always closes.
    """
    if by is not None:
        require_facilitator(by, poll.body)
    locked = _lock_open_poll(poll, by)
    problem = hand_count_problem(locked)
    if problem is not None:
        if by is not None:
            raise problem
        return _close_void(locked, None, problem.code, "")
    if locked.is_secret:
        _shuffle_and_rewrite(locked)
    hands = HandCount.objects.filter(poll=locked).first()
    outcome = count(locked)
    participants = Eligibility.objects.filter(poll=locked, voted=True).count()
    locked.result = outcome.to_dict() | {"participants": participants}
    if hands is not None:
        locked.result |= {
            "participants": participants + hands.total,
            "electronic": participants,
            "hand_count": {
                "yes": hands.yes,
                "no": hands.no,
                "abstain": hands.abstain,
                "recorded_by": hands.recorded_by_id,
                "attested_by": hands.attested_by_id,
            },
        }
    _finish_close(locked, by, Motion.State.ADOPTED if outcome.adopted else Motion.State.REJECTED)
    if locked.meeting_id is not None:
        _settle_meeting_vote(locked, outcome.adopted)
    return locked


@transaction.atomic
def poll_close_verified(
    by: Person | None, poll: Poll, *, counted: Tally | None, details: dict[str, Any]
) -> Poll:
    """Close a verifiable poll once its own count is known: ``counted`` are the weighted counts
    its trustees decrypted (the asamblea.verifiable app checked every proof), added to the
    ordinary secret ballots its facilitator allowed, which are counted here and shown apart;
    ``counted`` None closes it without a valid count (the verifiable vote was cancelled).
    ``details`` (ballots, board head) goes into the result as ``verifiable``. The motion and
    the meeting proceed as for any poll."""
    locked = _lock_open_poll(poll, by)
    if not locked.is_verifiable:
        raise Refused(_("This vote is not a verifiable vote."), code="not_verifiable")
    _shuffle_and_rewrite(locked)
    ordinary = Ballot.objects.filter(poll=locked).count()
    if counted is None:
        locked.result = count(locked, with_hands=False).to_dict() | {
            "valid": False,
            "void_reason": "verifiable_cancelled",
            "void_note": "",
            "quorum_met": False,
            "majority_met": False,
            "adopted": False,
            "participants": ordinary,
            "ordinary_ballots": ordinary,
            "verifiable": details,
        }
        _finish_close(locked, by, Motion.State.SUPPORTED)
        adopted = False
    else:
        outcome = count(locked, with_hands=False, counted_elsewhere=counted)
        locked.result = outcome.to_dict() | {
            "participants": ordinary + int(details.get("ballots", 0)),
            "ordinary_ballots": ordinary,
            "verifiable": details,
        }
        adopted = outcome.adopted
        _finish_close(locked, by, Motion.State.ADOPTED if adopted else Motion.State.REJECTED)
    if locked.meeting_id is not None:
        _settle_meeting_vote(locked, adopted)
    return locked


@transaction.atomic
def poll_close_without_count(by: Person, poll: Poll, *, reason: str) -> Poll:
    """Close a vote whose hand count cannot be made valid, recording it as *closed without a
    valid count*: nothing is adopted, the motion goes back to waiting for a vote, and the
    ledger says why. Only when the hand count is not valid: a facilitator cannot annul a vote
    that has a valid count. Locks the poll row ``FOR UPDATE`` as :func:`poll_close` does."""
    require_facilitator(by, poll.body)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Say why the vote closes without a valid count."), code="reason_required")
    if len(reason) > VOID_REASON_MAX:
        raise Refused(_("The reason is too long (at most 300 characters)."), code="bad_reason")
    locked = _lock_open_poll(poll, by)
    problem = hand_count_problem(locked)
    if problem is None:
        raise Conflict(
            _("This vote can be counted: close it and count instead."), code="count_valid"
        )
    return _close_void(locked, by, problem.code, reason)


VOID_REASON_MAX = 300


def _lock_open_poll(poll: Poll, by: Person | None) -> Poll:
    """The poll row under ``FOR UPDATE``, open, and not refused by a ``poll_closing`` receiver."""
    locked = Poll.objects.select_for_update().select_related("body").get(pk=poll.pk)
    if not locked.is_open:
        raise Conflict(_("This vote is already closed."), code="poll_closed")
    poll_closing.send(sender=Poll, poll=locked, by=by)
    return locked


def _close_void(locked: Poll, by: Person | None, code: str, reason: str) -> Poll:
    """Close a (locked, open) poll without a valid count. The phone ballots are counted and
    shown, but the result is marked invalid and decides nothing (not adopted, no quorum)."""
    if locked.is_secret:
        _shuffle_and_rewrite(locked)
    hands = HandCount.objects.filter(poll=locked).first()
    electronic = Eligibility.objects.filter(poll=locked, voted=True).count()
    locked.result = count(locked, with_hands=False).to_dict() | {
        "valid": False,
        "void_reason": code,
        "void_note": reason,
        "quorum_met": False,
        "majority_met": False,
        "adopted": False,
        "participants": electronic,
        "electronic": electronic,
    }
    if hands is not None:
        locked.result["discarded_hand_count"] = {
            "yes": hands.yes,
            "no": hands.no,
            "abstain": hands.abstain,
            "attested": hands.is_attested,
        }
    # A motion whose vote decided nothing waits for a new vote; it is never adopted this way.
    _finish_close(locked, by, Motion.State.SUPPORTED)
    if locked.meeting_id is not None:
        _settle_meeting_vote(locked, False)
    return locked


def _finish_close(locked: Poll, by: Person | None, motion_state: str) -> None:
    locked.state = Poll.State.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["state", "closed_at", "result"])
    if locked.motion_id is not None:
        motion = Motion.objects.select_for_update().select_related("body").get(pk=locked.motion_id)
        set_state(by, motion, to_state=motion_state, reason=f"poll {locked.pk}")
    poll_closed.send(sender=Poll, poll=locked, by=by)
    record(
        locked.body,
        "poll.closed",
        {"poll": locked.pk, "by": by.pk if by is not None else None, "result": locked.result},
    )
    publish_on_commit(_channel(locked), "poll.closed", {"poll": locked.pk})


def close_due_polls(body: Body | None = None) -> int:
    """Close every open poll (of ``body``, if given) whose closing time has passed; returns how
    many were closed. No actor: a system job (``asamblea close-due``, a page's read). Pages that
    list a body's votes call it, so a vote closes on time even where nobody runs
    ``asamblea close-due``."""
    closed = 0
    due = Poll.objects.filter(state=Poll.State.OPEN, closes_at__lte=timezone.now())
    if body is not None:
        due = due.filter(body=body)
    for poll in due.only("pk"):
        try:
            poll_close(None, poll)
            closed += 1
        except Conflict:
            continue
    return closed


def on_meeting_due(sender: Any, meeting: Meeting, **kwargs: Any) -> None:
    """Before a meeting closes itself after 24 hours (``meetings.signals.meeting_due``): close
    its open votes as at their closing time, counted, or *without a valid count* when the hand
    count is not valid. Each vote in its own transaction (see
    :func:`asamblea.meetings.actions.close_due_meetings`)."""
    for poll in Poll.objects.filter(meeting=meeting, state=Poll.State.OPEN).only("pk"):
        try:
            poll_close(None, poll)
        except Conflict:
            continue


def on_body_viewed(sender: Any, body: Body, **kwargs: Any) -> None:
    """Before the body page reads what to show (``bodies.signals.body_viewed``): close the
    votes whose closing time passed and the meetings in session for 24 hours, so the page
    never shows as open what is over, even where nobody runs ``asamblea close-due``."""
    close_due_polls(body)
    close_due_meetings(body)


# -- in-meeting votes: hand counts ---------------------------------------------------------

MAX_HAND_COUNT = 100_000


def _settle_meeting_vote(poll: Poll, adopted: bool) -> None:
    """After a meeting vote closes: tell the meeting's screens, and adopt the agenda if this
    was the agenda vote and it passed."""
    meeting = Meeting.objects.select_for_update().get(pk=poll.meeting_id)
    if poll.decides_agenda and adopted and meeting.agenda_adopted_at is None:
        meeting.agenda_adopted_at = timezone.now()
        meeting.save(update_fields=["agenda_adopted_at"])
        record(poll.body, "agenda.adopted", {"meeting": meeting.pk, "poll": poll.pk})
    publish_on_commit(meeting.channel, "poll.closed", {"poll": poll.pk})


def _hand_count_room(poll: Poll) -> int:
    """How many hands may still be counted: the electorate who have not voted electronically.
    Checked-in people who voted on their phone are thereby never counted twice."""
    return Eligibility.objects.filter(poll=poll, voted=False).count()


def hand_count_problem(poll: Poll) -> Conflict | None:
    """Why the hand count of ``poll`` cannot be added to its result now, or None when there is
    no hand count or it is valid. Valid means attested and not larger than the people who have
    not voted on their phone: phone ballots cast after the count must not count anyone twice."""
    hands = HandCount.objects.filter(poll=poll).first()
    if hands is None:
        return None
    if hands.total > _hand_count_room(poll):
        return Conflict(
            _(
                "More people voted on their phones after the hand count: the hands now exceed "
                "the people who have not voted. Correct the hand count, or close the vote "
                "without a valid count."
            ),
            code="hand_count_exceeds",
        )
    if not hands.is_attested:
        return Conflict(
            _(
                "A second person must attest the hand count before the vote is counted. "
                "Or close the vote without a valid count."
            ),
            code="hand_count_unattested",
        )
    return None


def _refuse_hands_for_verifiable(poll: Poll) -> None:
    """A verifiable vote is counted from its board only (its close ignores hands), so a show of
    hands is refused rather than recorded and then left out; members without a phone cast the
    ordinary ballot where its facilitator allowed it."""
    if poll.is_verifiable:
        raise Refused(
            _(
                "A verifiable vote is not counted by hand: only its encrypted ballots, and the "
                "ordinary ballots its facilitator allowed, are counted."
            ),
            code="verifiable_no_hands",
        )


@transaction.atomic
def hand_count_record(
    facilitator: Person, poll: Poll, *, yes: int, no: int, abstain: int
) -> HandCount:
    """Record, or correct, the show-of-hands count of an in-meeting vote.

    The rule: the hand count covers the people of the electorate who have **not** voted on
    their phone, so its maximum is the electorate minus the phone ballots (a close checks it
    again). A count can be corrected until the vote closes, also after it was attested: the
    correction replaces it and must be attested again. Takes ``FOR UPDATE`` on the poll row,
    so no close runs meanwhile."""
    require_facilitator(facilitator, poll.body)
    locked = Poll.objects.select_for_update().select_related("body").get(pk=poll.pk)
    if locked.meeting_id is None:
        raise Refused(_("Hand counts are for votes held in a meeting."), code="not_meeting_vote")
    if not locked.is_open:
        raise Conflict(_("This vote is closed."), code="poll_closed")
    _refuse_hands_for_verifiable(locked)
    counts = (yes, no, abstain)
    if any(not isinstance(n, int) or n < 0 or n > MAX_HAND_COUNT for n in counts):
        raise Refused(_("Counts are whole numbers, zero or more."), code="bad_count")
    room = _hand_count_room(locked)
    if sum(counts) > room:
        raise Refused(
            ngettext(
                "At most %(room)s more person can be counted by hand.",
                "At most %(room)s more people can be counted by hand.",
                room,
            )
            % {"room": room},
            code="hand_count_exceeds",
        )
    existing = HandCount.objects.filter(poll=locked).first()
    hands, _created = HandCount.objects.update_or_create(
        poll=locked,
        defaults={
            "yes": yes,
            "no": no,
            "abstain": abstain,
            "recorded_by": facilitator,
            "recorded_at": timezone.now(),
            "attested_by": None,
            "attested_at": None,
        },
    )
    payload = {"poll": locked.pk, "yes": yes, "no": no, "abstain": abstain, "by": facilitator.pk}
    if existing is not None:
        payload["corrects"] = {"yes": existing.yes, "no": existing.no, "abstain": existing.abstain}
    record(locked.body, "poll.hand_count_recorded", payload)
    publish_on_commit(Meeting.channel_of(locked.meeting_id), "poll.hand_count", {"poll": locked.pk})
    return hands


def _require_attester(person: Person, poll: Poll) -> None:
    if is_facilitator(person, poll.body):
        return
    require_member(person, poll.body)
    if (
        poll.meeting_id is None
        or not Attendance.objects.filter(
            meeting_id=poll.meeting_id, person=person, present=True
        ).exists()
    ):
        raise NotAllowed(
            _("Only a facilitator or a member present at the meeting can attest a hand count."),
            code="not_present",
        )


@transaction.atomic
def hand_count_attest(facilitator: Person, poll: Poll) -> HandCount:
    """A second person confirms the hand count; only then is it added to the result.

    The second person is another facilitator or, so that an assembly with one facilitator can
    still count hands, a member checked in at the meeting; never the one who counted. A count
    that already exceeds the people who have not voted on their phone is not attested."""
    _require_attester(facilitator, poll)
    locked = Poll.objects.select_for_update().select_related("body").get(pk=poll.pk)
    if not locked.is_open:
        raise Conflict(_("This vote is closed."), code="poll_closed")
    _refuse_hands_for_verifiable(locked)
    hands = HandCount.objects.filter(poll=locked).first()
    if hands is None:
        raise Conflict(_("No hand count has been recorded."), code="no_hand_count")
    if hands.is_attested:
        raise Conflict(_("The hand count is already attested."), code="hand_count_attested")
    if hands.recorded_by_id == facilitator.pk:
        raise NotAllowed(
            _("A second person, not the one who counted, must attest."), code="same_person"
        )
    room = _hand_count_room(locked)
    if hands.total > room:
        raise Conflict(
            _("At most %(room)s people can still be counted by hand: correct the count first.")
            % {"room": room},
            code="hand_count_exceeds",
        )
    hands.attested_by = facilitator
    hands.attested_at = timezone.now()
    hands.save(update_fields=["attested_by", "attested_at"])
    record(
        locked.body,
        "poll.hand_count_attested",
        {"poll": locked.pk, "total": hands.total, "by": facilitator.pk},
    )
    publish_on_commit(Meeting.channel_of(locked.meeting_id), "poll.hand_count", {"poll": locked.pk})
    return hands
