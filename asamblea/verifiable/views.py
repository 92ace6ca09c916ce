"""Pages and JSON endpoints of a verifiable vote (the interface is in docs/verifiable-ballots.md,
"The pages and their scripts"). Thin: read, call one action or a few queries, answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from asamblea import ratelimit
from asamblea.accounts.models import Person
from asamblea.bodies.queries import active_membership, can_view, sees_participation
from asamblea.elections.models import Election
from asamblea.errors import NotAllowed, Refused
from asamblea.verifiable import actions, queries
from asamblea.verifiable.forms import SetupForm
from asamblea.verifiable.models import Trustee, VerifiableVote
from asamblea.verifiable.subjects import Subject
from asamblea.voting.forms import BallotForm
from asamblea.voting.models import Poll
from asamblea.web import form_refusal, handles_refusal

MAX_BODY = 256 * 1024


def _poll(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> Subject:
    """The verifiable poll (or, ``kind`` "election", the verifiable election), if the person
    may read its body or is in its electorate."""
    if kind == "election":
        subject = Subject(
            election=get_object_or_404(
                Election.objects.select_related("body"),
                body__slug=slug,
                pk=pk,
                secrecy=Election.Secrecy.VERIFIABLE,
            )
        )
    else:
        subject = Subject(
            poll=get_object_or_404(
                Poll.objects.select_related("body", "motion"),
                body__slug=slug,
                pk=pk,
                secrecy=Poll.Secrecy.VERIFIABLE,
            )
        )
    if not can_view(request.user, subject.body) and not (
        request.user.is_authenticated and subject.electorate().filter(person=request.user).exists()
    ):
        raise Http404
    return subject


def _vote(poll: Subject) -> VerifiableVote | None:
    vote = queries.vote_of(poll)
    if vote is not None:
        vote = actions.close_if_due(vote)
    return vote


def _require_vote(poll: Subject) -> VerifiableVote:
    vote = _vote(poll)
    if vote is None:
        raise Refused(
            _("This step is not possible at this stage of the vote."),
            code="wrong_phase",
            status=409,
        )
    return vote


JsonView = Callable[..., dict[str, Any]]


def json_endpoint(view: JsonView) -> Callable[..., HttpResponse]:
    """A JSON POST endpoint: a refusal becomes ``{"error": {"code", "message"}}`` with its
    status, never a page or a 500. The view checks who may call it before it reads the body
    (:func:`_body`)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            answer = view(request, *args, **kwargs)
        except Refused as exc:
            return _error(exc)
        response = JsonResponse(answer)
        response["Cache-Control"] = "no-store"
        return response

    return require_POST(wrapper)


def _body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object; bounded in size."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        raise Refused(_("This request is too large."), code="too_large", status=413)
    try:
        data = json.loads(request.body or b"null")
    except ValueError:
        raise Refused(_("This request is not valid JSON."), code="bad_json") from None
    if not isinstance(data, dict):
        raise Refused(_("This request is not valid JSON."), code="bad_json")
    return data


def _error(exc: Refused) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": exc.code, "message": str(exc.message)}}, status=exc.status
    )
    response["Cache-Control"] = "no-store"
    return response


def _voter(request: HttpRequest, poll: Subject) -> Person:
    """The logged-in person, in the poll's (or election's) electorate."""
    person = _person(request)
    if not poll.electorate().filter(person=person).exists():
        raise NotAllowed(_("You are not in the electorate of this vote."), code="not_eligible")
    return person


def _trustee(request: HttpRequest, poll: Subject) -> tuple[Person, VerifiableVote]:
    """The logged-in person, a trustee of the poll's verifiable vote."""
    return _trustee_of(request, queries.vote_of(poll))


def _trustee_of(request: HttpRequest, vote: VerifiableVote | None) -> tuple[Person, VerifiableVote]:
    """The logged-in person, a trustee of ``vote`` (a poll's, an election's or a
    consultation's)."""
    person = _person(request)
    if (
        vote is None
        or not Trustee.objects.filter(vote=vote, person=person, index__isnull=False).exists()
    ):
        raise NotAllowed(_("You are not a trustee of this vote."), code="not_trustee")
    return person, vote


def _person(request: HttpRequest) -> Person:
    if not isinstance(request.user, Person):
        raise NotAllowed(_("Log in to vote."), code="login_required")
    return request.user


def _limit(request: HttpRequest) -> None:
    if not ratelimit.hit("ballot_cast", str(request.user.pk)):
        raise Refused(_("Too many attempts. Wait a minute and try again."), status=429)


# -- pages -----------------------------------------------------------------------------------


def _page_context(
    request: HttpRequest, poll: Subject, vote: VerifiableVote | None
) -> dict[str, Any]:
    membership = active_membership(request.user, poll.body)
    me = queries.me(request.user, poll, vote)
    manifest_questions = (
        (queries.state(request.user, poll, vote)["manifest"] or {}).get("questions", [])
        if vote is not None
        else []
    )
    result = queries.result_counts(vote) if vote is not None else None
    return {
        "body": poll.body,
        "subject": poll,
        "poll": poll.poll,
        "election": poll.election,
        "title": poll.title,
        "urls": poll.urls(),
        "vote": vote,
        "phase": queries.phase_of(vote),
        "step": queries.ceremony_step(vote) if vote is not None else None,
        "membership": membership,
        "me": me,
        "counts": queries.counts(vote),
        "public_key": queries.public_key(vote) if vote is not None else None,
        "fingerprint": queries.fingerprint(vote).hex() if vote is not None else "",
        "questions_json": json.dumps(manifest_questions),
        "trustees": queries.trustees(vote) if vote is not None else [],
        "result": result,
        "result_rows": (
            list(zip(manifest_questions[0]["answers"], result[0], strict=True))
            if result and manifest_questions
            else []
        ),
        "lang": get_language(),
    }


@require_GET
def vote_page(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> HttpResponse:
    poll = _poll(request, slug, pk, kind)
    vote = _vote(poll)
    context = _page_context(request, poll, vote)
    context["form"] = BallotForm()
    if poll.election is not None:
        context |= _election_ballot(poll.election)
    if vote is not None and sees_participation(request.user, poll.body):
        context["registered_people"] = queries.registered_people(vote)
    return render(request, "verifiable/vote.html", context)


@login_required
@handles_refusal
def setup(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> HttpResponse:
    poll = _poll(request, slug, pk, kind)
    membership = active_membership(request.user, poll.body)
    if membership is None or not membership.is_facilitator:
        raise NotAllowed(_("Only a facilitator of this assembly can do this."))
    form = SetupForm(request.POST or None, poll=poll)
    if request.method == "POST":
        if not form.is_valid():
            raise form_refusal(form)
        actions.vote_setup(
            _person(request),
            poll.obj,
            trustees=list(form.cleaned_data["trustees"]),
            threshold=form.cleaned_data["threshold"],
            plain_fallback=form.cleaned_data["plain_fallback"],
        )
        messages.success(request, _("The trustees can now make the election key."))
        return redirect(poll.url("vote"))
    return render(
        request,
        "verifiable/setup.html",
        {"body": poll.body, "title": poll.title, "subject": poll, "form": form},
    )


@login_required
@require_GET
@handles_refusal
def trustee_page(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> HttpResponse:
    poll = _poll(request, slug, pk, kind)
    vote = _require_vote(poll)
    me = queries.me(request.user, poll, vote)
    if me is None or me["trustee"] is None:
        raise NotAllowed(_("You are not a trustee of this vote."), code="not_trustee")
    return render(request, "verifiable/trustee.html", _page_context(request, poll, vote))


@require_GET
def board_page(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> HttpResponse:
    poll = _poll(request, slug, pk, kind)
    vote = _vote(poll)
    context = _page_context(request, poll, vote)
    context["rows"] = queries.board_rows(vote) if vote is not None else []
    tracker = request.GET.get("tracker", "").strip()[:80]
    if tracker and vote is not None:
        context["tracker"] = tracker
        context["tracker_index"] = queries.tracker_index(vote, tracker)
    return render(request, "verifiable/board.html", context)


@require_GET
def board_json(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> HttpResponse:
    poll = _poll(request, slug, pk, kind)
    vote = _vote(poll)
    if vote is None:
        raise Http404
    response = JsonResponse(queries.board(vote), json_dumps_params={"separators": (",", ":")})
    name = f"{poll.body.slug}-{poll.pk}" if kind == "poll" else f"{poll.body.slug}-e{poll.pk}"
    response["Content-Disposition"] = f'attachment; filename="board-{name}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def state_json(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> HttpResponse:
    poll = _poll(request, slug, pk, kind)
    vote = _vote(poll)
    response = JsonResponse(queries.state(request.user, poll, vote))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
@handles_refusal
def open_voting(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> HttpResponse:
    poll = _poll(request, slug, pk, kind)
    actions.voting_open(_person(request), _require_vote(poll))
    messages.success(request, _("Voting is open."))
    return redirect(poll.url("vote"))


@login_required
@require_POST
@handles_refusal
def close_voting(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> HttpResponse:
    poll = _poll(request, slug, pk, kind)
    actions.voting_close(_person(request), _require_vote(poll))
    messages.success(request, _("Voting is closed: the trustees can now decrypt the tally."))
    return redirect(poll.url("board"))


@login_required
@require_POST
@handles_refusal
def cancel(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> HttpResponse:
    poll = _poll(request, slug, pk, kind)
    actions.vote_cancel(_person(request), poll.obj)
    messages.success(request, _("The verifiable vote is cancelled."))
    return redirect(poll.page_url())


def _election_ballot(election: Election) -> dict[str, Any]:
    """What the election's ordinary ballot form (``elections/_ballot.html``) needs: shown on the
    verifiable page to members without JavaScript where the facilitator allowed it."""
    on_ballot = list(election.candidates.filter(position__isnull=False).order_by("position"))
    return {
        "ballot_rows": [
            {"candidate": c, "pos": c.position, "marked": False, "rank": "", "score": ""}
            for c in on_ballot
        ],
        "on_ballot": on_ballot,
    }


# -- JSON endpoints --------------------------------------------------------------------------


@json_endpoint
def register(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> dict[str, Any]:
    poll = _poll(request, slug, pk, kind)
    person = _voter(request, poll)
    data = _body(request)
    _limit(request)
    row = actions.credential_register(
        person, _require_vote(poll), credential=data.get("credential")
    )
    return {"credential": row.credential, "weight": row.weight}


@json_endpoint
def cast(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> dict[str, Any]:
    poll = _poll(request, slug, pk, kind)
    person = _voter(request, poll)
    data = _body(request)
    _limit(request)
    row = actions.ballot_cast(person, _require_vote(poll), ballot=data.get("ballot"))
    return {"tracker": row.tracker, "index": row.index, "head": row.hash}


@json_endpoint
def audit(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> dict[str, Any]:
    poll = _poll(request, slug, pk, kind)
    _voter(request, poll)
    data = _body(request)
    _limit(request)
    return queries.audit(_require_vote(poll), data.get("ballot"), data.get("opening"))


@json_endpoint
def trustee_channel(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> dict[str, Any]:
    person, vote = _trustee(request, _poll(request, slug, pk, kind))
    data = _body(request)
    actions.trustee_channel(
        person, vote, channel_key=data.get("channel_key"), proof=data.get("proof")
    )
    return {"ok": True}


@json_endpoint
def trustee_commit(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> dict[str, Any]:
    person, vote = _trustee(request, _poll(request, slug, pk, kind))
    data = _body(request)
    actions.trustee_commit(
        person, vote, commitment=data.get("commitment"), shares=data.get("shares")
    )
    return {"ok": True}


@json_endpoint
def trustee_key(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> dict[str, Any]:
    person, vote = _trustee(request, _poll(request, slug, pk, kind))
    data = _body(request)
    actions.trustee_key(person, vote, key=data.get("key"))
    return {"ok": True}


@json_endpoint
def trustee_complaint(
    request: HttpRequest, slug: str, pk: int, kind: str = "poll"
) -> dict[str, Any]:
    person, vote = _trustee(request, _poll(request, slug, pk, kind))
    data = _body(request)
    actions.trustee_complaint(
        person,
        vote,
        against=data.get("against"),
        reason=data.get("reason"),
        complaint=data.get("complaint"),
    )
    return {"ok": True}


@json_endpoint
def trustee_decrypt(request: HttpRequest, slug: str, pk: int, kind: str = "poll") -> dict[str, Any]:
    person, vote = _trustee(request, _poll(request, slug, pk, kind))
    data = _body(request)
    vote = actions.trustee_decrypt(person, actions.close_if_due(vote), partial=data.get("partial"))
    return {"ok": True, "result": vote.phase == VerifiableVote.Phase.RESULT}
