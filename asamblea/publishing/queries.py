"""Reads of what bodies publish: who may read it, a page of resolutions, a feed's entries."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body
from asamblea.bodies.queries import can_view
from asamblea.coordination.queries import can_view_coordination
from asamblea.publishing.models import Publication
from asamblea.publishing.sources import DECISION_KINDS

PAGE_SIZE = 25
FEED_SIZE = 50


def may_read(person: Visitor, body: Body) -> bool:
    """Who may read a body's pages may read what it publishes, and nobody else: an assembly's
    members (everyone when public); a coordination's members and its member bodies' delegates
    (everyone when public)."""
    if body.is_assembly:
        return can_view(person, body)
    return can_view_coordination(person, body)


def readable_body(person: Visitor, slug: str, *, coordination: bool | None = None) -> Body:
    """The body at ``slug`` if ``person`` may read it, else 404 (a members-only body is not
    revealed). ``coordination`` True or False also answers 404 for the other kind of body."""
    body = get_object_or_404(Body, slug=slug)
    if coordination is not None and body.is_assembly == coordination:
        raise Http404
    if not may_read(person, body):
        raise Http404
    return body


def resolutions(
    body: Body,
    *,
    kind: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Publication]:
    """The body's decisions, newest first (an index scan on ``(body, kind, at)``)."""
    rows = Publication.objects.filter(body=body)
    rows = rows.filter(kind=kind) if kind else rows.filter(kind__in=DECISION_KINDS)
    zone = timezone.get_current_timezone()
    if since is not None:
        rows = rows.filter(at__gte=datetime.combine(since, time.min, zone))
    if until is not None:
        rows = rows.filter(at__lt=datetime.combine(until + timedelta(days=1), time.min, zone))
    return rows.order_by("-at", "-pk")


def resolutions_page(rows: QuerySet[Publication], number: Any) -> Page:
    """One page: two queries (the count and the rows), however many decisions there are."""
    return Paginator(rows, PAGE_SIZE).get_page(number)


def feed_entries(body: Body) -> list[Publication]:
    """The newest publications of every kind (decisions, statements, minutes), with the pledges
    of other bodies that concern this one (a coordination's pledge triggered or lapsed is news in
    every assembly it concerns, issue 18). A public body's feed, read by anyone, carries only the
    pledges of public bodies: a members-only coordination's pledge stays out of it."""
    from asamblea.pledges.models import PledgeAssembly

    concerning = Publication.objects.filter(
        kind="pledge",
        object_id__in=PledgeAssembly.objects.filter(body=body).values("pledge_id"),
    ).exclude(body=body)
    if body.is_public:
        concerning = concerning.filter(body__visibility=Body.Visibility.PUBLIC)
    rows = Publication.objects.filter(Q(body=body) | Q(pk__in=concerning.values("pk")))
    return list(rows.select_related("body").order_by("-at", "-pk")[:FEED_SIZE])


def public_feed_entries() -> list[Publication]:
    """The newest publications of public bodies only, for the site-wide feed."""
    return list(
        Publication.objects.filter(body__visibility=Body.Visibility.PUBLIC)
        .select_related("body")
        .order_by("-at", "-pk")[:FEED_SIZE]
    )


def public_bodies() -> QuerySet[Body]:
    return Body.objects.filter(visibility=Body.Visibility.PUBLIC).order_by("name")


def _count(value: Any) -> str:
    return "-" if value is None else str(value)


def _pledge_summary(outcome: str, data: dict[str, Any]) -> str:
    values = {key: _count(data.get(key)) for key in ("people", "assemblies", "share")}
    if outcome == "lapsed":
        text = (
            _(
                "Lapsed at its deadline, nobody bound: %(people)s people in %(assemblies)s "
                "assemblies had committed."
            )
            % values
        )
    else:
        text = _("Triggered: %(people)s people in %(assemblies)s assemblies committed.") % values
    if data.get("share") is not None:
        text += " " + _("%(share)s%% of the commitments were kept.") % values
    return text


def summary(pub: Publication) -> str:
    """The record in one sentence, in the reader's language: its outcome and its counts (a
    secret ballot's counts are public; who voted what never is, and is not stored here)."""
    data = pub.data or {}
    if pub.kind == "election":
        winners = ", ".join(data.get("winners", []))
        return _("Elected: %(names)s.") % {"names": winners} if winners else _("Counted.")
    if pub.kind == "statement":
        return _("Statement published.")
    if pub.kind == "minutes":
        return _("Minutes published.")
    if pub.kind == "document":
        return _("Text adopted (version %(version)s); its fingerprint: %(hash)s.") % {
            "version": _count(data.get("version")),
            "hash": data.get("hash", ""),
        }
    if pub.kind == "pledge":
        return _pledge_summary(pub.outcome, data)
    outcome = {
        "adopted": _("Adopted"),
        "rejected": _("Not adopted"),
        "void": _("Closed without a valid count"),
    }.get(pub.outcome, "")
    counts = _("yes %(yes)s, no %(no)s, abstain %(abstain)s") % {
        "yes": _count(data.get("yes")),
        "no": _count(data.get("no")),
        "abstain": _count(data.get("abstain")),
    }
    return f"{outcome}: {counts}." if outcome else f"{counts}."
