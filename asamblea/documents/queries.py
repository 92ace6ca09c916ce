"""Reads for the document pages: the text with line numbers, amendments inline as word
diffs, conflicts, the synopsis with each amendment's backing, versions.

Each page reads in a fixed number of queries whatever the number of amendments (asserted in
``tests/test_queries.py``): amendments, backings and member counts are fetched in bulk.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body
from asamblea.bodies.queries import active_membership, can_view
from asamblea.coordination.models import Backing
from asamblea.coordination.queries import can_view_coordination, is_delegate, voting_member_counts
from asamblea.documents import core
from asamblea.documents.models import Amendment, Document, DocumentVersion


def may_read(person: Visitor, body: Body) -> bool:
    if body.is_assembly:
        return can_view(person, body)
    return can_view_coordination(person, body)


def viewable_body(request: HttpRequest, slug: str) -> Body:
    """The body at ``slug`` if the person may read it (a coordination also by its delegates);
    404 otherwise, so a members-only body is not revealed."""
    body = get_object_or_404(Body, slug=slug)
    if not may_read(request.user, body):
        raise Http404
    return body


def document_at(request: HttpRequest, slug: str, number: int) -> Document:
    body = viewable_body(request, slug)
    document = get_object_or_404(Document.objects.select_related("body"), body=body, number=number)
    return document


def amendment_at(document: Document, person: Visitor, number: int) -> Amendment:
    """An amendment of the document, if the person may read the body it was put in."""
    amendment = get_object_or_404(
        Amendment.objects.select_related("body", "motion", "origin__body", "tabled_for", "block"),
        document=document,
        number=number,
    )
    if amendment.body_id != document.body_id and not may_read(person, amendment.body):
        raise Http404
    amendment.document = document
    return amendment


def insider(person: Visitor, body: Body) -> bool:
    """Members, facilitators, observers and (for a coordination) delegates see which member
    assemblies back what; others see the names of public assemblies only."""
    return active_membership(person, body) is not None or (
        not body.is_assembly and is_delegate(person, body)
    )


def version_of(document: Document, number: int | None = None) -> DocumentVersion:
    return get_object_or_404(DocumentVersion, document=document, number=number or document.version)


def diff_html(old: str, new: str) -> SafeString:
    """A word diff as HTML: deletions in ``<del>``, insertions in ``<ins>``, all escaped."""
    parts = []
    for op, chunk in core.word_diff(old, new):
        text = escape(chunk)
        tag = {"-": "del", "+": "ins"}.get(op)
        parts.append(f"<{tag}>{text}</{tag}>" if tag else text)
    return mark_safe("".join(parts))  # noqa: S308 -- every chunk is escaped above


@dataclass
class Backer:
    body_id: int
    name: str
    members: int


@dataclass
class Row:
    amendment: Amendment
    backers: list[Backer] = field(default_factory=list)
    conflicts: list[int] = field(default_factory=list)
    diff: SafeString | None = None
    outdated: bool = False

    @property
    def members(self) -> int:
        return sum(b.members for b in self.backers)


def _amendments(document: Document) -> list[Amendment]:
    """The amendments before the body drafting the document, with what the pages need only
    (their long texts stay in the database)."""
    return list(
        Amendment.objects.filter(document=document, body=document.body)
        .select_related("tabled_for")
        .annotate(origin_motion=F("origin__motion_id"))
        .defer("markdown", "reason", "tabled_for__description")
        .order_by("number")
    )


def _backers(
    document: Document, amendments: list[Amendment], named: bool
) -> dict[int, list[Backer]]:
    """Each amendment's backing: the member bodies that backed it when it was sent up (its
    Forward's backings), the body a delegate tabled it for, and, for a merge or compromise,
    the backing of every amendment it replaced. Three queries in all."""
    origin_of = {a.origin_motion: a.pk for a in amendments if a.origin_motion}  # type: ignore[attr-defined]
    bodies: dict[int, set[int]] = defaultdict(set)
    names: dict[int, tuple[str, bool]] = {}
    rows = (
        Backing.objects.filter(
            forward__origin_id__in=list(origin_of), forward__coordination=document.body
        )
        .values_list("forward__origin_id", "body_id", "body__name", "body__visibility")
        .order_by("at", "pk")
    )
    for origin_id, body_id, name, visibility in rows:
        bodies[origin_of[origin_id]].add(body_id)
        names[body_id] = (name, visibility == Body.Visibility.PUBLIC)
    for a in amendments:
        if a.tabled_for_id and a.tabled_for is not None:
            bodies[a.pk].add(a.tabled_for_id)
            names[a.tabled_for_id] = (a.tabled_for.name, a.tabled_for.is_public)
    # A merge or compromise keeps the backing of what it replaced (replacements may nest).
    by_pk = {a.pk: a for a in amendments}
    for a in sorted(amendments, key=lambda x: x.number):
        target = a.replaced_by_id
        seen = set()
        while target is not None and target in by_pk and target not in seen:
            seen.add(target)
            bodies[target] |= bodies[a.pk]
            target = by_pk[target].replaced_by_id
    counts = voting_member_counts(sorted(names)) if names else {}
    result: dict[int, list[Backer]] = {}
    for pk, ids in bodies.items():
        result[pk] = [
            Backer(
                body_id=i,
                name=names[i][0] if (named or names[i][1]) else "",
                members=counts.get(i, 0),
            )
            for i in sorted(ids, key=lambda i: names[i][0])
        ]
    return result


def rows_for(document: Document, person: Visitor) -> list[Row]:
    """Every amendment before the body drafting the document, with its backing and conflicts
    (conflicts among those still open)."""
    amendments = _amendments(document)
    backers = _backers(document, amendments, insider(person, document.body))
    open_ones = [(a.number, a.change) for a in amendments if a.is_open]
    groups = core.conflict_groups(open_ones)
    return [
        Row(amendment=a, backers=backers.get(a.pk, []), conflicts=groups.get(a.number, []))
        for a in amendments
    ]


@dataclass
class InlineParagraph:
    index: int
    pid: str
    lines: list[tuple[int, str]]
    amendments: list[Row]
    inserted_after: list[Row]


def inline_view(document: Document, person: Visitor) -> tuple[list[Row], list[InlineParagraph]]:
    """The current text, numbered, with every open amendment shown at its paragraph as a word
    diff (insertions after their anchor); an amendment whose text changed since is marked."""
    version = version_of(document)
    text = version.text
    rows = rows_for(document, person)
    current = {p.pid: p.text for p in text}
    at: dict[str, list[Row]] = defaultdict(list)
    after: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if not row.amendment.is_open:
            continue
        change = row.amendment.change
        row.outdated = any(current.get(p.pid) != p.text for p in change.removed)
        if change.removed:
            at[change.removed[0].pid].append(row)
        else:
            after[change.anchor].append(row)
    paragraphs = [
        InlineParagraph(index, p.pid, lines, at.get(p.pid, []), after.get(p.pid, []))
        for index, p, lines in core.number_lines(text)
    ]
    top = InlineParagraph(0, "", [], [], after.get(core.changes.START, []))
    return rows, ([top] if top.inserted_after else []) + paragraphs


def body_amendments(body: Body) -> list[Amendment]:
    """Amendments put in an assembly, to any document, newest first."""
    return list(
        Amendment.objects.filter(body=body)
        .select_related("document__body", "motion")
        .order_by("-created_at")[:200]
    )


def version_diffs(
    document: Document, number: int
) -> tuple[DocumentVersion, list[tuple[int, str, SafeString]]]:
    """A version, each paragraph shown as a diff from the version before it."""
    version = version_of(document, number)
    before = (
        DocumentVersion.objects.filter(document=document, number=number - 1).first()
        if number > 1
        else None
    )
    old = {p.pid: p.text for p in before.text} if before else {}
    shown = []
    for index, paragraph in enumerate(version.text, 1):
        previous = old.get(paragraph.pid, "" if before else paragraph.text)
        shown.append((index, paragraph.pid, diff_html(previous, paragraph.text)))
    return version, shown
