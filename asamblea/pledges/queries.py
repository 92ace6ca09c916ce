"""Reads of pledges. Counts come from two queries (the frozen scope and the commitments grouped
by assembly) whatever the number of assemblies; the thresholds are evaluated by the pure core
:mod:`asamblea.pledges.thresholds`."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import can_view
from asamblea.coordination.queries import can_view_coordination
from asamblea.pledges.models import Commitment, Pledge, PledgeAssembly
from asamblea.pledges.thresholds import AssemblyCount, Evaluation, Thresholds, evaluate

# Pledges that triggered or lapsed stay on the home page this long.
RECENT = timedelta(days=14)


def holder(pledge_id: int, person_id: int) -> str:
    """The keyed hash that stands for a person in a pledge's commitments: without the server's
    secret key it names nobody, and it differs from pledge to pledge."""
    return salted_hmac(
        "asamblea.pledges.commitment", f"{pledge_id}:{person_id}", algorithm="sha256"
    ).hexdigest()


def thresholds_of(pledge: Pledge) -> Thresholds:
    return Thresholds(pledge.min_people, pledge.min_assemblies, pledge.min_percent)


def assembly_counts(pledge: Pledge) -> list[AssemblyCount]:
    """Every assembly of the pledge with its commitments, in two queries."""
    committed = dict(
        Commitment.objects.filter(pledge=pledge)
        .values("body_id")
        .annotate(n=Count("pk"))
        .values_list("body_id", "n")
    )
    return [
        AssemblyCount(
            key=row["body_id"],
            members=row["members"],
            committed=committed.get(row["body_id"], 0),
            whole=row["whole"],
            sectors=tuple(row["sectors"] or ()),
            region=row["region"],
        )
        for row in PledgeAssembly.objects.filter(pledge=pledge)
        .order_by("body_id")
        .values("body_id", "members", "whole", "sectors", "region")
    ]


def evaluation(pledge: Pledge) -> Evaluation:
    return evaluate(thresholds_of(pledge), assembly_counts(pledge))


def can_view_pledge(person: Visitor, pledge: Pledge) -> bool:
    """Whoever may read the body that opened it, and the members of the assemblies it concerns
    (a members-only coordination's pledge reaches the assemblies under it)."""
    body = pledge.body
    if can_view(person, body) or (not body.is_assembly and can_view_coordination(person, body)):
        return True
    if person is None or not person.is_authenticated:
        return False
    return Membership.objects.filter(
        person=person,
        status=Membership.Status.ACTIVE,
        body_id__in=PledgeAssembly.objects.filter(pledge=pledge).values("body_id"),
    ).exists()


def my_assemblies(person: Visitor, pledge: Pledge) -> list[Body]:
    """The assemblies of the pledge where ``person`` is an active voting member."""
    if person is None or not person.is_authenticated:
        return []
    return list(
        Body.objects.filter(
            memberships__person=person,
            memberships__status=Membership.Status.ACTIVE,
            memberships__role__in=Membership.VOTING_ROLES,
            pk__in=PledgeAssembly.objects.filter(pledge=pledge).values("body_id"),
        ).order_by("name", "pk")
    )


def my_commitment(person: Visitor, pledge: Pledge) -> Commitment | None:
    if person is None or not person.is_authenticated:
        return None
    return Commitment.objects.filter(pledge=pledge, holder=holder(pledge.pk, person.pk)).first()


def committed_to(person: Visitor, pledges: list[Pledge]) -> set[int]:
    """Which of ``pledges`` the person committed to, in one query."""
    if not pledges or person is None or not person.is_authenticated:
        return set()
    holders = [holder(p.pk, person.pk) for p in pledges]
    return set(
        Commitment.objects.filter(pledge__in=pledges, holder__in=holders).values_list(
            "pledge_id", flat=True
        )
    )


def _current() -> Q:
    since = timezone.now() - RECENT
    return Q(state=Pledge.State.OPEN) | Q(deadline__gte=since) | Q(triggered_at__gte=since)


def pledges_for(person: Visitor, limit: int = 10) -> list[Pledge]:
    """Open and recent pledges concerning the assemblies ``person`` belongs to (home page)."""
    if person is None or not person.is_authenticated:
        return []
    mine = Membership.objects.filter(person=person, status=Membership.Status.ACTIVE).values(
        "body_id"
    )
    ids = PledgeAssembly.objects.filter(body_id__in=mine).values("pledge_id")
    return list(
        Pledge.objects.filter(_current(), Q(pk__in=ids) | Q(body_id__in=mine))
        .select_related("body")
        .order_by("deadline", "pk")[:limit]
    )


def body_pledges(body: Body, *, insider: bool = True) -> QuerySet[Pledge]:
    """Pledges the body opened, and (for an assembly) those that concern it. For a reader who
    is not one of its members (``insider`` False), only those opened by the body itself or by a
    public body: a members-only coordination's pledge is not shown on a public assembly's page."""
    concerning = PledgeAssembly.objects.filter(body=body).values("pledge_id")
    if not insider:
        concerning = concerning.filter(pledge__body__visibility=Body.Visibility.PUBLIC)
    return (
        Pledge.objects.filter(Q(body=body) | Q(pk__in=concerning))
        .select_related("body")
        .order_by("-opened_at", "-pk")
    )


def visible_scope_names(person: Visitor, pledge: Pledge, insider: bool) -> dict[int, str]:
    """Names of the pledge's assemblies the person may see named (public ones, their own, all
    of them for a facilitator of the opening body); one query."""
    rows = Body.objects.filter(
        pk__in=PledgeAssembly.objects.filter(pledge=pledge).values("body_id")
    ).values_list("pk", "name", "visibility", "slug")
    mine: set[int] = set()
    if person is not None and person.is_authenticated and not insider:
        mine = set(
            Membership.objects.filter(
                person=person,
                status=Membership.Status.ACTIVE,
                body_id__in=PledgeAssembly.objects.filter(pledge=pledge).values("body_id"),
            ).values_list("body_id", flat=True)
        )
    return {
        pk: name
        for pk, name, visibility, _slug in rows
        if insider or visibility == Body.Visibility.PUBLIC or pk in mine
    }
