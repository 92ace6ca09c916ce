from __future__ import annotations

from fractions import Fraction
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from asamblea import ratelimit
from asamblea.bodies.queries import active_membership, can_view, sees_participation, viewable_body
from asamblea.errors import Conflict, Refused
from asamblea.live.http import stream_view
from asamblea.motions.models import Motion
from asamblea.voting import actions, queries, receipt_flash
from asamblea.voting.charts import result_bars
from asamblea.voting.forms import BallotForm, PollForm, ReceiptForm
from asamblea.voting.live import channels_for
from asamblea.voting.models import Ballot, Eligibility, Poll
from asamblea.web import handles_refusal


def _poll(request: HttpRequest, slug: str, pk: int) -> Poll:
    """The poll, if the person may read its body, or is in its electorate.

    Eligibility is the snapshot taken when the vote opened: a member suspended or removed
    afterwards keeps their vote in it (so nobody can change the electorate of an open vote by
    suspending people), and so keeps access to the vote's page, and to nothing else of the body.
    """
    # One query for the body and the poll together: this page is opened by every voter.
    poll = get_object_or_404(Poll.objects.select_related("body", "motion"), body__slug=slug, pk=pk)
    body = poll.body
    if not can_view(request.user, body) and not (
        request.user.is_authenticated
        and Eligibility.objects.filter(poll=poll, person=request.user).exists()
    ):
        raise Http404
    if poll.is_open and poll.is_past_closing_time():
        try:
            poll = actions.poll_close(None, poll)
        except Conflict:
            poll.refresh_from_db()
    return poll


@login_required
@require_POST
@handles_refusal
def poll_open(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    body = viewable_body(request, slug)
    motion = get_object_or_404(Motion, body=body, number=number)
    form = PollForm(request.POST, body=body)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        raise Refused(" ".join(errors))
    poll = actions.poll_open(request.user, body, motion=motion, **form.cleaned_data)
    messages.success(request, _("The vote is open."))
    return redirect("voting:detail", slug=slug, pk=poll.pk)


@login_required
@require_POST
@handles_refusal
def poll_call(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A member calls the vote on a supported motion nobody put to the vote for 72 hours."""
    body = viewable_body(request, slug)
    motion = get_object_or_404(Motion, body=body, number=number)
    poll = actions.poll_call(request.user, motion)
    messages.success(request, _("You called the vote: it is open."))
    return redirect("voting:detail", slug=slug, pk=poll.pk)


def _result_rows(poll: Poll) -> list[tuple[str, str, float]]:
    result = poll.result or {}
    return [
        (key, label, float(Fraction(result.get(key, "0"))))
        for key, label in (("yes", _("Yes")), ("no", _("No")), ("abstain", _("Abstain")))
    ]


def _poll_context(request: HttpRequest, poll: Poll) -> dict[str, Any]:
    """What the vote page and its live part show: progress while open, the result once closed."""
    membership = active_membership(request.user, poll.body)
    eligibility = None
    if request.user.is_authenticated:
        eligibility = Eligibility.objects.filter(poll=poll, person=request.user).first()
    context: dict[str, Any] = {
        "body": poll.body,
        "poll": poll,
        "membership": membership,
        "eligibility": eligibility,
        "progress": queries.participation_counts(poll),
        "form": BallotForm(),
        "receipt_form": ReceiptForm(),
    }
    if not poll.is_open:
        context["chart"] = result_bars(_result_rows(poll), poll.title)
        context["turnout_percent"] = round(float(Fraction(poll.result["turnout"])) * 100, 1)
        if sees_participation(request.user, poll.body):
            took_part = Eligibility.objects.filter(poll=poll, voted=True).select_related("person")
            context["participants"] = sorted(p.person.display_name for p in took_part)
        if not poll.is_secret:
            context["named"] = (
                Ballot.objects.filter(poll=poll)
                .select_related("voter")
                .order_by("voter__display_name")
            )
    return context


@require_GET
def poll_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    poll = _poll(request, slug, pk)
    context = _poll_context(request, poll)
    # Back from a cast without JavaScript: the receipt, shown this once.
    flash = receipt_flash.take(request, "poll", poll.pk)
    eligibility = context["eligibility"]
    if flash is not None and eligibility is not None and eligibility.voted:
        context["just_cast"] = flash
    response = render(request, "voting/poll_detail.html", context)
    return receipt_flash.forget(response, request)


@login_required
@require_POST
@handles_refusal
def ballot_cast(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    poll = _poll(request, slug, pk)
    if not ratelimit.hit("ballot_cast", str(request.user.pk)):
        raise Refused(_("Too many attempts. Wait a minute and try again."), status=429)
    form = BallotForm(request.POST)
    if not form.is_valid():
        raise Refused(_("Choose yes, no or abstain."), code="bad_choice")
    receipt = actions.ballot_cast(request.user, poll, choice=form.cleaned_data["choice"])
    page = reverse("voting:detail", args=[slug, pk])
    return receipt_flash.see_other("poll", poll.pk, receipt.receipt, page)


@login_required
@require_POST
@handles_refusal
def poll_close(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    poll = _poll(request, slug, pk)
    actions.poll_close(request.user, poll)
    messages.success(request, _("The vote is closed and counted."))
    return redirect("voting:detail", slug=slug, pk=pk)


@require_POST
@handles_refusal
def receipt_check(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Whether the ballot of a receipt code is in the box, and whether it was counted.

    By POST, so the code stays out of addresses, proxy logs and browser history; and never the
    choice, so a receipt cannot serve a coercer as proof of how someone voted."""
    poll = _poll(request, slug, pk)
    form = ReceiptForm(request.POST)
    if not form.is_valid():
        raise Refused(_("This receipt code is not valid."), code="bad_receipt")
    queries.receipt_lookup(poll, form.cleaned_data["code"])
    return render(
        request,
        "voting/receipt.html",
        {"body": poll.body, "poll": poll, "counted": not poll.is_open},
    )


@require_GET
def poll_progress(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The live part of the vote page: turnout so far while the vote is open, the result once
    it is closed (fetched again when the vote's event stream says something changed)."""
    poll = _poll(request, slug, pk)
    response = render(request, "voting/_poll_live.html", _poll_context(request, poll))
    response["Cache-Control"] = "no-store"
    return response


async def poll_events(request: HttpRequest, pk: int) -> HttpResponse:
    """The vote's Server-Sent Events stream (see :mod:`asamblea.voting.live`)."""
    return await stream_view(request, channels_for, pk)
