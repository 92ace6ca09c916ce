"""Pages of pledges. Thin: reads from ``queries``, writes through ``actions``. A pledge nobody
may read answers 404 (a members-only body's pledges are not revealed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea.bodies.models import Body, Membership, Sector, sector_label
from asamblea.bodies.queries import active_membership, can_view
from asamblea.coordination.queries import can_view_coordination
from asamblea.errors import NotAllowed, Refused
from asamblea.live.http import stream_view
from asamblea.pledges import actions, forms
from asamblea.pledges.live import channels_for
from asamblea.pledges.models import Pledge, PledgeAssembly
from asamblea.pledges.queries import (
    assembly_counts,
    body_pledges,
    can_view_pledge,
    committed_to,
    my_assemblies,
    my_commitment,
    thresholds_of,
    visible_scope_names,
)
from asamblea.pledges.thresholds import Group, evaluate, share
from asamblea.voting.charts import result_bars
from asamblea.web import handles_refusal

# The assemblies listed on a pledge page (those with commitments first); the rest are counted.
LISTED = 200


def _valid(form: Form) -> dict[str, Any]:
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        raise Refused(errors or _("Check the form and try again."))
    return form.cleaned_data


def _viewable_body(request: HttpRequest, slug: str) -> Body:
    body = get_object_or_404(Body, slug=slug)
    if can_view(request.user, body):
        return body
    if not body.is_assembly and can_view_coordination(request.user, body):
        return body
    raise Http404


def _facilitates(request: HttpRequest, body: Body) -> bool:
    membership = active_membership(request.user, body)
    return membership is not None and membership.is_facilitator


def _pledge(request: HttpRequest, slug: str, pk: int) -> Pledge:
    pledge = get_object_or_404(Pledge.objects.select_related("body"), pk=pk, body__slug=slug)
    if not can_view_pledge(request.user, pledge):
        raise Http404
    return pledge


def _assembly(request: HttpRequest, pledge: Pledge, slug: str) -> Body:
    """An assembly of the pledge named in a form; any other answers as if it did not exist."""
    body = Body.objects.filter(
        slug=slug, pk__in=PledgeAssembly.objects.filter(pledge=pledge).values("body_id")
    ).first()
    if body is None or not (can_view(request.user, body)):
        raise Refused(_("This pledge concerns no assembly by that name."), code="no_body")
    return body


@require_GET
def pledge_list(request: HttpRequest, slug: str) -> HttpResponse:
    body = _viewable_body(request, slug)
    actions.settle_due(body)
    pledges = [p for p in body_pledges(body)[:100] if can_view_pledge(request.user, p)]
    return render(
        request,
        "pledges/pledge_list.html",
        {
            "body": body,
            "pledges": pledges,
            "mine": committed_to(request.user, pledges),
            "facilitator": _facilitates(request, body),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def pledge_create(request: HttpRequest, slug: str) -> HttpResponse:
    body = _viewable_body(request, slug)
    if not _facilitates(request, body):
        raise NotAllowed(_("Only a facilitator of this body can open a pledge."))
    form = forms.PledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        pledge = actions.pledge_open(request.user, body, **form.cleaned_data)
        messages.success(request, _("The pledge is open for commitments."))
        return redirect("pledges:detail", slug=body.slug, pk=pledge.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "pledges/pledge_form.html", {"body": body, "form": form}, status=status)


def _context(request: HttpRequest, pledge: Pledge) -> dict[str, Any]:
    counts = assembly_counts(pledge)
    result = evaluate(thresholds_of(pledge), counts)
    insider = _facilitates(request, pledge.body)
    names = visible_scope_names(request.user, pledge, insider)
    polls = dict(
        PledgeAssembly.objects.filter(pledge=pledge, poll__isnull=False).values_list(
            "body_id", "poll__state"
        )
    )
    rows = sorted(counts, key=lambda c: (-c.people, names.get(c.key, "~"), c.key))
    listed = [
        {
            "name": names.get(c.key),
            "members": c.members,
            "committed": c.people,
            "whole": c.whole,
            "percent": round(100 * c.committed / c.members) if c.members else None,
            "commits": c.key in result.committing,
            "voting": polls.get(c.key) == "open",
        }
        for c in rows
        if c.people or c.key in polls
    ][:LISTED]
    mine = my_assemblies(request.user, pledge)
    commitment = my_commitment(request.user, pledge)
    facilitated = (
        {
            m.body_id
            for m in Membership.objects.filter(
                person=request.user,
                status=Membership.Status.ACTIVE,
                role=Membership.Role.FACILITATOR,
                body__in=mine,
            )
        }
        if mine
        else set()
    )
    whole = {c.key for c in counts if c.whole}
    open_votes = {pk for pk, state in polls.items() if state == "open"}
    bars = [("yes", _("In committing assemblies"), result.people)]
    if pledge.min_people:
        bars.append(("need", _("Needed"), pledge.min_people))
    commitments = sum(c.committed for c in counts)
    return {
        "body": pledge.body,
        "pledge": pledge,
        "result": result,
        "rows": listed,
        "unlisted": len(counts) - len(listed),
        "scope_size": len(counts),
        "mine": mine,
        "committed": commitment is not None,
        "answered": commitment is not None and commitment.answered,
        "can_take": not pledge.past_deadline() and not pledge.is_lapsed,
        "to_decide": [b for b in mine if b.pk in facilitated and b.pk not in whole]
        if pledge.is_open
        else [],
        "open_votes": open_votes,
        "insider": insider,
        "chart": result_bars(bars, _("People committed")),
        "share": share(pledge.kept, commitments),
        "answers": pledge.kept + pledge.not_kept,
        "sectors": _labelled(result.by_sector, sector=True),
        "regions": _labelled(result.by_region, sector=False),
    }


def _labelled(groups: tuple[Group, ...], *, sector: bool) -> list[dict[str, Any]]:
    names = dict(Sector.objects.values_list("slug", "name")) if sector and groups else {}
    return [
        {
            "label": sector_label(g.key, names.get(g.key, "")) if sector else g.key,
            "people": g.people,
            "assemblies": g.assemblies,
        }
        for g in groups
    ]


@require_GET
def pledge_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    pledge = actions.settle_if_due(_pledge(request, slug, pk))
    return render(request, "pledges/pledge_detail.html", _context(request, pledge))


@require_GET
def pledge_live(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The live part of the pledge page (fetched again when its stream says something moved)."""
    pledge = actions.settle_if_due(_pledge(request, slug, pk))
    response = render(request, "pledges/_pledge_live.html", _context(request, pledge))
    response["Cache-Control"] = "no-store"
    return response


async def pledge_events(request: HttpRequest, pk: int) -> HttpResponse:
    """The pledge's Server-Sent Events stream (see :mod:`asamblea.pledges.live`)."""
    return await stream_view(request, channels_for, pk)


@login_required
@require_POST
@handles_refusal
def commit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    pledge = actions.settle_if_due(_pledge(request, slug, pk))
    data = _valid(forms.CommitForm(request.POST))
    assembly = _assembly(request, pledge, data["assembly"]) if data["assembly"] else None
    actions.commit(request.user, pledge, assembly=assembly)
    messages.success(request, _("You committed. Nobody else can see that you did."))
    return redirect("pledges:detail", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    pledge = actions.settle_if_due(_pledge(request, slug, pk))
    actions.withdraw(request.user, pledge)
    messages.success(request, _("Your commitment is withdrawn."))
    return redirect("pledges:detail", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def vote_open(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    pledge = actions.settle_if_due(_pledge(request, slug, pk))
    assembly = _assembly(request, pledge, _valid(forms.AssemblyForm(request.POST))["assembly"])
    poll = actions.pledge_vote_open(request.user, pledge, assembly)
    messages.success(request, _("The members vote on committing the whole assembly."))
    return redirect("voting:detail", slug=assembly.slug, pk=poll.pk)


@login_required
@require_POST
@handles_refusal
def followup_open(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    pledge = actions.settle_if_due(_pledge(request, slug, pk))
    actions.followup_open(request.user, pledge)
    messages.success(request, _("Those who committed are asked whether they took part."))
    return redirect("pledges:detail", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def followup_answer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    pledge = actions.settle_if_due(_pledge(request, slug, pk))
    kept = _valid(forms.AnswerForm(request.POST))["kept"] == "yes"
    actions.followup_answer(request.user, pledge, kept=kept)
    messages.success(request, _("Thank you. Only the count is kept, not your answer."))
    return redirect("pledges:detail", slug=slug, pk=pk)
