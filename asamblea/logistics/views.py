"""Pages of the logistics board (under a coordination) and of trips (under an assembly).

Thin: forms parse, actions decide and write, queries read. Who may see what is in
:mod:`asamblea.logistics.queries`. Everything needs a login; a board or an assembly the person
may not even see answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea.bodies.models import Body
from asamblea.bodies.queries import can_view, is_facilitator
from asamblea.coordination.queries import can_view_coordination, coordinations_of
from asamblea.errors import NotAllowed, Refused
from asamblea.logistics import actions, forms, queries, trip_pdf
from asamblea.logistics.models import Match, Posting, Trip
from asamblea.web import handles_refusal


def _valid(form: Form) -> dict[str, Any]:
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        raise Refused(errors or _("Check the form and try again."))
    return form.cleaned_data


def _board_of(request: HttpRequest, slug: str) -> Body:
    """The coordination at ``slug`` if the person reads its board. 404 for an assembly's slug
    and for a coordination they may not see; 403 for one they see but whose board is not
    theirs."""
    coordination = get_object_or_404(Body, slug=slug)
    if coordination.is_assembly:
        raise Http404
    if not queries.reads_board(request.user, coordination):
        if can_view_coordination(request.user, coordination):
            raise NotAllowed(_("The board is for the members of this coordination's assemblies."))
        raise Http404
    return coordination


def _match_of(request: HttpRequest, slug: str, pk: int) -> tuple[Body, Match, set[str]]:
    """A match of the board, for the facilitators of its two assemblies only (404 for anyone
    else: that two assemblies are matched is theirs to know)."""
    coordination = _board_of(request, slug)
    match = get_object_or_404(
        Match.objects.select_related("need__body", "offer__body"),
        pk=pk,
        need__coordination=coordination,
    )
    sides = queries.sides_of(request.user, match)
    if not sides:
        raise Http404
    return coordination, match, sides


@login_required
@require_GET
@handles_refusal
def board(request: HttpRequest, slug: str) -> HttpResponse:
    coordination = _board_of(request, slug)
    mine = queries.facilitated(request.user, coordination)
    narrow = forms.BoardFilterForm(request.GET or None)
    wanted = narrow.cleaned_data if narrow.is_valid() else {}
    found = queries.board(
        request.user, coordination, kind=wanted.get("kind", ""), place=wanted.get("place", "")
    )
    suggested = queries.suggestions(coordination, mine)
    matches = list(queries.matches_of(coordination, mine)) if mine else []
    involved = {s.need.body_id for s in suggested} | {s.offer.body_id for s in suggested}
    involved |= {m.need.body_id for m in matches} | {m.offer.body_id for m in matches}
    shown = queries.names_shown(request.user, coordination, involved)
    # Once both accepted, the two assemblies know each other.
    shown |= {
        b
        for m in matches
        if m.state == Match.State.ACCEPTED
        for b in (m.need.body_id, m.offer.body_id)
    }
    context = {
        "coordination": coordination,
        "body": coordination,
        "board": found,
        "narrow": narrow,
        "mine": mine,
        "suggestions": suggested,
        "matches": matches,
        "shown": shown,
        "form": forms.PostingForm(bodies=mine) if mine else None,
        "mine_ids": {b.pk for b in mine},
    }
    return render(request, "logistics/board.html", context)


@login_required
@require_POST
@handles_refusal
def post(request: HttpRequest, slug: str) -> HttpResponse:
    coordination = _board_of(request, slug)
    mine = queries.facilitated(request.user, coordination)
    if not mine:
        raise NotAllowed(_("Only a facilitator of a member assembly can post on the board."))
    data = _valid(forms.PostingForm(request.POST, bodies=mine))
    body = next(b for b in mine if b.slug == data.pop("body"))
    actions.posting_create(request.user, coordination, body, **data)
    messages.success(request, _("Posted on the board."))
    return redirect("logistics:board", slug=coordination.slug)


@login_required
@require_POST
@handles_refusal
def withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    coordination = _board_of(request, slug)
    posting = get_object_or_404(Posting, pk=pk, coordination=coordination)
    actions.posting_withdraw(request.user, posting)
    messages.success(request, _("Withdrawn from the board."))
    return redirect("logistics:board", slug=coordination.slug)


@login_required
@require_POST
@handles_refusal
def propose(request: HttpRequest, slug: str) -> HttpResponse:
    coordination = _board_of(request, slug)
    data = _valid(forms.ProposeForm(request.POST))
    postings = Posting.objects.filter(coordination=coordination)
    need = postings.filter(pk=data["need"]).first()
    offer = postings.filter(pk=data["offer"]).first()
    if need is None or offer is None:
        raise Refused(_("There is no such need or offer."), code="no_posting")
    match = actions.match_propose(request.user, need, offer, quantity=data["quantity"])
    if match.state == Match.State.ACCEPTED:
        messages.success(request, _("Matched. Share the exact details now."))
    else:
        messages.success(request, _("Proposed. The other assembly must accept it."))
    return redirect("logistics:match", slug=coordination.slug, pk=match.pk)


@login_required
@require_GET
@handles_refusal
def match(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    coordination, found, sides = _match_of(request, slug, pk)
    visible = queries.details_visible(found)
    details = {d.side: d for d in found.details.all()} if visible else {}
    shown = queries.names_shown(
        request.user, coordination, {found.need.body_id, found.offer.body_id}
    )
    if found.state == Match.State.ACCEPTED:
        shown |= {found.need.body_id, found.offer.body_id}
    context = {
        "shown": shown,
        "coordination": coordination,
        "body": coordination,
        "match": found,
        "sides": sides,
        "visible": visible,
        "details": details,
        "waiting_for_me": found.state == Match.State.PROPOSED
        and (
            ("need" in sides and not found.need_accepted)
            or ("offer" in sides and not found.offer_accepted)
        ),
        "forms": [
            (
                side,
                forms.DetailsForm(
                    initial={"side": side, "text": getattr(details.get(side), "text", "")}
                ),
            )
            for side in sorted(sides)
        ],
    }
    return render(request, "logistics/match.html", context)


@login_required
@require_POST
@handles_refusal
def accept(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    coordination, found, _sides = _match_of(request, slug, pk)
    actions.match_accept(request.user, found)
    messages.success(request, _("Accepted. Share the exact details now."))
    return redirect("logistics:match", slug=coordination.slug, pk=found.pk)


@login_required
@require_POST
@handles_refusal
def decline(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    coordination, found, _sides = _match_of(request, slug, pk)
    actions.match_decline(request.user, found)
    messages.success(request, _("The match is off; its quantity is free again."))
    return redirect("logistics:board", slug=coordination.slug)


@login_required
@require_POST
@handles_refusal
def details(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    coordination, found, _sides = _match_of(request, slug, pk)
    data = _valid(forms.DetailsForm(request.POST))
    actions.details_share(request.user, found, side=data["side"], text=data["text"])
    messages.success(request, _("Shared with the other assembly's facilitators."))
    return redirect("logistics:match", slug=coordination.slug, pk=found.pk)


# --- Trips -------------------------------------------------------------------------------------


def _assembly(request: HttpRequest, slug: str) -> Body:
    """An assembly whose trips the person plans: 404 if they may not see it, 403 if they are
    not one of its facilitators."""
    body = get_object_or_404(Body, slug=slug)
    if not body.is_assembly or not can_view(request.user, body):
        raise Http404
    if not is_facilitator(request.user, body):
        raise NotAllowed(_("Only a facilitator of this assembly can see its trips."))
    return body


def _trip(request: HttpRequest, slug: str, pk: int) -> Trip:
    body = _assembly(request, slug)
    return get_object_or_404(Trip.objects.select_related("body", "coordination"), pk=pk, body=body)


def _trip_form(body: Body, data: Any = None, **kwargs: Any) -> forms.TripForm:
    return forms.TripForm(data, coordinations=list(coordinations_of(body)), **kwargs)


def _trip_values(body: Body, form: forms.TripForm) -> dict[str, Any]:
    data = dict(_valid(form))
    data["coordination"] = get_object_or_404(Body, slug=data["coordination"])
    return data


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def trips(request: HttpRequest, slug: str) -> HttpResponse:
    body = _assembly(request, slug)
    form = _trip_form(body, request.POST or None)
    if request.method == "POST":
        values = _trip_values(body, form)
        coordination = values.pop("coordination")
        trip = actions.trip_plan(request.user, body, coordination, **values)
        messages.success(request, _("Trip planned."))
        return redirect("logistics:trip", slug=body.slug, pk=trip.pk)
    context = {"body": body, "trips": queries.trips_of(body), "form": form}
    return render(request, "logistics/trips.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def trip(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found = _trip(request, slug, pk)
    if request.method == "POST":
        values = _trip_values(found.body, _trip_form(found.body, request.POST))
        actions.trip_update(request.user, found, **values)
        messages.success(request, _("Trip changed."))
        return redirect("logistics:trip", slug=found.body.slug, pk=found.pk)
    initial = {
        "title": found.title,
        "coordination": found.coordination.slug,
        "origin": found.origin,
        "destination": found.destination,
        "starts_on": found.starts_on,
        "ends_on": found.ends_on,
        "seats": found.seats,
        "travellers": found.travellers,
        "lodging": found.lodging,
    }
    return render(
        request,
        "logistics/trip.html",
        _trip_context(found, _trip_form(found.body, initial=initial)),
    )


def _trip_context(found: Trip, form: Any = None) -> dict[str, Any]:
    matches = list(queries.trip_matches(found))
    return {
        "body": found.body,
        "trip": found,
        "form": form,
        "ask_form": forms.AskForm(),
        "needs": found.postings.filter(state=Posting.State.OPEN).order_by("kind"),
        "matches": [(m, queries.details_visible(m)) for m in matches],
        "travellers": [line for line in found.travellers.splitlines() if line.strip()],
    }


@login_required
@require_POST
@handles_refusal
def trip_ask(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found = _trip(request, slug, pk)
    data = _valid(forms.AskForm(request.POST))
    actions.trip_ask(request.user, found, kinds=data["kinds"])
    messages.success(request, _("Posted on the coordination's board."))
    return redirect("logistics:trip", slug=found.body.slug, pk=found.pk)


@login_required
@require_GET
@handles_refusal
def trip_sheet(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found = _trip(request, slug, pk)
    return render(request, "logistics/trip_sheet.html", _trip_context(found))


@login_required
@require_GET
@handles_refusal
def trip_sheet_pdf(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found = _trip(request, slug, pk)
    data = trip_pdf.render(_trip_context(found))
    response = HttpResponse(data, content_type="application/pdf")
    name = slugify(f"{pgettext('file name', 'trip')} {found.title}")[:60].strip("-")
    response["Content-Disposition"] = f'attachment; filename="{name}-{found.pk}.pdf"'
    return response
