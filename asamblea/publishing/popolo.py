"""Open data in the Popolo standard (popoloproject.com): bodies as ``Organization``, public
memberships as ``Membership``, decided motions as ``Motion``, votes as ``VoteEvent`` with
``counts`` and ``group_results`` (a consultation's result in each assembly), and a ``Vote`` for
each named vote only (the voter a person, or an organisation: a delegate's vote for an
assembly, with its weight).

What the pages hide stays hidden here, because these functions only ever read what a page
shows to anyone who may read the body:

- a secret ballot publishes its counts, never a ``Vote``, nor who took part;
- a person's memberships are published only where the statute makes them public (the body is
  public and its participation is public); never for a members-only body;
- a members-only assembly is never named: in a consultation's group results and a
  coordination's delegates' votes it is "a members-only assembly", its votes only counted;
- voluntary speaking groups are never read.

Serializers take model objects and a ``link`` function (a path to an absolute URL) and return
plain dicts, so the REST API can serve the same documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from asamblea.bodies.models import Body, Membership
from asamblea.publishing import sources
from asamblea.publishing.models import Publication

Link = Callable[[str], str]
Doc = dict[str, Any]

VOTE_EVENT_KINDS = ("motion", "vote", "delegate_vote", "consultation")
RESULTS = {"adopted": "pass", "rejected": "fail", "void": "void"}
OPTIONS = ("yes", "no", "abstain")


def org_id(body: Body) -> str:
    return f"organization/{body.slug}"


def person_id(pk: int) -> str:
    return f"person/{pk}"


def _date(moment: Any) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None


def membership_public(body: Body) -> bool:
    """Whether the body's statute makes who belongs to it public: only a public body whose
    statute makes participation public (members-only bodies never publish members)."""
    return body.is_public and body.participation_public


def organization(body: Body, link: Link) -> Doc:
    page = "bodies:detail" if body.is_assembly else "coordination:detail"
    return {
        "id": org_id(body),
        "name": body.name,
        "classification": body.kind,
        "description": body.description or None,
        "founding_date": body.created_at.date().isoformat(),
        "links": [{"url": link(reverse(page, kwargs={"slug": body.slug})), "note": "page"}],
    }


def memberships(body: Body) -> list[Doc]:
    """The body's public memberships: its persons where its statute makes them public, its
    public member bodies (a coordination's) always, its members-only ones never."""
    from asamblea.coordination.models import Affiliation

    rows: list[Doc] = []
    if membership_public(body):
        people = (
            Membership.objects.filter(body=body, status=Membership.Status.ACTIVE)
            .select_related("person")
            .order_by("pk")
        )
        for membership in people:
            rows.append(
                {
                    "id": f"membership/{body.slug}/person-{membership.person_id}",
                    "role": membership.role,
                    "person_id": person_id(membership.person_id),
                    "member": {
                        "@type": "Person",
                        "id": person_id(membership.person_id),
                        "name": membership.person.display_name,
                    },
                    "organization_id": org_id(body),
                    "start_date": _date(membership.joined_at),
                }
            )
    if body.is_public:
        affiliations = (
            Affiliation.objects.filter(
                coordination=body,
                left_at__isnull=True,
                member__visibility=Body.Visibility.PUBLIC,
            )
            .select_related("member")
            .order_by("pk")
        )
        for affiliation in affiliations:
            rows.append(
                {
                    "id": f"membership/{body.slug}/body-{affiliation.member.slug}",
                    "role": "member body",
                    "member": {
                        "@type": "Organization",
                        "id": org_id(affiliation.member),
                        "name": affiliation.member.name,
                    },
                    "organization_id": org_id(body),
                    "start_date": _date(affiliation.joined_at),
                }
            )
    return rows


def _count(option: str, value: Any, **group: Any) -> Doc:
    """A Popolo count (an integer). A weighted share that is not whole keeps its exact value
    beside the whole part."""
    exact = Fraction(str(value)) if value not in (None, "") else Fraction(0)
    row: Doc = {"option": option, "value": int(exact)} | group
    if exact.denominator != 1:
        row["value_exact"] = str(exact)
    return row


def _counts(data: dict[str, Any], **group: Any) -> list[Doc]:
    return [_count(option, data.get(option, 0), **group) for option in OPTIONS]


def _motion(pub: Publication, body: Body, motion: Any, link: Link, paths: _Paths) -> Doc:
    return {
        "id": f"motion/{body.slug}/{motion.number}",
        "organization_id": org_id(body),
        "identifier": f"#{motion.number}",
        "text": motion.title + "\n\n" + motion.text,
        "date": _date(motion.created_at),
        "result": RESULTS.get(pub.outcome),
        "sources": [{"url": link(paths.motion(motion.number))}],
    }


_ID, _REF = 987654321, 987654322  # stand-ins, replaced in a path reversed once per kind


class _Paths:
    """The addresses of a page of records, each reversed once per kind and filled in: a page
    of 100 vote events would otherwise reverse 300 URLs."""

    def __init__(self, slug: str) -> None:
        self.slug = slug
        self.templates: dict[str, str] = {}

    def _fill(self, key: str, make: Callable[[], str], object_id: int, ref: int | None) -> str:
        if key not in self.templates:
            self.templates[key] = make()
        return self.templates[key].replace(str(_ID), str(object_id)).replace(str(_REF), str(ref))

    def record(self, pub: Publication) -> str:
        stand_in = Publication(kind=pub.kind, object_id=_ID, ref=_REF)
        make = lambda: sources.link(stand_in, self.slug)  # noqa: E731
        return self._fill(pub.kind, make, pub.object_id, pub.ref)

    def ledger(self, seq: int) -> str:
        kwargs = {"slug": self.slug, "seq": _ID}
        make = lambda: reverse("publishing:ledger_entry", kwargs=kwargs)  # noqa: E731
        return self._fill("ledger", make, seq, None)

    def motion(self, number: int) -> str:
        kwargs = {"slug": self.slug, "number": _ID}
        make = lambda: reverse("motions:detail", kwargs=kwargs)  # noqa: E731
        return self._fill("motion", make, number, None)


def _event(pub: Publication, body: Body, link: Link, paths: _Paths | None = None) -> Doc:
    paths = paths or _Paths(body.slug)
    return {
        "id": f"vote-event/{body.slug}/{pub.kind}-{pub.object_id}",
        "organization_id": org_id(body),
        "identifier": pub.title,
        "classification": pub.kind,
        "end_date": _date(pub.at),
        "result": RESULTS.get(pub.outcome),
        "counts": _counts(pub.data or {}),
        "sources": [
            {"url": link(paths.record(pub)), "note": "record"},
            {
                "url": link(paths.ledger(pub.ledger_seq)),
                "note": f"ledger entry {pub.ledger_seq} ({pub.ledger_hash})",
            },
        ],
    }


def _named_votes(poll_ids: Sequence[int]) -> dict[int, list[Doc]]:
    """Each named poll's ballots as Popolo votes, one query. Secret polls have no voter on
    their ballots and are left out by the filter itself."""
    from asamblea.voting.models import Ballot, Poll

    votes: dict[int, list[Doc]] = {}
    ballots = (
        Ballot.objects.filter(
            poll_id__in=poll_ids, poll__secrecy=Poll.Secrecy.NAMED, voter__isnull=False
        )
        .order_by("poll_id", "voter__display_name", "voter_id")
        .values_list("poll_id", "voter_id", "voter__display_name", "choice", "weight")
    )  # plain rows: a page holds thousands of named votes
    for poll_id, voter_id, name, choice, weight in ballots:
        voter = person_id(voter_id)
        votes.setdefault(poll_id, []).append(
            {
                "voter_id": voter,
                "voter": {"@type": "Person", "id": voter, "name": name},
                "option": choice,
                "weight": weight,
            }
        )
    return votes


def _seat_votes(vote_ids: Sequence[int]) -> dict[int, list[Doc]]:
    """Delegates' votes for their assemblies, weighed by the seat's share: public assemblies
    only (a members-only assembly's vote is in the counts, not named)."""
    from asamblea.coordination.models import Seat

    votes: dict[int, list[Doc]] = {}
    seats = Seat.objects.filter(vote_id__in=vote_ids).select_related("body").order_by("pk")
    for seat in seats:
        if not seat.has_voted or not seat.body.is_public:
            continue
        share = seat.share
        row: Doc = {
            "voter_id": org_id(seat.body),
            "voter": {"@type": "Organization", "id": org_id(seat.body), "name": seat.body.name},
            "option": seat.choice or "split",
            "role": "delegate",
            "weight": float(share) if share.denominator != 1 else int(share),
        }
        votes.setdefault(seat.vote_id, []).append(row)
    return votes


def _group_results(consultations: dict[int, Any]) -> dict[int, tuple[list[Doc], list[Doc]]]:
    """Each consultation's result in each assembly (group results, as the consultation's own
    count by body says, and counts by group), in one query; members-only assemblies are counted
    under no name."""
    from asamblea.coordination.models import ConsultedBody

    adopted = {
        (pk, str(group.get("key"))): bool(group.get("adopted"))
        for pk, consultation in consultations.items()
        for group in (consultation.result or {}).get("by_body", [])
    }
    found: dict[int, tuple[list[Doc], list[Doc]]] = {}
    rows = (
        ConsultedBody.objects.filter(consultation_id__in=list(consultations))
        .select_related("body")
        .order_by("consultation_id", "body__name", "pk")
    )
    for row in rows:
        results, counts = found.setdefault(row.consultation_id, ([], []))
        if row.body.is_public:
            group: Doc = {"@type": "Organization", "id": org_id(row.body), "name": row.body.name}
            group_id: dict[str, Any] = {"group_id": org_id(row.body)}
        else:
            group = {"@type": "Organization", "name": _("A members-only assembly")}
            group_id = {}
        passed = adopted.get((row.consultation_id, str(row.body_id)), False)
        outcome = ("pass" if passed else "fail") if row.decided else "not decided"
        results.append({"group": group, "result": outcome} | group_id)
        tally = {"yes": row.yes, "no": row.no, "abstain": row.abstain}
        counts.extend(_counts(tally, group=group, **group_id))
    return found


def vote_events(body: Body, pubs: Iterable[Publication], link: Link) -> tuple[list[Doc], list[Doc]]:
    """The motions and vote events of a page of ``body``'s decisions, in a fixed number of
    queries (one per kind of detail), however long the page."""
    from asamblea.coordination.models import Consultation, CoordinationVote
    from asamblea.voting.models import Poll

    pubs = [p for p in pubs if p.kind in VOTE_EVENT_KINDS]
    by_kind: dict[str, list[int]] = {}
    for pub in pubs:
        by_kind.setdefault(pub.kind, []).append(pub.object_id)
    poll_ids = by_kind.get("motion", []) + by_kind.get("vote", [])
    polls = {
        p.pk: p for p in Poll.objects.filter(pk__in=poll_ids, body=body).select_related("motion")
    }
    delegate_votes = {
        v.pk: v
        for v in CoordinationVote.objects.filter(
            pk__in=by_kind.get("delegate_vote", []), coordination=body
        ).select_related("motion")
    }
    consultations = {
        c.pk: c
        for c in Consultation.objects.filter(
            pk__in=by_kind.get("consultation", []), coordination=body
        ).select_related("motion")
    }
    named = _named_votes(poll_ids)
    seats = _seat_votes(list(delegate_votes))
    groups = _group_results(consultations)
    motions: list[Doc] = []
    events: list[Doc] = []
    paths = _Paths(body.slug)
    for pub in pubs:
        event = _event(pub, body, link, paths)
        record: Any = None
        if pub.kind in ("motion", "vote"):
            record = polls.get(pub.object_id)
            if record is None:
                continue
            event["start_date"] = _date(record.opened_at)
            event["votes"] = named.get(record.pk, [])
        elif pub.kind == "delegate_vote":
            record = delegate_votes.get(pub.object_id)
            if record is None:
                continue
            event["start_date"] = _date(record.opened_at)
            event["votes"] = seats.get(record.pk, [])
        else:
            record = consultations.get(pub.object_id)
            if record is None:
                continue
            event["start_date"] = _date(record.opened_at)
            results, counts = groups.get(record.pk, ([], []))
            event["group_results"] = results
            event["counts"] = event["counts"] + counts
        motion = getattr(record, "motion", None)
        if motion is not None and motion.body_id == body.pk:
            motions.append(_motion(pub, body, motion, link, paths))
            event["motion_id"] = motions[-1]["id"]
        events.append(event)
    return motions, events


def decisions(body: Body) -> QuerySet[Publication]:
    """The body's decisions that are vote events, newest first (the index of ``sources``)."""
    return Publication.objects.filter(body=body, kind__in=VOTE_EVENT_KINDS).order_by("-at", "-pk")


def document(body: Body, pubs: Iterable[Publication], link: Link) -> Doc:
    """A Popolo export of ``body``: its organization, public memberships, and the motions and
    vote events of ``pubs`` (a page of :func:`decisions`)."""
    motions, events = vote_events(body, pubs, link)
    return {
        "organizations": [organization(body, link)],
        "memberships": memberships(body),
        "motions": motions,
        "vote_events": events,
    }


# --- CSV: the same documents, flattened -----------------------------------------------------

CSV_TABLES = ("vote_events", "votes", "group_results", "memberships")

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "vote_events": (
        "id",
        "organization_id",
        "classification",
        "identifier",
        "motion_id",
        "start_date",
        "end_date",
        "result",
        "yes",
        "no",
        "abstain",
        "source",
    ),
    "votes": ("vote_event_id", "voter_id", "voter_type", "voter_name", "role", "option", "weight"),
    "group_results": ("vote_event_id", "group_id", "group_name", "result", "yes", "no", "abstain"),
    "memberships": ("id", "organization_id", "member_type", "member_id", "member_name", "role"),
}


def csv_rows(table: str, doc: Doc) -> Iterable[tuple[Any, ...]]:
    """Rows of one CSV table from a Popolo document (the header is ``CSV_COLUMNS[table]``)."""
    if table == "memberships":
        for m in doc["memberships"]:
            member = m["member"]
            yield (m["id"], m["organization_id"], member["@type"], member.get("id"),
                   member["name"], m["role"])  # fmt: skip
        return
    for event in doc["vote_events"]:
        if table == "vote_events":
            totals = {c["option"]: c.get("value_exact", c["value"])
                      for c in event["counts"] if "group" not in c}  # fmt: skip
            yield (
                event["id"],
                event["organization_id"],
                event["classification"],
                event["identifier"],
                event.get("motion_id"),
                event.get("start_date"),
                event["end_date"],
                event["result"],
                totals.get("yes"),
                totals.get("no"),
                totals.get("abstain"),
                event["sources"][0]["url"],
            )
        elif table == "votes":
            for vote in event.get("votes", []):
                voter = vote["voter"]
                yield (event["id"], voter.get("id"), voter["@type"], voter["name"],
                       vote.get("role"), vote["option"], vote["weight"])  # fmt: skip
        else:
            # Each group's three counts follow the totals, in the order of its group results.
            grouped = [c for c in event["counts"] if "group" in c]
            for n, result in enumerate(event.get("group_results", [])):
                tally = {c["option"]: c["value"] for c in grouped[3 * n : 3 * n + 3]}
                yield (event["id"], result.get("group_id"), result["group"]["name"],
                       result["result"], tally.get("yes"), tally.get("no"),
                       tally.get("abstain"))  # fmt: skip
