"""Public pages of what bodies publish: resolutions, feeds, statements, leaflets, open data."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from asamblea.bodies.models import Body
from asamblea.bodies.views import LEDGER_PAGE_SIZE
from asamblea.ledger.actions import chain_head
from asamblea.markup import render_markdown
from asamblea.publishing import atom, queries, sources
from asamblea.publishing.forms import ResolutionFilter
from asamblea.publishing.models import Publication, Statement
from asamblea.web import absolute_url


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


def _atom_response(feed: atom.Feed) -> HttpResponse:
    response = HttpResponse(atom.render(feed), content_type=atom.CONTENT_TYPE)
    response["Cache-Control"] = "no-cache"
    return response


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
        owner = body or pub.body
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
    return _atom_response(feed)


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
