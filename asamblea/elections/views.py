"""Election pages: create, nominate, consent, open, vote, close, results and downloads."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea import ratelimit
from asamblea.bodies.queries import active_membership, require_facilitator, viewable_body
from asamblea.elections import actions as elections
from asamblea.elections import queries as election_queries
from asamblea.elections.core import count as election_count
from asamblea.elections.core.charts import votes_chart
from asamblea.elections.core.tables import result_table
from asamblea.elections.forms import AnswerForm, ElectionForm, NominationForm, OptionForm
from asamblea.elections.methods.blt import write_blt
from asamblea.elections.models import Candidate, Election, ElectionBallot, Elector
from asamblea.errors import Refused
from asamblea.voting import receipt_flash
from asamblea.voting.forms import ReceiptForm
from asamblea.web import handles_refusal

MAX_BALLOT_FIELDS = 400


def _election(request: HttpRequest, slug: str, pk: int) -> Election:
    body = viewable_body(request, slug)
    return get_object_or_404(Election.objects.select_related("body"), body=body, pk=pk)


def _form_errors(form: Any) -> str:
    return " ".join(str(e) for field in form.errors.values() for e in field)


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def election_create(request: HttpRequest, slug: str) -> HttpResponse:
    body = viewable_body(request, slug)
    require_facilitator(request.user, body)
    form = ElectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            election = elections.election_create(request.user, body, **form.cleaned_data)
        except Refused as refusal:
            # Settings that do not go together (a ranked method, verifiable): the form again,
            # with what the facilitator chose and why not.
            if refusal.status != 400:
                raise
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("Election created. Members can now stand or nominate."))
            return redirect("elections:detail", slug=slug, pk=election.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "elections/election_form.html", {"body": body, "form": form}, status=status
    )


def _candidates(election: Election) -> list[Candidate]:
    return list(election.candidates.select_related("nominated_by").order_by("position", "name"))


def _first(submitted: dict[str, list[str]], name: str, default: str = "") -> str:
    values = submitted.get(name) or [default]
    return values[0]


def _ballot_rows(
    on_ballot: list[Candidate], submitted: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """One row per candidate, with what the person chose if the ballot comes back to fix."""
    marks = submitted.get("mark", [])
    return [
        {
            "candidate": c,
            "pos": c.position,
            "rank": _first(submitted, f"rank_{c.position}"),
            "marked": str(c.position) in marks,
            "score": _first(submitted, f"score_{c.position}"),
            "stance": _first(submitted, f"stance_{c.position}", "consent"),
            "reason": _first(submitted, f"reason_{c.position}"),
        }
        for c in on_ballot
    ]


def _detail_context(
    request: HttpRequest, election: Election, submitted: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body = election.body
    membership = active_membership(request.user, body)
    candidates = _candidates(election)
    elector = None
    if request.user.is_authenticated:
        elector = Elector.objects.filter(election=election, person=request.user).first()
    context: dict[str, Any] = {
        "body": body,
        "election": election,
        "membership": membership,
        "candidates": candidates,
        "on_ballot": [c for c in candidates if c.on_ballot],
        "mine": [c for c in candidates if c.person_id and c.person_id == request.user.pk],
        "elector": elector,
        "progress": election_queries.participation(election),
        "receipt_form": ReceiptForm(),
    }
    if election.is_nominating and membership is not None and membership.can_vote:
        context["nomination_form"] = NominationForm(body=body)
        context["option_form"] = OptionForm()
    context["ballot_rows"] = _ballot_rows(context["on_ballot"], submitted or {})
    context["rank_choices"] = [str(i) for i in range(1, len(context["on_ballot"]) + 1)]
    context["score_choices"] = [str(i) for i in range(0, election.max_score + 1)]
    return context


@require_GET
def election_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    election = _election(request, slug, pk)
    context = _detail_context(request, election)
    # Back from a cast without JavaScript: the receipt, shown this once.
    flash = receipt_flash.take(request, "election", election.pk)
    if flash is not None and context.get("elector") is not None and context["elector"].voted:
        context["just_cast"] = flash
    response = render(request, "elections/election_detail.html", context)
    return receipt_flash.forget(response, request)


@login_required
@require_POST
@handles_refusal
def nominate(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    election = _election(request, slug, pk)
    form = NominationForm(request.POST, body=election.body)
    if not form.is_valid():
        raise Refused(_("Choose a member of this assembly to nominate."), code="bad_nominee")
    candidate = elections.nominate(
        request.user,
        election,
        nominee=form.cleaned_data["nominee"],
        statement=form.cleaned_data["statement"],
    )
    if candidate.status == Candidate.Status.ACCEPTED:
        messages.success(request, _("You are standing in this election."))
    else:
        messages.success(request, _("Nomination recorded. It waits for the nominee's consent."))
    return redirect("elections:detail", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def option_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    election = _election(request, slug, pk)
    form = OptionForm(request.POST)
    if not form.is_valid():
        raise Refused(_("An option needs a name of at most 120 characters."), code="bad_option")
    elections.option_add(request.user, election, name=form.cleaned_data["name"])
    messages.success(request, _("Option added."))
    return redirect("elections:detail", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def nomination_answer(request: HttpRequest, slug: str, pk: int, candidate: int) -> HttpResponse:
    election = _election(request, slug, pk)
    row = get_object_or_404(Candidate, election=election, pk=candidate)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        raise Refused(_("Answer accept or decline."), code="bad_answer")
    accept = form.cleaned_data["answer"] == "accept"
    elections.nomination_answer(request.user, row, accept=accept)
    if accept:
        messages.success(request, _("You are standing in this election."))
    else:
        messages.success(request, _("You are not standing in this election."))
    return redirect("elections:detail", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def voting_open(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    election = _election(request, slug, pk)
    elections.voting_open(request.user, election)
    messages.success(request, _("Nominations are closed and voting is open."))
    return redirect("elections:detail", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def ballot_cast(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    election = _election(request, slug, pk)
    if not ratelimit.hit("ballot_cast", str(request.user.pk)):
        raise Refused(_("Too many attempts. Wait a minute and try again."), status=429)
    if len(request.POST) > MAX_BALLOT_FIELDS:
        raise Refused(_("This ballot is too large to read."), code="ballot_oversized")
    submitted = {
        key: values for key, values in request.POST.lists() if key != "csrfmiddlewaretoken"
    }
    try:
        receipt = elections.ballot_cast(request.user, election, form=submitted)
    except Refused as refusal:
        if not refusal.code.startswith("ballot_"):
            raise
        return ballot_again(request, election, submitted, refusal)
    page = reverse("elections:detail", args=[slug, pk])
    return receipt_flash.see_other("election", election.pk, receipt.receipt, page)


def ballot_again(
    request: HttpRequest,
    election: Election,
    submitted: dict[str, list[str]],
    refusal: Refused,
) -> HttpResponse:
    """The ballot page again, with what the person chose and what to fix (``400``): the answer
    to a ballot refused for its content, from this form and from the lean endpoint's."""
    context = _detail_context(request, election, submitted)
    context["ballot_error"] = refusal.message
    return render(request, "elections/election_detail.html", context, status=400)


@login_required
@require_POST
@handles_refusal
def election_close(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    election = _election(request, slug, pk)
    elections.election_close(request.user, election)
    messages.success(request, _("Voting is closed and the ballots are counted."))
    return redirect("elections:result", slug=slug, pk=pk)


@require_POST
@handles_refusal
def receipt_check(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Whether the ballot of a receipt code is in the box, and whether it was counted: by
    POST (the code stays out of addresses and logs), never what the ballot says."""
    election = _election(request, slug, pk)
    form = ReceiptForm(request.POST)
    if not election.is_secret or not form.is_valid():
        raise Refused(_("This receipt code is not valid."), code="bad_receipt")
    election_queries.receipt_lookup(election, form.cleaned_data["code"])
    return render(
        request,
        "elections/receipt.html",
        {"body": election.body, "election": election, "counted": election.is_closed},
    )


def describe_ballot(election: Election, content: str, names: list[str]) -> list[str]:
    """A ballot's choices as lines a person can read (for named results)."""
    data = json.loads(content)
    if "ranks" in data:
        return [
            f"{i}. {' = '.join(names[c] for c in rank)}"
            for i, rank in enumerate(data["ranks"], start=1)
        ]
    if "marks" in data:
        return [names[c] for c in data["marks"]]
    if "scores" in data:
        return [f"{names[c]}: {score}" for c, score in enumerate(data["scores"])]
    stance_names = _stance_names()
    return [
        f"{names[c]}: {stance_names.get(stance, stance)}{' — ' + reason if reason else ''}"
        for c, (stance, reason) in enumerate(data["stances"])
    ]


def _stance_names() -> dict[str, str]:
    return {"consent": _("consent"), "stand aside": _("stand aside"), "object": _("object")}


def _reasons() -> dict[str, str]:
    """The counting core's reasons (English, from the published rules) in the page's language."""
    return {
        "rule 45": _("first preferences (rule 45)"),
        "highest surplus (rule 49)": _("highest surplus (rule 49)"),
        "equal highest surplus (rule 49)": _("equal highest surplus (rule 49)"),
        "lowest votes (rule 50)": _("fewest votes (rule 50)"),
        "equal lowest votes (rule 51)": _("equal fewest votes (rule 51)"),
        "reached the quota (rule 47)": _("reached the quota (rule 47)"),
        "continuing candidates no more than the vacancies left (rule 52)": _(
            "continuing candidates no more than the vacancies left (rule 52)"
        ),
        "a candidate reached the quota": _("a candidate reached the quota"),
        "total surplus below 0.0001": _("total surplus below 0.0001"),
        "total surplus stopped falling": _("total surplus stopped falling"),
        "iteration limit reached": _("iteration limit reached"),
        "reached the quota": _("reached the quota"),
        "hopeful candidates no more than the seats left": _(
            "hopeful candidates no more than the seats left"
        ),
        "more than half of the continuing votes": _("more than half of the continuing votes"),
        "the only continuing candidate": _("the only continuing candidate"),
        "no majority: the candidate with the fewest votes is excluded": _(
            "no majority: the candidate with the fewest votes is excluded"
        ),
        "most recent earlier stage at which the tied candidates differed": _(
            "most recent earlier stage at which the tied candidates differed"
        ),
        "first stage at which the tied candidates differed": _(
            "first stage at which the tied candidates differed"
        ),
        "preferences of ballots drawn by the seeded draw": _(
            "preferences of ballots drawn by the seeded draw"
        ),
        "seeded draw by lot": _("seeded draw by lot"),
    }


def _translate(table: Any) -> None:
    reasons = _reasons()
    for event in table.events:
        event.reason = reasons.get(event.reason, event.reason)
        for english, translated in reasons.items():
            event.tie = event.tie.replace(f"({english})", f"({translated})")


def _closed(request: HttpRequest, slug: str, pk: int) -> Election:
    election = _election(request, slug, pk)
    if not election.is_closed:
        raise Refused(
            _("The result is published when voting closes."), code="not_closed", status=404
        )
    return election


@require_GET
@handles_refusal
def election_result(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    election = _closed(request, slug, pk)
    assert election.result is not None
    names = election_queries.ballot_names(election)
    table = result_table(election.method, election.result["trace"], names)
    _translate(table)
    named = None
    if not election.is_secret:
        named = [
            (
                ballot.voter.display_name if ballot.voter else "",
                describe_ballot(election, ballot.content, names),
            )
            for ballot in ElectionBallot.objects.filter(election=election)
            .select_related("voter")
            .order_by("voter__display_name")
        ]
    context = {
        "body": election.body,
        "election": election,
        "membership": active_membership(request.user, election.body),
        "winners": election_queries.winners(election),
        "table": table,
        "chart": votes_chart(table, election.title),
        "named": named,
        "has_blt": election.is_ranked,
        "names": names,
        "breakdown": _breakdown(election.result, names),
    }
    return render(request, "elections/election_result.html", context)


def _breakdown(result: dict[str, Any], names: list[str]) -> list[tuple[str, int, int]]:
    """A verifiable election's votes per candidate, encrypted (decrypted by its trustees) and
    ordinary (the ballots of members without JavaScript, where allowed), shown apart."""
    verifiable = result.get("verifiable")
    if not verifiable or verifiable.get("counts") is None:
        return []
    ordinary = result.get("ordinary_votes") or [0] * len(names)
    return list(zip(names, verifiable["counts"], ordinary, strict=True))


def _download(content: str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(election: Election, suffix: str) -> str:
    return f"{slugify(election.title)[:40] or 'election'}-{election.pk}-{suffix}"


@require_GET
@handles_refusal
def result_json(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The result with the counting core's full trace, the seed and the ballots' digest."""
    election = _closed(request, slug, pk)
    data = {
        "election": election.pk,
        "title": election.title,
        "candidates": election_queries.ballot_names(election),
        "seats": election.seats,
        "secrecy": election.secrecy,
        "result": election.result,
    }
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    return _download(text, _filename(election, "result.json"), "application/json")


@require_GET
@handles_refusal
def ballots_json(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Every ballot as stored (secret: no ids, no voters, in the order shuffled at closing)."""
    election = _closed(request, slug, pk)
    rows = ElectionBallot.objects.filter(election=election).select_related("voter")
    ballots: list[dict[str, Any]] = []
    for ballot in rows:
        entry: dict[str, Any] = {"ballot": json.loads(ballot.content), "weight": ballot.weight}
        if not election.is_secret and ballot.voter is not None:
            entry["voter"] = ballot.voter.display_name
        ballots.append(entry)
    if not election.is_secret:
        ballots.sort(key=lambda entry: entry.get("voter", ""))
    data = {
        "election": election.pk,
        "title": election.title,
        "method": election.method,
        "seats": election.seats,
        "max_score": election.max_score,
        "candidates": election_queries.ballot_names(election),
        "seed": election.seed,
        "ballots_sha256": (election.result or {}).get("ballots_sha256"),
        "ballots": ballots,
    }
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    return _download(text, _filename(election, "ballots.json"), "application/json")


@require_GET
@handles_refusal
def ballots_blt(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The ballots in the BLT format (ranked methods), identical ballots grouped."""
    election = _closed(request, slug, pk)
    if not election.is_ranked:
        raise Http404
    blt = election_count.to_blt(
        election.title,
        election_queries.ballot_names(election),
        election.seats,
        election.method,
        election_queries.stored_ballots(election),
    )
    return _download(
        write_blt(blt), _filename(election, "ballots.blt"), "text/plain; charset=utf-8"
    )
