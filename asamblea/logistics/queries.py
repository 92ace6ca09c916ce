"""Reads of the logistics board and of trips, and who may see what.

Who may do what (also in docs/logistics.md):

- The board of a coordination is read by its *people*: the persons who hold a role in the
  coordination itself (facilitators, observers), its delegates, and the voting members
  (members and facilitators) of its member assemblies. Nobody else sees it, whatever the
  coordination's visibility: needs of delegations are not for the public.
- A facilitator of a member assembly posts needs and offers for that assembly, withdraws them,
  proposes a suggested match involving them, and accepts or declines a match proposed to it.
- A match and the exact details exchanged in it are seen only by the facilitators of its two
  assemblies; details are kept until the match's last day, then deleted.
- A trip is seen and changed only by its own assembly's facilitators.

Every function here answers in a fixed number of queries, whatever the size of the board.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import active_membership
from asamblea.coordination.queries import is_delegate, member_bodies
from asamblea.logistics import matching
from asamblea.logistics.models import Match, Posting, Trip


def today() -> date:
    return timezone.localdate()


def _memberships(person: Visitor, bodies: QuerySet[Body], roles: frozenset[str]) -> QuerySet[Body]:
    return bodies.filter(
        memberships__person=person,
        memberships__status=Membership.Status.ACTIVE,
        memberships__role__in=roles,
    )


def reads_board(person: Visitor, coordination: Body) -> bool:
    """Whether ``person`` is one of the coordination's people (see the module docstring)."""
    if person is None or not person.is_authenticated or coordination.is_assembly:
        return False
    if active_membership(person, coordination) is not None or is_delegate(person, coordination):
        return True
    return _memberships(person, member_bodies(coordination), Membership.VOTING_ROLES).exists()


def facilitated(person: Visitor, coordination: Body) -> list[Body]:
    """The coordination's member assemblies that ``person`` facilitates: those it may post for."""
    if person is None or not person.is_authenticated:
        return []
    roles = frozenset({Membership.Role.FACILITATOR})
    found = _memberships(person, member_bodies(coordination), roles).distinct()
    return [body for body in found.order_by("name") if body.is_assembly]


def facilitates(person: Visitor, body_id: int) -> bool:
    if person is None or not person.is_authenticated:
        return False
    return Membership.objects.filter(
        person=person,
        body_id=body_id,
        status=Membership.Status.ACTIVE,
        role=Membership.Role.FACILITATOR,
    ).exists()


def allocated(posting_ids: list[int]) -> dict[int, int]:
    """The quantity of each posting given to active (proposed or accepted) matches."""
    taken: dict[int, int] = defaultdict(int)
    active = Match.objects.filter(state__in=Match.ACTIVE)
    for key in ("need", "offer"):
        rows = (
            active.filter(**{f"{key}__in": posting_ids})
            .values(key)
            .annotate(total=Sum("quantity"))
            .values_list(key, "total")
        )
        for pk, total in rows:
            taken[pk] += total or 0
    return taken


@dataclass
class Row:
    """A posting as the board shows it."""

    posting: Posting
    remaining: int
    name_shown: bool


def open_postings(coordination: Body) -> QuerySet[Posting]:
    """Postings still open and not past their last day."""
    return (
        Posting.objects.filter(
            coordination=coordination, state=Posting.State.OPEN, ends_on__gte=today()
        )
        .select_related("body")
        .order_by("starts_on", "pk")
    )


def names_shown(person: Visitor, coordination: Body, body_ids: set[int]) -> set[int]:
    """Which of the assemblies ``body_ids`` the person may see named on the board: public ones,
    ones they belong to, and every one for the coordination's own facilitators, observers and
    delegates. Others read "a member assembly": a members-only assembly is not revealed by
    asking for help. One or two queries."""
    if active_membership(person, coordination) is not None or is_delegate(person, coordination):
        return set(body_ids)
    shown = set(
        Body.objects.filter(pk__in=body_ids, visibility=Body.Visibility.PUBLIC).values_list(
            "pk", flat=True
        )
    )
    if person is not None and person.is_authenticated:
        shown |= set(
            Membership.objects.filter(
                person=person, status=Membership.Status.ACTIVE, body_id__in=body_ids
            ).values_list("body_id", flat=True)
        )
    return shown


# The most needs (and offers) the board lists at once, soonest first; a kind or a place narrows.
BOARD_ROWS = 100


@dataclass
class Board:
    needs: list[Row]
    offers: list[Row]
    total_needs: int
    total_offers: int


def board(person: Visitor, coordination: Body, *, kind: str = "", place: str = "") -> Board:
    """The board's needs and offers (at most :data:`BOARD_ROWS` of each, soonest first,
    narrowed by ``kind`` and a ``place`` substring) with what remains of each, and whether
    the reader may see each one's assembly named (:func:`names_shown`). Four queries."""
    postings = open_postings(coordination)
    if kind:
        postings = postings.filter(kind=kind)
    if place:
        postings = postings.filter(place__icontains=place)
    totals = postings.aggregate(
        needs=Count("pk", filter=Q(side=Posting.Side.NEED)),
        offers=Count("pk", filter=Q(side=Posting.Side.OFFER)),
    )
    shown_rows = list(postings.filter(side=Posting.Side.NEED)[:BOARD_ROWS]) + list(
        postings.filter(side=Posting.Side.OFFER)[:BOARD_ROWS]
    )
    taken = allocated([p.pk for p in shown_rows])
    shown = names_shown(person, coordination, {p.body_id for p in shown_rows})
    result = Board([], [], totals["needs"], totals["offers"])
    for posting in shown_rows:
        row = Row(posting, posting.quantity - taken.get(posting.pk, 0), posting.body_id in shown)
        (result.needs if posting.side == Posting.Side.NEED else result.offers).append(row)
    return result


def core_posting(posting: Posting, remaining: int) -> matching.Posting:
    return matching.Posting(
        id=posting.pk,
        body=posting.body_id,
        kind=posting.kind,
        place=posting.place,
        origin=posting.origin,
        starts=posting.starts_on,
        ends=posting.ends_on,
        remaining=remaining,
    )


@dataclass
class Suggested:
    need: Posting
    offer: Posting
    quantity: int


def suggestions(coordination: Body, for_bodies: list[Body]) -> list[Suggested]:
    """Suggested matches on the board that involve one of ``for_bodies`` (the assemblies the
    reader facilitates). Pairs already proposed, accepted or declined are not suggested again."""
    if not for_bodies:
        return []
    postings = {p.pk: p for p in open_postings(coordination)}
    taken = allocated(list(postings))
    core = {pk: core_posting(p, p.quantity - taken.get(pk, 0)) for pk, p in postings.items()}
    tried = frozenset(
        Match.objects.filter(need__coordination=coordination).values_list("need_id", "offer_id")
    )
    needs = [c for pk, c in core.items() if postings[pk].side == Posting.Side.NEED]
    offers = [c for pk, c in core.items() if postings[pk].side == Posting.Side.OFFER]
    wanted = {b.pk for b in for_bodies}
    return [
        Suggested(postings[s.need], postings[s.offer], s.quantity)
        for s in matching.suggest(needs, offers, tried)
        if postings[s.need].body_id in wanted or postings[s.offer].body_id in wanted
    ]


def matches_of(coordination: Body, bodies: list[Body]) -> QuerySet[Match]:
    """The matches of the board involving one of ``bodies`` (those the reader facilitates)."""
    ids = [b.pk for b in bodies]
    return (
        Match.objects.filter(need__coordination=coordination)
        .filter(Q(need__body_id__in=ids) | Q(offer__body_id__in=ids))
        .select_related("need__body", "offer__body")
        .order_by("-pk")
    )


def sides_of(person: Visitor, match: Match) -> set[str]:
    """The sides (``need``, ``offer``) of ``match`` whose assembly ``person`` facilitates."""
    sides = set()
    if facilitates(person, match.need.body_id):
        sides.add(Posting.Side.NEED.value)
    if facilitates(person, match.offer.body_id):
        sides.add(Posting.Side.OFFER.value)
    return sides


def details_visible(match: Match) -> bool:
    """Details are exchanged once both sides accepted, until the match's last day."""
    return match.state == Match.State.ACCEPTED and match.ends_on >= today()


def trips_of(body: Body) -> QuerySet[Trip]:
    return Trip.objects.filter(body=body).select_related("coordination")


def trip_matches(trip: Trip) -> QuerySet[Match]:
    """The matches of the needs posted for ``trip`` (active ones), with both assemblies."""
    return (
        Match.objects.filter(need__trip=trip, state__in=Match.ACTIVE)
        .select_related("need__body", "offer__body")
        .prefetch_related("details")
        .order_by("need__kind", "pk")
    )
