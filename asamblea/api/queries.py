"""Reads for the API: what each person may see, exactly as the pages decide it.

Visibility is never decided here anew: a body is read through ``bodies.queries.can_view`` (a
members-only body is "not found" for everyone outside it), a coordination through
``can_view_coordination``, a vote's page also by its electorate; who voted what is given for
named votes only, and lists of who took part are never given (the pages show them to members
only, and never for secret votes in the API); a consultation names members-only bodies only to
those the page names them to. Lists are read a page at a time with a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import can_view, visible_bodies
from asamblea.coordination.models import Consultation
from asamblea.coordination.queries import can_view_coordination, is_delegate, visible_names
from asamblea.elections import queries as elections
from asamblea.elections.models import Election, Elector
from asamblea.errors import Refused
from asamblea.ledger.actions import chain_head
from asamblea.motions.models import Motion
from asamblea.publishing import queries as publishing
from asamblea.publishing import sources
from asamblea.publishing.models import Publication
from asamblea.voting.models import Ballot, Eligibility, Poll

M = TypeVar("M")


def not_found() -> Refused:
    return Refused(_("There is nothing here."), code="not_found", status=404)


def page_of(rows: QuerySet[Any], page: int, per_page: int) -> tuple[list[Any], bool]:
    """One page of ``rows`` (already ordered) and whether another follows: one query."""
    start = (page - 1) * per_page
    items = list(rows[start : start + per_page + 1])
    return items[:per_page], len(items) > per_page


# --- Bodies ----------------------------------------------------------------------------------


def readable(person: Visitor, slug: str) -> Body:
    """An assembly or a coordination at ``slug`` if ``person`` may read what it publishes."""
    body = Body.objects.filter(slug=slug).first()
    if body is None or not publishing.may_read(person, body):
        raise not_found()
    return body


def body_for(person: Visitor, slug: str) -> Body:
    """The body at ``slug`` if ``person`` may read it; 404 otherwise, as the pages."""
    body = Body.objects.filter(slug=slug).first()
    if body is None or not can_view(person, body):
        raise not_found()
    return body


def coordination_for(person: Visitor, slug: str) -> Body:
    body = Body.objects.filter(slug=slug).first()
    if body is None or body.is_assembly or not can_view_coordination(person, body):
        raise not_found()
    return body


def bodies(person: Visitor) -> QuerySet[Body]:
    return visible_bodies(person).order_by("name", "pk")


def with_member_count(rows: QuerySet[Body]) -> QuerySet[Body]:
    return rows.annotate(
        member_count=Count(
            "memberships", filter=Q(memberships__status=Membership.Status.ACTIVE), distinct=True
        )
    ).prefetch_related("sectors")


def body_with_count(body: Body) -> Body:
    return with_member_count(Body.objects.filter(pk=body.pk)).get()


def body_out(body: Body) -> dict[str, Any]:
    return {
        "slug": body.slug,
        "name": body.name,
        "kind": body.kind,
        "kind_label": str(body.get_kind_display()),
        "is_assembly": body.is_assembly,
        "visibility": body.visibility,
        "region": body.region,
        "sectors": [sector.slug for sector in body.sectors.all()],
        "description": body.description,
        "member_count": getattr(body, "member_count", 0),
        "created_at": body.created_at,
        "statute": {
            "quorum_percent": body.quorum_percent,
            "majority": body.majority,
            "supporters_required": body.supporters_required,
        },
        "url": reverse("bodies:detail", args=[body.slug]),
    }


def ledger_head(body: Body) -> dict[str, Any]:
    head = chain_head(body.ledger_chain)
    return {"body": body.slug, "chain": head.chain, "length": head.length, "head": head.hash}


def resolutions(
    body: Body, kind: str, since: date | None, until: date | None
) -> QuerySet[Publication]:
    """The body's decisions, newest first, as its resolutions page reads them."""
    return publishing.resolutions(body, kind=kind, since=since, until=until)


def resolution_out(pub: Publication, slug: str) -> dict[str, Any]:
    return {
        "kind": pub.kind,
        "kind_label": str(sources.BY_KIND[pub.kind].label),
        "title": pub.title,
        "outcome": pub.outcome,
        "at": pub.at,
        "data": pub.data or {},
        "url": sources.link(pub, slug),
        "ledger_entry": reverse(
            "publishing:ledger_entry", kwargs={"slug": slug, "seq": pub.ledger_seq}
        ),
        "ledger_seq": pub.ledger_seq,
        "ledger_hash": pub.ledger_hash,
    }


# --- Motions ---------------------------------------------------------------------------------


def motions(body: Body, state: str | None) -> QuerySet[Motion]:
    rows = Motion.objects.filter(body=body).select_related("author", "parent")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-number")


def motion_for(body: Body, number: int) -> Motion:
    motion = Motion.objects.select_related("author", "parent").filter(body=body, number=number)
    found = motion.first()
    if found is None:
        raise not_found()
    return found


def motion_out(motion: Motion, slug: str) -> dict[str, Any]:
    return {
        "body": slug,
        "number": motion.number,
        "title": motion.title,
        "state": motion.state,
        "state_label": str(motion.get_state_display()),
        "author": motion.author.display_name if motion.author else None,
        "version": motion.version,
        "amends": motion.parent.number if motion.parent else None,
        "created_at": motion.created_at,
        "updated_at": motion.updated_at,
        "url": reverse("motions:detail", args=[slug, motion.number]),
    }


def motion_detail(motion: Motion, slug: str) -> dict[str, Any]:
    history = [
        {"from_state": c.from_state, "to_state": c.to_state, "at": c.at, "reason": c.reason}
        for c in motion.state_changes.all()
    ]
    return motion_out(motion, slug) | {
        "text": motion.text,
        "reasons": motion.reasons,
        "supporters": motion.supports.count(),
        "history": history,
        "polls": list(motion.polls.order_by("pk").values_list("pk", flat=True)),
    }


def authored_motions(person: Visitor) -> QuerySet[Motion]:
    """The person's motions in the bodies they may still read."""
    readable = Q(body__visibility=Body.Visibility.PUBLIC) | Q(
        body__memberships__person=person, body__memberships__status=Membership.Status.ACTIVE
    )
    return (
        Motion.objects.filter(readable, author=person)
        .select_related("author", "parent", "body")
        .distinct()
        .order_by("-created_at", "-pk")
    )


# --- Votes -----------------------------------------------------------------------------------


def polls(body: Body) -> QuerySet[Poll]:
    return Poll.objects.filter(body=body).select_related("motion").order_by("-opened_at", "-pk")


def poll_for(person: Visitor, slug: str, pk: int) -> Poll:
    """The poll if the person may read its body, or is in its electorate (as its page)."""
    poll = Poll.objects.select_related("body", "motion").filter(body__slug=slug, pk=pk).first()
    if poll is None:
        raise not_found()
    if not can_view(person, poll.body) and not (
        person is not None and Eligibility.objects.filter(poll=poll, person=person).exists()
    ):
        raise not_found()
    return poll


def poll_out(poll: Poll, slug: str) -> dict[str, Any]:
    return {
        "body": slug,
        "id": poll.pk,
        "title": poll.title,
        "motion": poll.motion.number if poll.motion else None,
        "secrecy": poll.secrecy,
        "state": poll.state,
        "quorum_percent": poll.quorum_percent,
        "majority": poll.majority,
        "opened_at": poll.opened_at,
        "closes_at": poll.closes_at,
        "closed_at": poll.closed_at,
        "in_meeting": poll.meeting_id is not None,
        "url": reverse("voting:detail", args=[slug, poll.pk]),
    }


RESULT_FIELDS = ("yes", "no", "abstain", "cast", "electorate", "quorum", "majority", "turnout")


def poll_result(poll: Poll) -> dict[str, Any] | None:
    """The published count; never who recorded a hand count or who took part."""
    if poll.is_open or not poll.result:
        return None
    result = poll.result
    return {key: str(result.get(key, "0")) for key in RESULT_FIELDS} | {
        "participants": int(result.get("participants", 0)),
        "quorum_met": bool(result.get("quorum_met")),
        "majority_met": bool(result.get("majority_met")),
        "adopted": bool(result.get("adopted")),
        "valid": bool(result.get("valid", True)),
    }


def poll_detail(poll: Poll) -> dict[str, Any]:
    from asamblea.voting.queries import participation_counts

    named = None
    if not poll.is_open and not poll.is_secret:
        named = [
            {"voter": ballot.voter.display_name if ballot.voter else "", "choice": ballot.choice}
            for ballot in Ballot.objects.filter(poll=poll)
            .select_related("voter")
            .order_by("voter__display_name", "pk")
        ]
    return poll_out(poll, poll.body.slug) | {
        "turnout": participation_counts(poll),
        "result": poll_result(poll),
        "named_votes": named,
    }


def elections_of(body: Body) -> QuerySet[Election]:
    return Election.objects.filter(body=body).order_by("-created_at", "-pk")


def election_for(person: Visitor, slug: str, pk: int) -> Election:
    election = Election.objects.select_related("body").filter(body__slug=slug, pk=pk).first()
    if election is None or not can_view(person, election.body):
        raise not_found()
    return election


def election_out(election: Election, slug: str) -> dict[str, Any]:
    return {
        "body": slug,
        "id": election.pk,
        "title": election.title,
        "method": election.method,
        "seats": election.seats,
        "secrecy": election.secrecy,
        "phase": election.phase,
        "created_at": election.created_at,
        "voting_opened_at": election.voting_opened_at,
        "closed_at": election.closed_at,
        "url": reverse("elections:detail", args=[slug, election.pk]),
    }


def election_detail(election: Election) -> dict[str, Any]:
    candidates = [
        {"name": c.name, "status": c.status, "position": c.position}
        for c in election.candidates.order_by("position", "name", "pk")
    ]
    return election_out(election, election.body.slug) | {
        "candidates": candidates,
        "turnout": elections.participation(election),
        "winners": [winner.name for winner in elections.winners(election)],
        "result": election.result if election.is_closed else None,
    }


def my_votes(person: Visitor, page: int, per_page: int) -> tuple[list[dict[str, Any]], bool]:
    """One page of the polls and elections the person is in the electorate of, newest first,
    and whether they have voted (never what: a secret ballot is not linked to its voter).

    Two queries: the newest ``page * per_page + 1`` of each kind hold the newest of both
    together, which are merged and cut here."""
    wanted = page * per_page + 1
    polls_in = (
        Eligibility.objects.filter(person=person)
        .select_related("poll__body")
        .order_by("-poll__opened_at", "-poll__pk")[:wanted]
    )
    rows: list[tuple[Any, dict[str, Any]]] = [
        (
            e.poll.opened_at,
            {
                "kind": "poll",
                "body": e.poll.body.slug,
                "id": e.poll_id,
                "title": e.poll.title,
                "open": e.poll.is_open,
                "voted": e.voted,
                "url": reverse("voting:detail", args=[e.poll.body.slug, e.poll_id]),
            },
        )
        for e in polls_in
    ]
    electors = (
        Elector.objects.filter(person=person)
        .select_related("election__body")
        .order_by("-election__created_at", "-election__pk")[:wanted]
    )
    rows += [
        (
            e.election.created_at,
            {
                "kind": "election",
                "body": e.election.body.slug,
                "id": e.election_id,
                "title": e.election.title,
                "open": e.election.is_voting,
                "voted": e.voted,
                "url": reverse("elections:detail", args=[e.election.body.slug, e.election_id]),
            },
        )
        for e in electors
    ]
    rows.sort(key=lambda row: row[0], reverse=True)
    start = (page - 1) * per_page
    return [row for _at, row in rows[start : start + per_page]], len(rows) > start + per_page


def memberships(person: Visitor) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(person=person, status=Membership.Status.ACTIVE)
        .select_related("body")
        .prefetch_related("body__sectors")
        .order_by("body__name", "pk")
    )


# --- Consultations ---------------------------------------------------------------------------


def consultations(coordination: Body) -> QuerySet[Consultation]:
    return (
        Consultation.objects.filter(coordination=coordination)
        .select_related("motion")
        .order_by("-opened_at", "-pk")
    )


def consultation_for(person: Visitor, slug: str, pk: int) -> Consultation:
    coordination = coordination_for(person, slug)
    found = (
        Consultation.objects.select_related("coordination", "motion")
        .filter(coordination=coordination, pk=pk)
        .first()
    )
    if found is None:
        raise not_found()
    return found


def consultation_out(consultation: Consultation, slug: str) -> dict[str, Any]:
    return {
        "coordination": slug,
        "id": consultation.pk,
        "title": consultation.title,
        "motion": consultation.motion.number,
        "rule": consultation.rule,
        "state": consultation.state,
        "quorum_percent": consultation.quorum_percent,
        "majority": consultation.majority,
        "opened_at": consultation.opened_at,
        "deadline": consultation.deadline,
        "closed_at": consultation.closed_at,
        "url": reverse("coordination:consultation", args=[slug, consultation.pk]),
    }


GROUP_FIELDS = ("yes", "no", "abstain", "turnout")
GROUP_COUNTS = ("bodies", "decided", "electorate_people", "participants")


def consultation_detail(person: Visitor, consultation: Consultation) -> dict[str, Any]:
    """The consultation and, once counted, its result; a members-only body is named only to
    those its page names it to (its members, or the coordination's facilitators, observers
    and delegates)."""
    from asamblea.bodies.models import Sector
    from asamblea.bodies.queries import active_membership
    from asamblea.coordination.models import ConsultedBody

    coordination = consultation.coordination
    out = consultation_out(consultation, coordination.slug)
    empty: dict[str, Any] = {
        "total": None,
        "by_body": [],
        "by_member": [],
        "by_sector": [],
        "by_region": [],
    }
    result = consultation.result
    if not result:
        return out | empty
    rows = list(ConsultedBody.objects.filter(consultation=consultation).select_related("body"))
    table = {row.body_id: row.body for row in rows}
    members = {b.pk: b for b in Body.objects.filter(pk__in={row.member_of_id for row in rows})}
    insider = active_membership(person, coordination) is not None or is_delegate(
        person, coordination
    )
    named = visible_names(person, list(table.values()) + list(members.values()), insider)
    sectors = {s.slug: s.label for s in Sector.objects.filter(slug__in=_keys(result, "by_sector"))}

    def group(g: dict[str, Any], bodies_by_id: dict[int, Body] | None) -> dict[str, Any]:
        label, slug = str(g["key"]), None
        if bodies_by_id is not None:
            body = bodies_by_id.get(int(g["key"])) if str(g["key"]).isdigit() else None
            if body is not None and named.get(body.pk):
                label, slug = body.name, body.slug
            else:
                label = _("A members-only body")
        elif label in sectors:
            label = sectors[label]
        return (
            {"key": str(g["key"]), "label": label, "body": slug}
            | {key: int(g.get(key, 0)) for key in GROUP_COUNTS}
            | {key: str(g.get(key, "0")) for key in GROUP_FIELDS}
            | {key: bool(g.get(key)) for key in ("quorum_met", "majority_met", "adopted")}
        )

    return out | {
        "total": group(result["total"] | {"key": "total"}, None),
        "by_body": [group(g, table) for g in result.get("by_body", [])],
        "by_member": [group(g, members) for g in result.get("by_member", [])],
        "by_sector": [group(g, None) for g in result.get("by_sector", [])],
        "by_region": [group(g, None) for g in result.get("by_region", [])],
    }


def _keys(result: dict[str, Any], part: str) -> Sequence[str]:
    return [str(g["key"]) for g in result.get(part, [])]
