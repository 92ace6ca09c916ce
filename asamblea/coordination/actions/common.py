"""Helpers shared by the coordination's writes: limits, ledger entries in two chains, checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import (
    voting_members,
)
from asamblea.coordination.queries import (
    is_member_body,
)
from asamblea.dates import check_moment
from asamblea.errors import Refused
from asamblea.live.events import publish_on_commit
from asamblea.voting.models import Eligibility, Poll

MAX_SEATS = 10

MAX_CANDIDATES = 30

MAX_TERM_DAYS = 730

MAX_THRESHOLD = 1000

# A member body's vote on forwarding or backing a motion closes itself after this (facilitators
# may close it earlier, as any vote of the members: quorum and majority still decide).
FORWARD_VOTE_HOURS = 72

COORDINATION_KINDS = frozenset(Body.Kind.values) - Body.ASSEMBLY_KINDS


def channel(body: Body | int) -> str:
    return Body.channel_of(body) if isinstance(body, int) else body.channel


def record_both(body: Body, coordination: Body, kind: str, payload: dict[str, Any]) -> None:
    """Record one event in the assembly's ledger and in the coordination's."""
    payload = payload | {"body": body.pk, "coordination": coordination.pk}
    record(body, kind, payload)
    record(coordination, kind, payload)


def check_future(moment: datetime | None) -> None:
    check_moment(moment)


def check_rules(quorum_percent: int, majority: str) -> None:
    if not 0 <= quorum_percent <= 100:
        raise Refused(_("The quorum is a percentage between 0 and 100."))
    if majority not in Poll.Majority.values:
        raise Refused(_("Choose a valid majority rule."))


def require_member_body(body: Body, coordination: Body) -> None:
    if not is_member_body(body, coordination):
        raise Refused(_("This body does not belong to this coordination."), code="not_member")


def open_member_poll(
    person: Person, body: Body, *, title: str, closes_at: datetime | None = None
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
    publish_on_commit(channel(body), "poll.opened", {"poll": poll.pk})
    return poll
