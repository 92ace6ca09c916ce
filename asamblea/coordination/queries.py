"""Reads about coordinations: the body graph, delegates, and who may do what.

Pages of a coordination with hundreds of member bodies use these: every function here answers
with a fixed number of queries, never one per member body.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import active_membership, can_view
from asamblea.coordination.aggregate import base_assemblies
from asamblea.coordination.models import Affiliation, Delegation, Statute
from asamblea.errors import NotAllowed, Refused


def statute_of(body: Body) -> Statute:
    """The coordination's statute; the defaults (unsaved) when none was written yet."""
    statute = Statute.objects.filter(body=body).first()
    return statute if statute is not None else Statute(body=body)


def require_coordination(body: Body) -> None:
    if body.is_assembly:
        raise Refused(_("This is an assembly, not a coordinating body."), code="not_coordination")


def active_affiliations(coordination: Body) -> QuerySet[Affiliation]:
    return Affiliation.objects.filter(coordination=coordination, left_at__isnull=True)


def member_bodies(coordination: Body) -> QuerySet[Body]:
    return Body.objects.filter(
        affiliations__coordination=coordination, affiliations__left_at__isnull=True
    )


def is_member_body(body: Body, coordination: Body) -> bool:
    return Affiliation.objects.filter(
        member=body, coordination=coordination, left_at__isnull=True
    ).exists()


def coordinations_of(body: Body) -> QuerySet[Body]:
    return Body.objects.filter(members__member=body, members__left_at__isnull=True)


def active_delegations(**filters: Any) -> QuerySet[Delegation]:
    return Delegation.objects.filter(
        recalled_at__isnull=True, term_ends__gt=timezone.now(), **filters
    )


def is_delegate(person: Any, coordination: Body) -> bool:
    if person is None or not person.is_authenticated:
        return False
    return active_delegations(person=person, coordination=coordination).exists()


def can_view_coordination(person: Any, coordination: Body) -> bool:
    """Public coordinations are readable by anyone; members-only ones by their facilitators and
    observers (a Membership) and by the delegates of their member bodies."""
    return can_view(person, coordination) or is_delegate(person, coordination)


def require_facilitator_of_coordination(person: Any, coordination: Body) -> None:
    """Only the coordination's own facilitators: facilitating a member assembly gives no power
    in the coordination."""
    membership = active_membership(person, coordination)
    if membership is None or not membership.is_facilitator:
        raise NotAllowed(_("Only a facilitator of this coordination can do this."))


def graph() -> tuple[dict[int, list[int]], dict[int, list[int]], dict[int, bool]]:
    """The whole body graph in two queries: (parents, members, is_assembly)."""
    parents: dict[int, list[int]] = defaultdict(list)
    members: dict[int, list[int]] = defaultdict(list)
    rows = Affiliation.objects.filter(left_at__isnull=True).values_list("member", "coordination")
    for member, coordination in rows:
        parents[member].append(coordination)
        members[coordination].append(member)
    kinds = Body.objects.values_list("pk", "kind")
    is_assembly = {pk: kind in Body.ASSEMBLY_KINDS for pk, kind in kinds}
    return parents, members, is_assembly


def base_of(coordination: Body) -> dict[int, int]:
    """Every base assembly under ``coordination`` -> its direct member body (see
    :func:`asamblea.coordination.aggregate.base_assemblies`)."""
    _parents, members, is_assembly = graph()
    return base_assemblies(members, coordination.pk, is_assembly)


def voting_member_counts(body_ids: list[int]) -> dict[int, int]:
    """Verified active membership (active members and facilitators) of each body, one query."""
    counts = dict.fromkeys(body_ids, 0)
    rows = (
        Membership.objects.filter(
            body_id__in=body_ids,
            status=Membership.Status.ACTIVE,
            role__in=Membership.VOTING_ROLES,
        )
        .values("body_id")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["body_id"]] = row["n"]
    return counts


def verified_membership(body_ids: list[int]) -> dict[int, int]:
    """Each body's verified active membership: its voting members for an assembly, the sum over
    its distinct base assemblies for a coordinating body."""
    _parents, members, is_assembly = graph()
    bases = {
        pk: list(base_assemblies(members, pk, is_assembly))
        for pk in body_ids
        if not is_assembly.get(pk, False)
    }
    needed = set(body_ids) | {a for found in bases.values() for a in found}
    counts = voting_member_counts(sorted(needed))
    return {
        pk: sum(counts.get(a, 0) for a in bases[pk]) if pk in bases else counts.get(pk, 0)
        for pk in body_ids
    }


def visible_names(person: Any, bodies: list[Body], insider: bool) -> dict[int, bool]:
    """Which of ``bodies`` the person may see named: public ones, ones they belong to, or every
    one when ``insider`` (a facilitator or delegate of the coordination). One query at most."""
    mine: set[int] = set()
    if person is not None and person.is_authenticated and not insider:
        mine = set(
            Membership.objects.filter(
                person=person, status=Membership.Status.ACTIVE, body__in=bodies
            ).values_list("body_id", flat=True)
        )
    return {b.pk: insider or b.is_public or b.pk in mine for b in bodies}


def member_rows(coordination: Body) -> QuerySet[Affiliation]:
    """The coordination's member bodies with their sectors and delegates, in three queries."""
    return (
        active_affiliations(coordination)
        .select_related("member")
        .prefetch_related("member__sectors")
        .annotate(
            delegates=Count(
                "member__delegations",
                filter=Q(
                    member__delegations__coordination=coordination,
                    member__delegations__recalled_at__isnull=True,
                    member__delegations__term_ends__gt=timezone.now(),
                ),
            )
        )
        .order_by("member__name")
    )


def find_coordinations(person: Any, text: str, *, limit: int = 20) -> QuerySet[Body]:
    """Coordinating bodies ``person`` may see whose name, region or address name holds
    ``text`` (all of them when empty), with their number of member bodies. Members-only ones
    appear only to their facilitators, observers and delegates."""
    seen = Q(visibility=Body.Visibility.PUBLIC)
    if person is not None and person.is_authenticated:
        seen |= Q(memberships__person=person, memberships__status=Membership.Status.ACTIVE)
        seen |= Q(pk__in=active_delegations(person=person).values("coordination_id"))
    found = Body.objects.exclude(kind__in=Body.ASSEMBLY_KINDS).filter(seen)
    if text:
        found = found.filter(
            Q(name__icontains=text) | Q(region__icontains=text) | Q(slug__icontains=text)
        )
    return (
        found.distinct()
        .annotate(
            member_count=Count("members", filter=Q(members__left_at__isnull=True), distinct=True)
        )
        .order_by("name")[:limit]
    )
