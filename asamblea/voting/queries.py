"""Reading votes: counts, turnout, receipts, and what the pages of the apps below show of
them (the body page, a motion's page, a meeting's page)."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body, Membership
from asamblea.meetings.models import Meeting
from asamblea.motions.models import Motion, StateChange
from asamblea.voting import rules
from asamblea.voting.ballot_box import receipt_ballot
from asamblea.voting.models import Ballot, Eligibility, HandCount, Poll

# A supported motion whose vote nobody opened for this long may be put to the vote by any
# voting member (DESIGN invariant 8: no facilitator can stop a decision by never calling it).
CALL_VOTE_WAIT = timedelta(hours=72)


def supported_since(motion: Motion) -> datetime:
    """When ``motion`` last reached the state *supported* (its state history; the motion's last
    update if the history has no such entry)."""
    change = (
        StateChange.objects.filter(motion=motion, to_state=Motion.State.SUPPORTED)
        .order_by("-at", "-pk")
        .first()
    )
    return change.at if change is not None else motion.updated_at


def vote_callable_at(motion: Motion) -> datetime | None:
    """From when a member may call the vote on ``motion`` themselves; None when the motion is
    not waiting for a vote (not *supported*)."""
    if motion.state != Motion.State.SUPPORTED:
        return None
    since = supported_since(motion)
    if since > datetime.max.replace(tzinfo=since.tzinfo) - CALL_VOTE_WAIT:
        return None  # a stored date at the end of the calendar (pages survive any stored value)
    return since + CALL_VOTE_WAIT


def vote_callable(motion: Motion, membership: Membership | None) -> bool:
    """Whether the member of ``membership`` may call the vote on ``motion`` now (a voting
    member, in an assembly, nobody opened its vote 72 hours after it reached its supporters)."""
    if membership is None or not membership.can_vote or not motion.body.is_assembly:
        return False
    callable_at = vote_callable_at(motion)
    return callable_at is not None and timezone.now() >= callable_at


def count(
    poll: Poll, *, with_hands: bool = True, counted_elsewhere: rules.Tally | None = None
) -> rules.Outcome:
    """Count the stored ballots with the poll's stored rules (a recount gives the same).
    ``with_hands`` adds the attested hand count, if any; ``counted_elsewhere`` the counts of
    ballots not stored here (a verifiable vote's decrypted tally)."""
    sums = {
        row["choice"]: row["total"]
        for row in Ballot.objects.filter(poll=poll).values("choice").annotate(total=Sum("weight"))
    }
    tally = rules.Tally(sums.get("yes", 0), sums.get("no", 0), sums.get("abstain", 0))
    hands = HandCount.objects.filter(poll=poll, attested_by__isnull=False).first()
    if hands is not None and with_hands:
        tally = tally + rules.Tally(hands.yes, hands.no, hands.abstain)
    if counted_elsewhere is not None:
        tally = tally + counted_elsewhere
    electorate = Eligibility.objects.filter(poll=poll).aggregate(total=Sum("weight"))["total"] or 0
    return rules.decide(
        tally, electorate, Fraction(poll.quorum_percent, 100), rules.Majority(poll.majority)
    )


def receipt_lookup(poll: Poll, code: str) -> Ballot:
    """Find a secret ballot by its receipt code. Refuses malformed and unknown codes alike."""
    return receipt_ballot(
        Ballot.objects.filter(poll=poll), code, _("No ballot in this vote has this receipt code.")
    )


def participation_counts(poll: Poll) -> dict[str, int]:
    """Turnout so far, for live progress (never partial choices)."""
    counts = Eligibility.objects.filter(poll=poll).aggregate(
        voted=Count("pk", filter=Q(voted=True)),
        total=Count("pk"),
    )
    return {"voted": counts["voted"] or 0, "electorate": counts["total"] or 0}


def meeting_participation(poll: Poll) -> dict[str, Any]:
    """Who has taken part in an in-meeting vote, for the page: phone ballots, the hand count
    (if any), the electorate, how many may still be counted by hand, and whether the hand
    count now exceeds that (phone ballots cast after it). ``shown`` never exceeds the
    electorate: an exceeding count is not added."""
    counts = participation_counts(poll)
    online, electorate = counts["voted"], counts["electorate"]
    hands = HandCount.objects.filter(poll=poll).first()
    room = max(electorate - online, 0)
    total = hands.total if hands is not None else 0
    exceeds = total > room
    return {
        "online": online,
        "hands": total if hands is not None else None,
        "electorate": electorate,
        "room": room,
        "exceeds": exceeds,
        "shown": online if exceeds else online + total,
    }


def body_polls(body: Body) -> dict[str, Any]:
    """The body's open votes and its last 20 others, with their motions (lazy querysets)."""
    polls = Poll.objects.filter(body=body).select_related("motion")
    return {
        "open": polls.filter(state=Poll.State.OPEN),
        "past": polls.exclude(state=Poll.State.OPEN)[:20],
    }


def meeting_vote(meeting: Meeting, person: Visitor) -> dict[str, Any]:
    """The vote a meeting's pages show: the open one, else the last one closed, with its
    turnout, the hand count, and ``person``'s place in its electorate."""
    open_poll = (
        Poll.objects.filter(meeting=meeting, state=Poll.State.OPEN).order_by("-opened_at").first()
    )
    last_poll = Poll.objects.filter(meeting=meeting).order_by("-opened_at").first()
    shown = open_poll or last_poll
    eligibility = None
    if person is not None and person.is_authenticated and open_poll is not None:
        eligibility = Eligibility.objects.filter(poll=open_poll, person=person).first()
    return {
        "poll": shown,
        "poll_open": open_poll is not None,
        "eligibility": eligibility,
        "progress": participation_counts(shown) if shown else None,
        "hand_count": HandCount.objects.filter(poll=shown).first() if shown else None,
        "taking_part": meeting_participation(open_poll) if open_poll else None,
    }


def votable_motions(meeting: Meeting) -> list[Motion]:
    """The assembly's motions a vote can be opened on (they have the supporters they need)."""
    return list(
        Motion.objects.filter(body=meeting.body, state=Motion.State.SUPPORTED).order_by("number")
    )


def meeting_close_blocker(sender: Any, meeting: Meeting, **kwargs: Any) -> str | None:
    """Answer to ``meetings.signals.meeting_closing``: a meeting does not close while one of its
    votes is open (the facilitator closes it first; a meeting closing by itself has had its
    votes closed by ``on_meeting_due``). A verifiable vote is the verifiable app's to judge:
    once its ballot box is closed, the meeting may close before its trustees decrypt."""
    open_votes = Poll.objects.filter(meeting=meeting, state=Poll.State.OPEN)
    if open_votes.exclude(secrecy=Poll.Secrecy.VERIFIABLE).exists():
        return str(_("Close the open votes of this meeting first."))
    return None


def minutes_votes(sender: Any, meeting: Meeting, **kwargs: Any) -> dict[str, Any]:
    """The votes section of a meeting's minutes (``meetings.signals.minutes_sections``): each
    vote held in the meeting, in the order opened, with its result."""
    votes = [
        {
            "poll": poll.pk,
            "title": poll.title,
            "secrecy": poll.secrecy,
            "opened": _iso(poll.opened_at),
            "closed": _iso(poll.closed_at),
            "result": poll.result,
        }
        for poll in Poll.objects.filter(meeting=meeting).order_by("opened_at", "pk")
    ]
    return {"votes": votes}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
