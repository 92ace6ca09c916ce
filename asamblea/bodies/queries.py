"""Reads about bodies and who may do what in them."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body, Membership
from asamblea.errors import NotAllowed


def membership_of(person: Visitor, body: Body) -> Membership | None:
    """The person's membership in ``body`` (any status), or None. Cached on the person object."""
    if person is None or not person.is_authenticated:
        return None
    cache: dict[int, Membership | None] = person.__dict__.setdefault("_membership_cache", {})
    if body.pk not in cache:
        cache[body.pk] = Membership.objects.filter(person=person, body=body).first()
    return cache[body.pk]


def active_membership(person: Visitor, body: Body) -> Membership | None:
    membership = membership_of(person, body)
    return membership if membership is not None and membership.is_active else None


def can_view(person: Visitor, body: Body) -> bool:
    """Public bodies are readable by anyone; members-only bodies by their active members."""
    return body.is_public or active_membership(person, body) is not None


def sees_participation(person: Visitor, body: Body) -> bool:
    """Whether ``person`` may see lists of people who took part in a vote or attended a meeting
    (and their speaking times): the body's members, and everyone when its statute says so.
    Others see the counts only, as a public body's members page is for its members too."""
    return body.participation_public or active_membership(person, body) is not None


def is_facilitator(person: Visitor, body: Body) -> bool:
    membership = active_membership(person, body)
    return membership is not None and membership.is_facilitator


def can_vote(person: Visitor, body: Body) -> bool:
    membership = active_membership(person, body)
    return membership is not None and membership.can_vote


def require_view(person: Visitor, body: Body) -> None:
    if not can_view(person, body):
        raise NotAllowed(_("This assembly is open to its members only."))


def require_member(person: Visitor, body: Body) -> Membership:
    """An active member or facilitator (not an observer) of ``body``."""
    membership = active_membership(person, body)
    if membership is None or not membership.can_vote:
        raise NotAllowed(_("Only members of this assembly can do this."))
    return membership


def require_facilitator(person: Visitor, body: Body) -> Membership:
    membership = active_membership(person, body)
    if membership is None or not membership.is_facilitator:
        raise NotAllowed(_("Only a facilitator of this assembly can do this."))
    return membership


def voting_members(body: Body) -> QuerySet[Membership]:
    return Membership.objects.filter(
        body=body, status=Membership.Status.ACTIVE, role__in=Membership.VOTING_ROLES
    )


def visible_bodies(person: Visitor) -> QuerySet[Body]:
    """Bodies a person may see: the public ones and those they belong to."""
    condition = Q(visibility=Body.Visibility.PUBLIC)
    if person is not None and person.is_authenticated:
        condition |= Q(memberships__person=person, memberships__status=Membership.Status.ACTIVE)
    return (
        Body.objects.filter(condition)
        .distinct()
        .annotate(
            member_count=Count(
                "memberships",
                filter=Q(memberships__status=Membership.Status.ACTIVE),
                distinct=True,
            )
        )
        .prefetch_related("sectors")
    )


def viewable_body(request: HttpRequest, slug: str) -> Body:
    """The body at ``slug`` if the person may read it; otherwise 404, so a members-only body's
    existence is not revealed to outsiders."""
    body = get_object_or_404(Body, slug=slug)
    if not can_view(request.user, body):
        raise Http404
    return body
