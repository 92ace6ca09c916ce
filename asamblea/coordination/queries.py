"""Reads about coordinations: the body graph, delegates, and who may do what.

Pages of a coordination with hundreds of member bodies use these: every function here answers
with a fixed number of queries, never one per member body.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import (
    active_membership,
    can_view,
    voting_members,
)
from asamblea.coordination import aggregate as agg
from asamblea.coordination.aggregate import base_assemblies
from asamblea.coordination.models import (
    Affiliation,
    AffiliationRequest,
    Consultation,
    ConsultedBody,
    CoordinationVote,
    DelegateElection,
    Delegation,
    Forward,
    ForwardVote,
    Mandate,
    Recall,
    Seat,
    Solidarity,
    Statute,
)
from asamblea.errors import NotAllowed, Refused
from asamblea.motions.models import Motion
from asamblea.voting.models import Eligibility, Poll


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


def is_delegate(person: Visitor, coordination: Body) -> bool:
    if person is None or not person.is_authenticated:
        return False
    return active_delegations(person=person, coordination=coordination).exists()


def can_view_coordination(person: Visitor, coordination: Body) -> bool:
    """Public coordinations are readable by anyone; members-only ones by their facilitators and
    observers (a Membership) and by the delegates of their member bodies."""
    return can_view(person, coordination) or is_delegate(person, coordination)


def require_facilitator_of_coordination(person: Visitor, coordination: Body) -> None:
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


def visible_names(person: Visitor, bodies: list[Body], insider: bool) -> dict[int, bool]:
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


def find_coordinations(person: Visitor, text: str, *, limit: int = 20) -> QuerySet[Body]:
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


def election_candidates(body: Body) -> set[int]:
    """Who may stand: an assembly's voting members; for a coordinating body, the persons who
    facilitate it and the delegates of its member bodies."""
    members = set(voting_members(body).values_list("person_id", flat=True))
    if not body.is_assembly:
        members |= set(active_delegations(coordination=body).values_list("person_id", flat=True))
    return members


def seat_votes(vote: CoordinationVote) -> list[agg.SeatVote]:
    return [
        agg.SeatVote(
            body=seat.body_id,
            share=seat.share,
            choice=seat.choice or None,
            split=seat.split,
            cap=seat.cap,
            recalled=seat.delegation_id is None,
        )
        for seat in Seat.objects.filter(vote=vote).order_by("pk")
    ]


def consultation_rows(consultation: Consultation) -> list[agg.BodyResult]:
    """The consultation's assemblies as pure results, in one query."""
    return [
        agg.BodyResult(
            body=row["body_id"],
            electorate=row["electorate"],
            weight=row["weight"],
            member_of=row["member_of_id"],
            sectors=tuple(row["sectors"]),
            region=row["region"],
            decided=row["decided"],
            yes=row["yes"],
            no=row["no"],
            abstain=row["abstain"],
            participants=row["participants"],
            extra_weight=row["extra_weight"],
        )
        for row in ConsultedBody.objects.filter(consultation=consultation)
        .order_by("body_id")
        .values(
            "body_id",
            "electorate",
            "weight",
            "member_of_id",
            "sectors",
            "region",
            "decided",
            "yes",
            "no",
            "abstain",
            "participants",
            "extra_weight",
        )
    ]


def consultation_aggregate(consultation: Consultation) -> agg.Aggregate:
    return agg.aggregate(
        consultation_rows(consultation),
        agg.Rule(consultation.rule),
        Fraction(consultation.quorum_percent, 100),
        agg.Majority(consultation.majority),
    )


def progress_counts(consultation: Consultation) -> list[tuple[list[str], str, int, bool, int]]:
    """(sectors, region, electorate, decided, took part so far) of each assembly, in two
    queries: online votes still open report their turnout, never their partial choices."""
    rows = list(
        ConsultedBody.objects.filter(consultation=consultation).values(
            "sectors", "region", "electorate", "decided", "participants", "poll_id"
        )
    )
    open_polls = [r["poll_id"] for r in rows if r["poll_id"] and not r["decided"]]
    turnout: dict[int, int] = {}
    if open_polls:
        for row in (
            Eligibility.objects.filter(poll_id__in=open_polls, voted=True)
            .values("poll_id")
            .annotate(n=Count("pk"))
        ):
            turnout[row["poll_id"]] = row["n"]
    return [
        (
            r["sectors"],
            r["region"],
            r["electorate"],
            r["decided"],
            r["participants"] if r["decided"] else turnout.get(r["poll_id"] or 0, 0),
        )
        for r in rows
    ]


def sister_bodies(body: Body) -> set[int]:
    """Bodies sharing at least one coordination with ``body`` (two queries)."""
    coordinations = Affiliation.objects.filter(member=body, left_at__isnull=True).values(
        "coordination_id"
    )
    return set(
        Affiliation.objects.filter(coordination_id__in=coordinations, left_at__isnull=True)
        .exclude(member=body)
        .values_list("member_id", flat=True)
    )


def coordination_agenda(coordination: Body, insider: bool) -> list[Motion]:
    """The coordination's last 50 motions (not withdrawn), each with ``came_from`` (the forward
    that put it there, if any) and ``origin_named`` (whether the reader may see who sent it)."""
    agenda = list(
        Motion.objects.filter(body=coordination)
        .exclude(state="withdrawn")
        .select_related("forwarded_from__origin__body")
        .order_by("-number")[:50]
    )
    for motion in agenda:
        came = getattr(motion, "forwarded_from", None)
        motion.came_from = came  # type: ignore[attr-defined]
        motion.origin_named = came is not None and (  # type: ignore[attr-defined]
            insider or came.origin.body.is_public
        )
    return agenda


def pending_forwards(coordination: Body, insider: bool) -> list[Forward]:
    """Motions forwarded to the coordination and still gathering backing, each with
    ``origin_named`` (whether the reader may see who sent it)."""
    forwards = list(
        Forward.objects.filter(coordination=coordination, agenda_motion__isnull=True)
        .select_related("origin__body")
        .prefetch_related("backings")[:50]
    )
    for forward in forwards:
        forward.origin_named = insider or forward.origin.body.is_public  # type: ignore[attr-defined]
    return forwards


def bodies_acting_for(person: Visitor, coordination: Body, *, by_vote: bool) -> list[Body]:
    """The member bodies of ``coordination`` for which ``person`` may back a forwarded motion.

    Who may act for a member body follows the statute: its voting members put a backing to
    their body's vote (``by_vote``); otherwise its facilitators back at once."""
    if not person.is_authenticated:
        return []
    roles = Membership.VOTING_ROLES if by_vote else {Membership.Role.FACILITATOR}
    return list(
        Body.objects.filter(
            memberships__person=person,
            memberships__role__in=roles,
            memberships__status=Membership.Status.ACTIVE,
            affiliations__coordination=coordination,
            affiliations__left_at__isnull=True,
        ).distinct()
    )


def body_overview(body: Body) -> dict[str, Any]:
    """What a body's coordination page shows: its coordinations, its delegates (with an open
    recall), delegate elections, the coordinations' agenda with its mandates, its delegates'
    votes (report-back), consultations, requests, the solidarity inbox, what it sent up, its
    members' open votes on forwarding, and the forwarded motions waiting for its backing."""
    coordinations = list(coordinations_of(body))
    delegates = list(active_delegations(body=body).select_related("person", "coordination"))
    open_recalls = {
        r.delegation_id: r.poll
        for r in Recall.objects.filter(
            delegation__in=delegates, poll__state=Poll.State.OPEN
        ).select_related("poll")
    }
    agenda = list(
        Motion.objects.filter(
            body__in=coordinations, state__in=[Motion.State.SUPPORTED, Motion.State.VOTING]
        ).select_related("body")
    )
    mandates = {
        m.motion_id: m
        for m in Mandate.objects.filter(body=body, motion__in=agenda).select_related("poll")
    }
    report = list(
        Seat.objects.filter(body=body, vote__state=CoordinationVote.State.CLOSED)
        .select_related("vote__coordination", "vote__motion", "delegation__person")
        .order_by("-vote__closed_at")[:50]
    )
    consulted = list(
        ConsultedBody.objects.filter(body=body)
        .select_related("consultation__coordination")
        .order_by("-consultation__opened_at")[:30]
    )
    sent_up = list(
        Forward.objects.filter(origin__body=body)
        .select_related("coordination", "origin", "agenda_motion")
        .order_by("-created_at")[:30]
    )
    forward_votes = list(
        ForwardVote.objects.filter(body=body, poll__state="open").select_related(
            "coordination", "origin__body", "poll"
        )
    )
    waiting = list(
        Forward.objects.filter(coordination__in=coordinations, agenda_motion__isnull=True)
        .exclude(backings__body=body)
        .select_related("coordination", "origin__body")[:30]
    )
    return {
        "coordinations": coordinations,
        "delegates": [(d, open_recalls.get(d.pk)) for d in delegates],
        "elections": DelegateElection.objects.filter(body=body, state="open")
        .select_related("coordination")
        .prefetch_related("candidacies__person", "candidacies__poll", "candidacies__vote"),
        "agenda": [(motion, mandates.get(motion.pk)) for motion in agenda],
        "report": report,
        "consulted": consulted,
        "requests": AffiliationRequest.objects.filter(body=body).select_related(
            "coordination", "motion"
        )[:20],
        "inbox": Solidarity.objects.filter(
            to_body=body, state=Solidarity.State.SENT
        ).select_related("origin__body")[:30],
        "sent_up": sent_up,
        "forward_votes": forward_votes,
        "waiting": waiting,
    }


def choice_label(choice: str) -> str:
    """``yes``, ``no`` or ``abstain`` in the reader's language."""
    return str({"yes": _("Yes"), "no": _("No"), "abstain": _("Abstain")}.get(choice, choice))


def share_text(value: Fraction) -> str:
    """A seat's share of the vote as the page prints it: whole, or to two decimals."""
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}"


def seat_rows(
    vote: CoordinationVote, seats: list[Seat], named: dict[int, bool]
) -> list[dict[str, Any]]:
    """One row per seat of ``vote`` for its page: the body (``named`` says whether the reader
    may see its name), the mandate shown, the choice, and whether it diverges from the mandate.
    """
    # A seat records its mandate when it votes; until then the page shows the body's current
    # mandate, so a delegate sees it on the ballot before voting.
    current = {
        m.body_id: m
        for m in Mandate.objects.filter(
            motion_id=vote.motion_id, body_id__in=[s.body_id for s in seats]
        ).exclude(position="")
    }
    labels = dict(Mandate.POSITIONS)
    rows = []
    for seat in seats:
        position = agg.Position(seat.mandate) if seat.mandate else None
        mandate = current.get(seat.body_id)
        shown, binding = (
            (seat.mandate, seat.binding)
            if seat.has_voted
            else ((mandate.position, mandate.binding) if mandate else ("", False))
        )
        rows.append(
            {
                "seat": seat,
                "named": named[seat.body_id],
                "diverges": agg.diverges(position, seat.choice or None, seat.split),
                "share": share_text(seat.share),
                "mandate": labels.get(shown, ""),
                "mandate_position": shown,
                "binding": binding and shown not in ("", "free"),
                "choice": choice_label(seat.choice) if seat.choice else "",
            }
        )
    return rows
