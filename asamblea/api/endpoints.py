"""The API's operations: thin functions that read through :mod:`asamblea.api.queries` and
write through the apps' actions (the same functions the pages call, so the same rules)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from asamblea import ratelimit
from asamblea.api import queries
from asamblea.api.auth import TokenAuth, principal, require_scope
from asamblea.api.schemas import (
    BallotIn,
    BodyOut,
    BodyPage,
    ConsultationDetail,
    ConsultationPage,
    ElectionBallotIn,
    ElectionDetail,
    ElectionPage,
    LedgerHead,
    Me,
    MembershipPage,
    MotionDetail,
    MotionIn,
    MotionPage,
    MyVotePage,
    PollDetail,
    PollPage,
    Problem,
    Receipt,
    ReceiptCheck,
    ReceiptIn,
    ResolutionPage,
)
from asamblea.elections import actions as elections
from asamblea.elections import queries as election_queries
from asamblea.errors import Conflict
from asamblea.motions import actions as motion_actions
from asamblea.motions.models import Motion
from asamblea.voting import actions as voting_actions
from asamblea.voting import casting
from asamblea.voting import queries as voting_queries

OPTIONAL = TokenAuth(optional=True)
REQUIRED = TokenAuth(optional=False)

router = Router(auth=OPTIONAL)

# Path parameters are bounded, so no value can reach the database as something it refuses
# (a number past its integer range, a NUL character in a slug): bad input is a 422, never a 500.
Slug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]{1,80}$")]
Number = Annotated[int, Path(ge=1, le=2_147_483_647)]
Id = Annotated[int, Path(ge=1, le=9_223_372_036_854_775_807)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=100)]

READ_ERRORS: dict[int, Any] = {401: Problem, 404: Problem, 422: Problem}
WRITE_ERRORS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    413: Problem,
    422: Problem,
    429: Problem,
}


def _page(
    request: HttpRequest, items: list[Any], more: bool, page: int, per_page: int
) -> dict[str, Any]:
    def link(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        query["per_page"] = str(per_page)
        return f"{request.path}?{query.urlencode()}"

    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "next": link(page + 1) if more else None,
        "previous": link(page - 1) if page > 1 else None,
    }


# --- Public reads (a token with ``read`` also shows what its person may read) ----------------


@router.get("/bodies", response={200: BodyPage, **READ_ERRORS}, tags=["bodies"])
def list_bodies(request: HttpRequest, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    """The bodies the caller may read: every public one, and with a ``read`` token the
    members-only bodies its person belongs to."""
    items, more = queries.page_of(queries.bodies(principal(request).reader), page, per_page)
    return _page(request, [queries.body_out(b) for b in items], more, page, per_page)


@router.get("/bodies/{slug}", response={200: BodyOut, **READ_ERRORS}, tags=["bodies"])
def get_body(request: HttpRequest, slug: Slug) -> Any:
    """A body, its statute and how many active members it has. A members-only body is "not
    found" for whoever does not belong to it."""
    body = queries.body_for(principal(request).reader, slug)
    return queries.body_out(queries.body_with_count(body))


@router.get(
    "/bodies/{slug}/ledger/head", response={200: LedgerHead, **READ_ERRORS}, tags=["bodies"]
)
def get_ledger_head(request: HttpRequest, slug: Slug) -> Any:
    """The head of the body's tamper-evident ledger: its length and last hash. Keep it: a later
    ``asamblea verify-ledger`` proves the chain was not rewritten before that point."""
    return queries.ledger_head(queries.body_for(principal(request).reader, slug))


@router.get(
    "/bodies/{slug}/resolutions", response={200: ResolutionPage, **READ_ERRORS}, tags=["bodies"]
)
def list_resolutions(
    request: HttpRequest,
    slug: Slug,
    kind: Annotated[str, Query(pattern="^[a-z_]{0,24}$")] = "",
    since: date | None = None,
    until: date | None = None,
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> Any:
    """The decisions of an assembly or a coordination, newest first, as its resolutions page
    lists them: adopted and rejected motions with their counts, elections, consultations,
    delegates' votes, statements; ``kind`` keeps one kind, ``since`` and ``until`` (dates)
    bound them. Each links to its record and to its ledger entry."""
    body = queries.readable(principal(request).reader, slug)
    rows = queries.resolutions(body, kind, since, until)
    items, more = queries.page_of(rows, page, per_page)
    return _page(request, [queries.resolution_out(r, slug) for r in items], more, page, per_page)


@router.get("/bodies/{slug}/motions", response={200: MotionPage, **READ_ERRORS}, tags=["motions"])
def list_motions(
    request: HttpRequest,
    slug: Slug,
    state: Annotated[str | None, Query(pattern="^[a-z]{1,16}$")] = None,
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> Any:
    """The body's motions, newest first; ``state`` keeps those in one state (submitted,
    supported, voting, adopted, rejected, withdrawn)."""
    body = queries.body_for(principal(request).reader, slug)
    items, more = queries.page_of(queries.motions(body, state), page, per_page)
    return _page(request, [queries.motion_out(m, slug) for m in items], more, page, per_page)


@router.get(
    "/bodies/{slug}/motions/{number}",
    response={200: MotionDetail, **READ_ERRORS},
    tags=["motions"],
)
def get_motion(request: HttpRequest, slug: Slug, number: Number) -> Any:
    body = queries.body_for(principal(request).reader, slug)
    return queries.motion_detail(queries.motion_for(body, number), slug)


@router.get("/bodies/{slug}/polls", response={200: PollPage, **READ_ERRORS}, tags=["votes"])
def list_polls(request: HttpRequest, slug: Slug, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    """The body's yes / no / abstain votes, newest first."""
    body = queries.body_for(principal(request).reader, slug)
    items, more = queries.page_of(queries.polls(body), page, per_page)
    return _page(request, [queries.poll_out(p, slug) for p in items], more, page, per_page)


@router.get(
    "/bodies/{slug}/polls/{poll_id}", response={200: PollDetail, **READ_ERRORS}, tags=["votes"]
)
def get_poll(request: HttpRequest, slug: Slug, poll_id: Id) -> Any:
    """A vote: turnout while open, the count once closed, and who voted what for named votes.
    A secret vote gives counts only."""
    poll = queries.poll_for(principal(request).reader, slug, poll_id)
    if poll.is_open and poll.is_past_closing_time():
        try:  # as its page: a vote past its closing time is closed when next read
            poll = voting_actions.poll_close(None, poll)
        except Conflict:
            poll.refresh_from_db()
    return queries.poll_detail(poll)


@router.get("/bodies/{slug}/elections", response={200: ElectionPage, **READ_ERRORS}, tags=["votes"])
def list_elections(
    request: HttpRequest, slug: Slug, page: PageNo = 1, per_page: PerPage = 50
) -> Any:
    body = queries.body_for(principal(request).reader, slug)
    items, more = queries.page_of(queries.elections_of(body), page, per_page)
    return _page(request, [queries.election_out(e, slug) for e in items], more, page, per_page)


@router.get(
    "/bodies/{slug}/elections/{election_id}",
    response={200: ElectionDetail, **READ_ERRORS},
    tags=["votes"],
)
def get_election(request: HttpRequest, slug: Slug, election_id: Id) -> Any:
    """An election: its candidates, turnout, and once closed the winners and the full count."""
    return queries.election_detail(
        queries.election_for(principal(request).reader, slug, election_id)
    )


@router.get(
    "/coordinations/{slug}/consultations",
    response={200: ConsultationPage, **READ_ERRORS},
    tags=["coordination"],
)
def list_consultations(
    request: HttpRequest, slug: Slug, page: PageNo = 1, per_page: PerPage = 50
) -> Any:
    coordination = queries.coordination_for(principal(request).reader, slug)
    items, more = queries.page_of(queries.consultations(coordination), page, per_page)
    return _page(request, [queries.consultation_out(c, slug) for c in items], more, page, per_page)


@router.get(
    "/coordinations/{slug}/consultations/{consultation_id}",
    response={200: ConsultationDetail, **READ_ERRORS},
    tags=["coordination"],
)
def get_consultation(request: HttpRequest, slug: Slug, consultation_id: Id) -> Any:
    """A consultation and, once counted, its results per assembly, member body, sector and
    region. A members-only assembly is named only to those its page names it to."""
    from asamblea.coordination.actions import consultation_close

    reader = principal(request).reader
    consultation = queries.consultation_for(reader, slug, consultation_id)
    if consultation.is_open and consultation.is_past_deadline():
        try:  # as its page
            consultation = consultation_close(None, consultation)
        except Conflict:
            consultation.refresh_from_db()
    return queries.consultation_detail(reader, consultation)


# --- Receipts (anyone who may see the vote, as on its page) -----------------------------------


@router.post(
    "/bodies/{slug}/polls/{poll_id}/receipt",
    response={200: ReceiptCheck, 400: Problem, **READ_ERRORS},
    tags=["votes"],
)
def check_poll_receipt(request: HttpRequest, slug: Slug, poll_id: Id, data: ReceiptIn) -> Any:
    """Whether the secret ballot of a receipt code is in the box, and whether it was counted
    (never the choice, so a receipt proves nothing to a coercer). By POST, so the code stays
    out of addresses and logs."""
    poll = queries.poll_for(principal(request).reader, slug, poll_id)
    voting_queries.receipt_lookup(poll, data.code)
    return {"found": True, "counted": not poll.is_open}


@router.post(
    "/bodies/{slug}/elections/{election_id}/receipt",
    response={200: ReceiptCheck, 400: Problem, **READ_ERRORS},
    tags=["votes"],
)
def check_election_receipt(
    request: HttpRequest, slug: Slug, election_id: Id, data: ReceiptIn
) -> Any:
    election = queries.election_for(principal(request).reader, slug, election_id)
    election_queries.receipt_lookup(election, data.code)
    return {"found": True, "counted": election.is_closed}


# --- The member's own (a token with ``read``) ------------------------------------------------

me_router = Router(auth=REQUIRED, tags=["me"])


@me_router.get("", response={200: Me, 401: Problem, 403: Problem})
def get_me(request: HttpRequest) -> Any:
    """Who the token acts for, and what it may do."""
    who = principal(request)
    person = who.person
    return {
        "username": person.username,
        "display_name": person.display_name,
        "language": person.language,
        "scopes": sorted(who.scopes),
    }


@me_router.get("/bodies", response={200: MembershipPage, 401: Problem, 403: Problem, 422: Problem})
def my_bodies(request: HttpRequest, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    """The bodies the person belongs to, with their role."""
    person = require_scope(request, "read")
    items, more = queries.page_of(queries.memberships(person), page, per_page)
    rows = [
        {"body": queries.body_out(m.body), "role": m.role, "joined_at": m.joined_at} for m in items
    ]
    return _page(request, rows, more, page, per_page)


@me_router.get("/motions", response={200: MotionPage, 401: Problem, 403: Problem, 422: Problem})
def my_motions(request: HttpRequest, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    """The motions the person put, in the bodies they may still read."""
    person = require_scope(request, "read")
    items, more = queries.page_of(queries.authored_motions(person), page, per_page)
    rows = [queries.motion_out(m, m.body.slug) for m in items]
    return _page(request, rows, more, page, per_page)


@me_router.get("/votes", response={200: MyVotePage, 401: Problem, 403: Problem, 422: Problem})
def my_votes(request: HttpRequest, page: PageNo = 1, per_page: PerPage = 50) -> Any:
    """The votes and elections the person may vote in, and whether they have (never how)."""
    person = require_scope(request, "read")
    rows, more = queries.my_votes(person, page, per_page)
    return _page(request, rows, more, page, per_page)


# --- Writes: each is one action of an app, as the page's form calls it ------------------------


@router.post(
    "/bodies/{slug}/motions",
    response={201: MotionDetail, **WRITE_ERRORS},
    tags=["motions"],
    auth=REQUIRED,
)
def put_motion(request: HttpRequest, slug: Slug, data: MotionIn) -> Any:
    """Put a motion to the body (members, not observers). Scope ``write:motions``."""
    person = require_scope(request, "write:motions")
    body = queries.body_for(person, slug)
    motion = motion_actions.motion_submit(
        person, body, title=data.title, text=data.text, reasons=data.reasons
    )
    return Status(201, queries.motion_detail(queries.motion_for(body, motion.number), slug))


@router.post(
    "/bodies/{slug}/motions/{number}/support",
    response={200: MotionDetail, **WRITE_ERRORS},
    tags=["motions"],
    auth=REQUIRED,
)
def support_motion(request: HttpRequest, slug: Slug, number: Number) -> Any:
    """Support a motion (members; not its author). Scope ``write:motions``."""
    person = require_scope(request, "write:motions")
    body = queries.body_for(person, slug)
    motion: Motion = motion_actions.motion_support(person, queries.motion_for(body, number))
    return queries.motion_detail(queries.motion_for(body, motion.number), slug)


def _rate_limited(person: Any) -> None:
    """The ``ballot_cast`` limit: the same counter the vote page's forms use."""
    if not ratelimit.hit("ballot_cast", str(person.pk)):
        raise casting.too_many_attempts()


@router.post(
    "/bodies/{slug}/polls/{poll_id}/ballot",
    response={201: Receipt, **WRITE_ERRORS},
    tags=["votes"],
    auth=REQUIRED,
)
def cast_ballot(request: HttpRequest, slug: Slug, poll_id: Id, data: BallotIn) -> Any:
    """Cast a yes / no / abstain ballot, once: through the same cast routine and rate limit
    as the vote page. A secret vote answers with a receipt code, shown this once. Scope
    ``vote``. The answer comes only after the ballot is committed."""
    person = require_scope(request, "vote")
    poll = queries.poll_for(person, slug, poll_id)
    _rate_limited(person)
    receipt = voting_actions.ballot_cast(person, poll, choice=data.choice)
    return Status(201, {"receipt": receipt.receipt})


@router.post(
    "/bodies/{slug}/elections/{election_id}/ballot",
    response={201: Receipt, **WRITE_ERRORS},
    tags=["votes"],
    auth=REQUIRED,
)
def cast_election_ballot(
    request: HttpRequest, slug: Slug, election_id: Id, data: ElectionBallotIn
) -> Any:
    """Cast an election ballot, once, with the marks the page's form would send; the same
    routine and rate limit as the election page. Scope ``vote``."""
    person = require_scope(request, "vote")
    election = queries.election_for(person, slug, election_id)
    _rate_limited(person)
    form = {key: value if isinstance(value, list) else [value] for key, value in data.marks.items()}
    receipt = elections.ballot_cast(person, election, form=form)
    return Status(201, {"receipt": receipt.receipt})
