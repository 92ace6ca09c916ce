"""Public pages of what bodies publish: resolutions, feeds, statements, leaflets, open data."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import active_membership, require_member
from asamblea.bodies.views import LEDGER_PAGE_SIZE, qr_svg
from asamblea.dates import safe_localtime
from asamblea.errors import Conflict, Refused
from asamblea.ledger.actions import chain_head
from asamblea.markup import render_markdown
from asamblea.publishing import actions, atom, leaflet, popolo, queries, sources
from asamblea.publishing.forms import (
    AdoptForm,
    EndorseForm,
    ResolutionFilter,
    StatementForm,
    StatementRuleForm,
)
from asamblea.publishing.models import Endorsement, Publication, Statement
from asamblea.web import absolute_url, handles_refusal


def _resolutions(request: HttpRequest, body: Body) -> HttpResponse:
    form = ResolutionFilter(body, request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
        rows = queries.resolutions(body)
    else:
        data = form.cleaned_data if form.is_bound else {}
        rows = queries.resolutions(
            body,
            kind=data.get("kind") or "",
            since=data.get("since"),
            until=data.get("until"),
        )
    page = queries.resolutions_page(rows, request.GET.get("page"))
    items = [_item(pub, body.slug) for pub in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "body": body,
        "form": form,
        "page": page,
        "items": items,
        "query": query.urlencode(),
        "feed": _feed_path(body),
    }
    return render(request, "publishing/resolutions.html", context, status=status)


def _item(pub: Publication, slug: str) -> dict[str, Any]:
    return {
        "pub": pub,
        "label": sources.BY_KIND[pub.kind].label,
        "link": sources.link(pub, slug),
        "ledger": _ledger_path(slug, pub),
        "summary": queries.summary(pub),
    }


def _ledger_path(slug: str, pub: Publication) -> str:
    return reverse("publishing:ledger_entry", kwargs={"slug": slug, "seq": pub.ledger_seq})


@require_GET
def resolutions(request: HttpRequest, slug: str) -> HttpResponse:
    return _resolutions(request, queries.readable_body(request.user, slug, coordination=False))


@require_GET
def coordination_resolutions(request: HttpRequest, slug: str) -> HttpResponse:
    return _resolutions(request, queries.readable_body(request.user, slug, coordination=True))


@require_GET
def ledger_entry(request: HttpRequest, slug: str, seq: int) -> HttpResponse:
    """Where entry ``seq`` of the body's ledger is shown: its page of the ledger (newest first,
    so the page depends on how long the ledger is now), at the entry."""
    body = queries.readable_body(request.user, slug)
    head = chain_head(body.ledger_chain)
    page = max(1, (head.length - seq) // LEDGER_PAGE_SIZE + 1)
    url = reverse("bodies:ledger", kwargs={"slug": body.slug})
    return redirect(f"{url}?page={page}#entry-{seq}")


# --- Feeds --------------------------------------------------------------------------------------


def _feed_path(body: Body) -> str:
    name = "publishing:feed" if body.is_assembly else "publishing:coordination_feed"
    return reverse(name, kwargs={"slug": body.slug})


def _resolutions_path(body: Body) -> str:
    name = "publishing:resolutions" if body.is_assembly else "publishing:coordination_resolutions"
    return reverse(name, kwargs={"slug": body.slug})


def _cache_control(response: HttpResponse, public: bool) -> HttpResponse:
    """Revalidated every time; a members-only body's data is never kept by a shared cache."""
    response["Cache-Control"] = "no-cache" if public else "private, no-cache"
    return response


def _atom_response(feed: atom.Feed, public: bool = True) -> HttpResponse:
    return _cache_control(HttpResponse(atom.render(feed), content_type=atom.CONTENT_TYPE), public)


def _entries(
    request: HttpRequest, pubs: list[Publication], body: Body | None = None
) -> list[atom.Entry]:
    statements = {
        s.pk: s
        for s in Statement.objects.filter(
            pk__in=[p.object_id for p in pubs if p.kind == "statement"]
        )
    }
    entries = []
    for pub in pubs:
        # A pledge of another body that concerns this one reads as that body's record.
        owner = body if body is not None and pub.body_id == body.pk else pub.body
        slug = owner.slug
        statement = statements.get(pub.object_id) if pub.kind == "statement" else None
        entries.append(
            atom.Entry(
                id=atom.entry_id(pub.ledger_hash + ":" + pub.kind),
                title=pub.title,
                updated=pub.at,
                link=absolute_url(request, sources.link(pub, slug)),
                related=absolute_url(request, _ledger_path(slug, pub)),
                summary=queries.summary(pub),
                content_html=str(render_markdown(statement.text)) if statement else "",
                category=pub.kind,
                author=owner.name,
            )
        )
    return entries


def _body_feed(request: HttpRequest, body: Body) -> HttpResponse:
    pubs = queries.feed_entries(body)
    head = chain_head(body.ledger_chain)
    updated = max([body.created_at, *(p.at for p in pubs)])
    path = _feed_path(body)
    feed = atom.Feed(
        id=absolute_url(request, path),
        title=_("%(body)s: resolutions and statements") % {"body": body.name},
        subtitle=_("Ledger %(chain)s: %(length)s entries, head %(hash)s")
        % {"chain": head.chain, "length": head.length, "hash": head.hash},
        updated=updated,
        self_link=absolute_url(request, path),
        alternate=absolute_url(request, _resolutions_path(body)),
        author=body.name,
        language=get_language() or "es",
        entries=_entries(request, pubs, body),
        ledger=[atom.LedgerHead(head.chain, head.length, head.hash)],
    )
    return _atom_response(feed, body.is_public)


@require_GET
def feed(request: HttpRequest, slug: str) -> HttpResponse:
    return _body_feed(request, queries.readable_body(request.user, slug, coordination=False))


@require_GET
def coordination_feed(request: HttpRequest, slug: str) -> HttpResponse:
    return _body_feed(request, queries.readable_body(request.user, slug, coordination=True))


@require_GET
def site_feed(request: HttpRequest) -> HttpResponse:
    """Every public body's newest publications in one feed (members-only bodies never appear,
    whoever asks: a feed reader keeps no session)."""
    pubs = queries.public_feed_entries()
    path = reverse("publishing:site_feed")
    feed = atom.Feed(
        id=absolute_url(request, path),
        title=_("Asamblea: resolutions and statements of public bodies"),
        updated=max([p.at for p in pubs], default=timezone.now()),
        self_link=absolute_url(request, path),
        alternate=absolute_url(request, reverse("publishing:feeds")),
        author="Asamblea",
        language=get_language() or "es",
        entries=_entries(request, pubs),
    )
    return _atom_response(feed)


@require_GET
def feeds(request: HttpRequest) -> HttpResponse:
    """The list of public bodies' feeds (what a journalist subscribes to)."""
    bodies = [
        {"body": body, "feed": _feed_path(body), "resolutions": _resolutions_path(body)}
        for body in queries.public_bodies()
    ]
    return render(request, "publishing/feeds.html", {"bodies": bodies})


# --- Statements ---------------------------------------------------------------------------------


def _statement(request: HttpRequest, slug: str, number: int) -> Statement:
    """A statement of a body the person may read: published ones for every reader, drafts and
    votes for the body's members only (404 for others, as if it did not exist)."""
    body = queries.readable_body(request.user, slug)
    statement = get_object_or_404(
        Statement.objects.select_related("body", "drafted_by", "poll"), body=body, number=number
    )
    if not statement.is_published and active_membership(request.user, body) is None:
        raise Http404
    return statement


@require_http_methods(["GET", "POST"])
@handles_refusal
def statements(request: HttpRequest, slug: str) -> HttpResponse:
    """The body's statements (published ones for everyone who reads the body, drafts for its
    members) and, for voting members, the form to draft one (POST)."""
    body = queries.readable_body(request.user, slug)
    membership = active_membership(request.user, body)
    form = StatementForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            statement = actions.statement_draft(request.user, body, **form.cleaned_data)
            messages.success(request, _("Draft saved. Edit it, then adopt it by the statute."))
            return redirect("publishing:statement", slug=body.slug, number=statement.number)
        require_member(request.user, body)
    rows = Statement.objects.filter(body=body)
    if membership is None:
        rows = rows.filter(state=Statement.State.PUBLISHED)
    context = {
        "body": body,
        "membership": membership,
        "statements": rows.order_by("-number")[:200],
        "form": form if membership is not None and membership.can_vote else None,
        "rule": actions.adoption_rule(body),
        "rule_form": StatementRuleForm(initial={"adoption": actions.adoption_rule(body)}),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "publishing/statements.html", context, status=status)


@login_required
@require_POST
@handles_refusal
def statement_rule(request: HttpRequest, slug: str) -> HttpResponse:
    body = queries.readable_body(request.user, slug)
    form = StatementRuleForm(request.POST)
    if not form.is_valid():
        raise Refused(_("Choose how statements are adopted."))
    actions.statement_rule_set(request.user, body, adoption=form.cleaned_data["adoption"])
    messages.success(request, _("The statute now says how statements are adopted."))
    return redirect("publishing:statements", slug=body.slug)


def _endorsers(request: HttpRequest, statement: Statement) -> dict[str, Any]:
    """Who endorsed the statement: public bodies and those the reader belongs to by name, the
    members-only others only counted."""
    from asamblea.coordination.queries import visible_names

    rows = list(
        statement.endorsements.filter(state=Endorsement.State.ENDORSED).select_related("body")
    )
    named = visible_names(request.user, [row.body for row in rows], insider=False)
    return {
        "named": [row.body.name for row in rows if named[row.body_id]],
        "hidden": sum(1 for row in rows if not named[row.body_id]),
        "public": [row.body.name for row in rows if row.body.is_public],
    }


def _endorsing_bodies(request: HttpRequest, statement: Statement) -> list[Body]:
    """Member bodies of the statement's coordination the person facilitates, not yet endorsing."""
    if statement.body.is_assembly or not statement.is_published:
        return []
    if not request.user.is_authenticated:
        return []
    done = statement.endorsements.exclude(state=Endorsement.State.DECLINED).values("body_id")
    return list(
        Body.objects.filter(
            memberships__person=request.user,
            memberships__role=Membership.Role.FACILITATOR,
            memberships__status=Membership.Status.ACTIVE,
            affiliations__coordination=statement.body,
            affiliations__left_at__isnull=True,
        )
        .exclude(pk__in=done)
        .distinct()
    )


@require_GET
def statement_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    statement = _statement(request, slug, number)
    body = statement.body
    membership = active_membership(request.user, body)
    context = {
        "body": body,
        "statement": statement,
        "membership": membership,
        "text_html": render_markdown(statement.text),
        "rule": actions.adoption_rule(body),
        "endorsers": _endorsers(request, statement),
        "endorsing_bodies": _endorsing_bodies(request, statement),
        "may_edit": statement.is_draft
        and membership is not None
        and membership.can_vote
        and (membership.is_facilitator or statement.drafted_by_id == request.user.pk),
    }
    return render(request, "publishing/statement_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def statement_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    statement = _statement(request, slug, number)
    actions.require_editor(request.user, statement)
    initial = {"title": statement.title, "text": statement.text}
    form = StatementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.statement_edit(request.user, statement, **form.cleaned_data)
        messages.success(request, _("Draft saved."))
        return redirect("publishing:statement", slug=slug, number=number)
    if request.method == "GET" and not statement.is_draft:
        raise Conflict(_("Only a draft can be edited."), code="not_draft")
    status = 400 if request.method == "POST" else 200
    context = {"body": statement.body, "statement": statement, "form": form}
    return render(request, "publishing/statement_form.html", context, status=status)


@login_required
@require_POST
@handles_refusal
def statement_adopt(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    statement = _statement(request, slug, number)
    form = AdoptForm(request.POST)
    if not form.is_valid():
        raise Refused(_("Choose how to adopt the statement."))
    if form.cleaned_data["how"] == "vote":
        actions.statement_put_to_vote(request.user, statement)
        if statement.body.is_assembly:
            messages.success(request, _("The statement is put to the members' vote."))
        else:
            messages.success(request, _("The statement is put to the delegates' vote."))
    else:
        actions.statement_adopt(request.user, statement)
        messages.success(request, _("The statement is adopted and published."))
    return redirect("publishing:statement", slug=slug, number=number)


@login_required
@require_POST
@handles_refusal
def statement_endorse(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    statement = _statement(request, slug, number)
    form = EndorseForm(request.POST)
    if not form.is_valid():
        raise Refused(_("Choose the assembly that endorses it."))
    body = Body.objects.filter(slug=form.cleaned_data["body"]).first()
    if body is None or not queries.may_read(request.user, body):
        raise Refused(_("There is no body with this name."), code="no_body")
    endorsement = actions.endorsement_start(request.user, statement, body)
    if endorsement.state == Endorsement.State.ENDORSED:
        messages.success(request, _("%(body)s endorses the statement.") % {"body": body.name})
    else:
        messages.success(request, _("The endorsement is put to the assembly's vote."))
    return redirect("publishing:statement", slug=slug, number=number)


# --- Leaflets -----------------------------------------------------------------------------------


def _size(request: HttpRequest) -> str:
    size = request.GET.get("size", "a5")
    if size not in leaflet.SIZES:
        raise Refused(_("A leaflet is printed as A5 or A4."))
    return size


def _statement_leaflet(request: HttpRequest, statement: Statement) -> leaflet.Content:
    if not statement.is_published:
        raise Conflict(_("Only a published statement is printed."), code="not_published")
    body = statement.body
    url = reverse("publishing:statement", kwargs={"slug": body.slug, "number": statement.number})
    published = statement.published_at or statement.created_at
    return leaflet.Content(
        kind=_("Statement"),
        title=statement.title,
        body=body.name,
        date=date_format(safe_localtime(published), "DATE_FORMAT"),
        url=absolute_url(request, url),
        html=str(render_markdown(statement.text)),
        endorsed_by=_endorsers(request, statement)["public"],
        ledger=chain_head(body.ledger_chain),
    )


def _adopted_text(pub: Publication) -> str:
    """An adopted document's text as sanitised HTML, the version the ledger recorded."""
    from asamblea.documents.models import DocumentVersion

    version = DocumentVersion.objects.filter(
        document_id=pub.object_id, number=(pub.data or {}).get("version")
    ).first()
    if version is None:
        return ""
    return "".join(str(render_markdown(paragraph.text)) for paragraph in version.text)


def _resolution_leaflet(request: HttpRequest, body: Body, pk: int) -> leaflet.Content:
    pub = get_object_or_404(Publication, pk=pk, body=body, kind__in=sources.DECISION_KINDS)
    return leaflet.Content(
        kind=_("Resolution"),
        title=pub.title,
        body=body.name,
        date=date_format(safe_localtime(pub.at), "DATE_FORMAT"),
        url=absolute_url(request, sources.link(pub, body.slug)),
        html=_adopted_text(pub) if pub.kind == "document" else "",
        lines=[str(sources.BY_KIND[pub.kind].label), queries.summary(pub)],
        ledger=chain_head(body.ledger_chain),
    )


def _print_page(request: HttpRequest, content: leaflet.Content, pdf: str) -> HttpResponse:
    size = _size(request)
    context = {
        "content": content,
        "size": size,
        "pdf": f"{pdf}?size={size}",
        "other": "a4" if size == "a5" else "a5",
        "qr": qr_svg(content.url),
        "html": mark_safe(content.html),  # noqa: S308 - sanitised by render_markdown (nh3)
    }
    return render(request, "publishing/leaflet.html", context)


def _pdf(request: HttpRequest, content: leaflet.Content, name: str) -> HttpResponse:
    response = HttpResponse(leaflet.render(content, _size(request)), "application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@require_GET
@handles_refusal
def statement_print(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    statement = _statement(request, slug, number)
    pdf = reverse("publishing:statement_pdf", kwargs={"slug": slug, "number": number})
    return _print_page(request, _statement_leaflet(request, statement), pdf)


@require_GET
@handles_refusal
def statement_pdf(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    statement = _statement(request, slug, number)
    content = _statement_leaflet(request, statement)
    return _pdf(request, content, f"{slugify(statement.title)[:50] or 'statement'}-{number}")


@require_GET
@handles_refusal
def resolution_print(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    body = queries.readable_body(request.user, slug)
    pdf = reverse("publishing:resolution_pdf", kwargs={"slug": slug, "pk": pk})
    return _print_page(request, _resolution_leaflet(request, body, pk), pdf)


@require_GET
@handles_refusal
def resolution_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    body = queries.readable_body(request.user, slug)
    return _pdf(request, _resolution_leaflet(request, body, pk), f"resolution-{pk}")


# --- Open data (Popolo JSON and CSV) ------------------------------------------------------------

POPOLO_PAGE = 50
CSV_CHUNK = 500


def _linker(request: HttpRequest) -> popolo.Link:
    origin = absolute_url(request, "/")[:-1]  # once: a page holds hundreds of addresses
    return lambda path: origin + path


@require_GET
@handles_refusal
def popolo_json(request: HttpRequest, slug: str) -> HttpResponse:
    """The body in Popolo, with a page of its vote events (newest first) and the address of the
    next page: a fixed number of queries a page, however many decisions."""
    body = queries.readable_body(request.user, slug)
    page = Paginator(popolo.decisions(body), POPOLO_PAGE).get_page(request.GET.get("page"))
    document = popolo.document(body, page.object_list, _linker(request))
    path = reverse("publishing:popolo", kwargs={"slug": body.slug})
    document["meta"] = {
        "page": page.number,
        "pages": page.paginator.num_pages,
        "next": absolute_url(request, f"{path}?page={page.next_page_number()}")
        if page.has_next()
        else None,
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
    }
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    return _cache_control(response, body.is_public)


@require_GET
def popolo_csv(request: HttpRequest, slug: str, table: str) -> HttpResponse:
    """One table of the body's Popolo data as CSV (every decision, read in chunks of a fixed
    number of queries each). Built whole rather than streamed: an open stream here is a live
    event stream, and a body's whole record is a few megabytes at most."""
    body = queries.readable_body(request.user, slug)
    if table not in popolo.CSV_TABLES:
        raise Http404
    link = _linker(request)

    def documents() -> Iterator[dict[str, Any]]:
        if table == "memberships":
            yield {"memberships": popolo.memberships(body), "vote_events": []}
            return
        rows = popolo.decisions(body)
        last: tuple[Any, int] | None = None
        while True:
            chunk = rows
            if last is not None:
                chunk = rows.filter(Q(at__lt=last[0]) | Q(at=last[0], pk__lt=last[1]))
            pubs = list(chunk[:CSV_CHUNK])
            if not pubs:
                return
            _motions, events = popolo.vote_events(body, pubs, link)
            yield {"memberships": [], "vote_events": events}
            last = (pubs[-1].at, pubs[-1].pk)

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(popolo.CSV_COLUMNS[table])
        for document in documents():
            for row in popolo.csv_rows(table, document):
                writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = HttpResponse("".join(lines()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{body.slug}-{table}.csv"'
    return _cache_control(response, body.is_public)
