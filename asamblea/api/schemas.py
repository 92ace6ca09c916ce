"""What the API takes and gives, as typed schemas (the OpenAPI document is made from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, Field

from asamblea.motions.models import TEXT_MAX, TITLE_MAX


def _storable(text: str) -> str:
    """Text a database can store: no NUL character (PostgreSQL refuses it) and no lone
    surrogate (not encodable as UTF-8); refused as bad input, never a server error."""
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("not valid Unicode text") from exc
    return text


def Text(max_length: int, min_length: int = 0) -> Any:  # noqa: N802 - a type factory
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(_storable)
    ]


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[dict[str, Any]] | None = None


class Page(Schema):
    page: int
    per_page: int
    next: str | None = Field(None, description="The address of the next page, if any.")
    previous: str | None = None


class Statute(Schema):
    quorum_percent: int
    majority: str
    supporters_required: int


class BodyOut(Schema):
    slug: str
    name: str
    kind: str
    kind_label: str
    is_assembly: bool
    visibility: str
    region: str
    sectors: list[str]
    description: str
    member_count: int
    created_at: datetime
    statute: Statute
    url: str


class BodyPage(Page):
    items: list[BodyOut]


class MotionOut(Schema):
    body: str
    number: int
    title: str
    state: str
    state_label: str
    author: str | None
    version: int
    amends: int | None
    created_at: datetime
    updated_at: datetime
    url: str


class MotionDetail(MotionOut):
    text: str
    reasons: str
    supporters: int
    history: list[StateChangeOut]
    polls: list[int]


class StateChangeOut(Schema):
    from_state: str
    to_state: str
    at: datetime
    reason: str


MotionDetail.model_rebuild()


class MotionPage(Page):
    items: list[MotionOut]


class Turnout(Schema):
    voted: int
    electorate: int


class PollResult(Schema):
    """The count, as exact numbers in text (weights can make fractions, e.g. ``"5/2"``)."""

    yes: str
    no: str
    abstain: str
    cast: str
    electorate: str
    participants: int
    quorum: str
    majority: str
    turnout: str
    quorum_met: bool
    majority_met: bool
    adopted: bool
    valid: bool


class NamedVote(Schema):
    voter: str
    choice: str


class PollOut(Schema):
    body: str
    id: int
    title: str
    motion: int | None
    secrecy: str
    state: str
    quorum_percent: int
    majority: str
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    in_meeting: bool
    url: str


class PollDetail(PollOut):
    turnout: Turnout
    result: PollResult | None
    named_votes: list[NamedVote] | None = Field(
        None, description="Who voted what: named votes, once closed. Never for secret votes."
    )


class PollPage(Page):
    items: list[PollOut]


class CandidateOut(Schema):
    name: str
    status: str
    position: int | None


class ElectionOut(Schema):
    body: str
    id: int
    title: str
    method: str
    seats: int
    secrecy: str
    phase: str
    created_at: datetime
    voting_opened_at: datetime | None
    closed_at: datetime | None
    url: str


class ElectionDetail(ElectionOut):
    candidates: list[CandidateOut]
    turnout: Turnout
    winners: list[str]
    result: dict[str, Any] | None = Field(
        None, description="The count with its full trace, as the result download gives it."
    )


class ElectionPage(Page):
    items: list[ElectionOut]


class GroupResult(Schema):
    key: str
    label: str
    body: str | None = Field(None, description="The body's slug, when it may be named.")
    bodies: int
    decided: int
    electorate_people: int
    participants: int
    yes: str
    no: str
    abstain: str
    turnout: str
    quorum_met: bool
    majority_met: bool
    adopted: bool


class ConsultationOut(Schema):
    coordination: str
    id: int
    title: str
    motion: int
    rule: str
    state: str
    quorum_percent: int
    majority: str
    opened_at: datetime
    deadline: datetime
    closed_at: datetime | None
    url: str


class ConsultationDetail(ConsultationOut):
    total: GroupResult | None
    by_body: list[GroupResult]
    by_member: list[GroupResult]
    by_sector: list[GroupResult]
    by_region: list[GroupResult]


class ConsultationPage(Page):
    items: list[ConsultationOut]


class ResolutionOut(Schema):
    """A decision as the body's resolutions page lists it, with its record and ledger entry."""

    kind: str
    kind_label: str
    title: str
    outcome: str = Field(description="adopted, rejected, void, or empty (elections, statements)")
    at: datetime
    data: dict[str, Any] = Field(
        description="The counts (secret ballots: counts only), or an election's winners."
    )
    url: str
    ledger_entry: str
    ledger_seq: int
    ledger_hash: str


class ResolutionPage(Page):
    items: list[ResolutionOut]


class LedgerHead(Schema):
    body: str
    chain: str
    length: int
    head: str


class Me(Schema):
    username: str
    display_name: str
    language: str
    scopes: list[str]


class MembershipOut(Schema):
    body: BodyOut
    role: str
    joined_at: datetime


class MembershipPage(Page):
    items: list[MembershipOut]


class MyVote(Schema):
    kind: str = Field(description="``poll`` or ``election``.")
    body: str
    id: int
    title: str
    open: bool
    voted: bool
    url: str


class MyVotePage(Page):
    items: list[MyVote]


class MotionIn(Schema):
    title: Text(TITLE_MAX, 1)  # type: ignore[valid-type]
    text: Text(TEXT_MAX, 1)  # type: ignore[valid-type]
    reasons: Text(TEXT_MAX) = ""  # type: ignore[valid-type]


class BallotIn(Schema):
    choice: str = Field(pattern="^(yes|no|abstain)$", description="yes, no or abstain")


class ElectionBallotIn(Schema):
    """The marks of an election ballot, named as the page's form names them: ``rank_<n>``
    (ranked methods: the rank of candidate ``n``, 1 first), ``mark`` (plurality and approval:
    the numbers of the candidates marked), ``score_<n>``, or ``stance_<n>`` and
    ``reason_<n>`` (consent)."""

    marks: dict[
        Text(20, 1),  # type: ignore[valid-type]
        Text(500) | list[Text(500)],  # type: ignore[valid-type]
    ] = Field(max_length=200)


class Receipt(Schema):
    receipt: str | None = Field(
        description="Secret votes: the code to check later that the ballot was counted."
    )


class ReceiptIn(Schema):
    code: Text(64, 1)  # type: ignore[valid-type]


class ReceiptCheck(Schema):
    found: bool
    counted: bool
