"""Pages of coordinating bodies and the coordination page of each member body.

Every page answers in a fixed number of queries whatever the number of member bodies (the tests
count them). Members-only bodies stay private: they answer 404 to outsiders, and in a
coordination's lists their names are shown only to those who may see them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea.accounts.models import Person
from asamblea.bodies.models import Body, Sector
from asamblea.bodies.queries import active_membership, can_view, require_facilitator, viewable_body
from asamblea.coordination import actions, forms
from asamblea.coordination import aggregate as agg
from asamblea.coordination import queries as coordination_queries
from asamblea.coordination.live import channels_for as consultation_channels
from asamblea.coordination.models import (
    AffiliationRequest,
    Backing,
    Consultation,
    ConsultedBody,
    CoordinationVote,
    Delegation,
    Forward,
    ForwardVote,
    Seat,
    Solidarity,
    Statute,
)
from asamblea.coordination.queries import (
    bodies_acting_for,
    body_overview,
    can_view_coordination,
    coordination_agenda,
    coordinations_of,
    find_coordinations,
    is_delegate,
    member_rows,
    pending_forwards,
    require_coordination,
    seat_rows,
    statute_of,
    visible_names,
)
from asamblea.errors import Conflict, Refused
from asamblea.live.http import stream_view
from asamblea.meetings.models import Meeting
from asamblea.motions.models import Motion
from asamblea.voting.actions import close_due_polls
from asamblea.web import handles_refusal


def _form_errors(form: Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _valid(form: Form) -> dict[str, Any]:
    if not form.is_valid():
        raise Refused(_form_errors(form) or _("Check the form and try again."))
    return form.cleaned_data


def viewable_coordination(request: HttpRequest, slug: str) -> Body:
    """The coordinating body at ``slug`` if the person may read it; 404 otherwise (also for an
    assembly's slug), so a members-only coordination is not revealed."""
    body = get_object_or_404(Body, slug=slug)
    if body.is_assembly or not can_view_coordination(request.user, body):
        raise Http404
    return body


def _insider(request: HttpRequest, coordination: Body) -> bool:
    """Facilitators, observers and delegates of the coordination see every member body."""
    return active_membership(request.user, coordination) is not None or is_delegate(
        request.user, coordination
    )


def _body_by_slug(request: HttpRequest, slug: str) -> Body:
    """A body named in a form. One the person may not see answers as if it did not exist."""
    body = Body.objects.filter(slug=slug).first()
    if body is None or not (
        can_view(request.user, body) or can_view_coordination(request.user, body)
    ):
        raise Refused(_("There is no body with this name."), code="no_body")
    return body


# --- Coordinating bodies ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def create(request: HttpRequest) -> HttpResponse:
    form = forms.CoordinationForm(request.POST or None)
    founder = _founding_assembly(request)
    if request.method == "POST" and form.is_valid():
        body = actions.coordination_create(request.user, **form.cleaned_data)
        messages.success(request, _("Coordinating body created."))
        if founder is not None:
            # Joining stays the assembly's decision: show it the new body to propose.
            url = reverse("coordination:body", args=[founder.slug])
            return redirect(f"{url}?{urlencode({'q': body.name})}#find")
        return redirect("coordination:detail", slug=body.slug)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "coordination/create.html", {"form": form, "founder": founder}, status=status
    )


def _founding_assembly(request: HttpRequest) -> Body | None:
    """The assembly named by ``?for=`` when the person is one of its voting members: after
    creating the coordination they are taken to propose that their assembly joins it."""
    slug = request.GET.get("for", "")
    if not slug or len(slug) > 80:
        return None
    body = Body.objects.filter(slug=slug).first()
    if body is None or not body.is_assembly:
        return None
    membership = active_membership(request.user, body)
    return body if membership is not None and membership.can_vote else None


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    coordination = viewable_coordination(request, slug)
    membership = active_membership(request.user, coordination)
    is_facilitator = membership is not None and membership.is_facilitator
    insider = _insider(request, coordination)
    statute = statute_of(coordination)
    rows = list(member_rows(coordination))
    named = visible_names(request.user, [row.member for row in rows], insider)
    agenda = coordination_agenda(coordination, insider)
    forwards = pending_forwards(coordination, insider)
    by_vote = statute.forward_decision == Statute.ForwardDecision.VOTE
    my_bodies = bodies_acting_for(request.user, coordination, by_vote=by_vote)
    context = {
        "body": coordination,
        "membership": membership,
        "is_facilitator": is_facilitator,
        "statute": statute,
        "rows": [(row, named[row.member_id]) for row in rows],
        "agenda": agenda,
        "forwards": forwards,
        "my_bodies": my_bodies,
        "by_vote": by_vote,
        "votes": CoordinationVote.objects.filter(coordination=coordination)[:30],
        "consultations": Consultation.objects.filter(coordination=coordination)[:30],
        "requests": (
            AffiliationRequest.objects.filter(
                coordination=coordination, state=AffiliationRequest.State.DECIDED
            ).select_related("body")
            if is_facilitator
            else []
        ),
        "statute_form": forms.StatuteForm(
            initial={
                "weighting": statute.weighting,
                "forward_threshold": statute.forward_threshold,
                "admission": statute.admission,
                "quorum_percent": coordination.quorum_percent,
                "majority": coordination.majority,
                "recall_hours": statute.recall_hours,
                "divergence_allowed": statute.divergence_allowed,
            }
        )
        if is_facilitator
        else None,
        "consultation_form": forms.ConsultationForm(
            initial={
                "quorum_percent": coordination.quorum_percent,
                "majority": coordination.majority,
            }
        ),
        "vote_form": forms.VoteOpenForm(),
    }
    return render(request, "coordination/detail.html", context)


@login_required
@require_POST
@handles_refusal
def statute(request: HttpRequest, slug: str) -> HttpResponse:
    coordination = viewable_coordination(request, slug)
    data = _valid(forms.StatuteForm(request.POST))
    actions.statute_set(request.user, coordination, **data)
    messages.success(request, _("Statute updated."))
    return redirect("coordination:detail", slug=slug)


@login_required
@require_POST
@handles_refusal
def request_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    coordination = viewable_coordination(request, slug)
    affiliation_request = get_object_or_404(AffiliationRequest, pk=pk, coordination=coordination)
    data = _valid(forms.DecideRequestForm(request.POST))
    actions.affiliation_decide(request.user, affiliation_request, accept=data["accept"])
    messages.success(request, _("Decision recorded."))
    return redirect("coordination:detail", slug=slug)


def _agenda_motion(coordination: Body, number: int) -> Motion:
    return get_object_or_404(Motion, body=coordination, number=number)


@login_required
@require_POST
@handles_refusal
def vote_open(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    coordination = viewable_coordination(request, slug)
    motion = _agenda_motion(coordination, number)
    data = _valid(forms.VoteOpenForm(request.POST))
    vote = actions.vote_open(request.user, coordination, motion, closes_at=data["closes_at"])
    messages.success(request, _("The delegates' vote is open."))
    return redirect("coordination:vote", slug=slug, pk=vote.pk)


def _vote(request: HttpRequest, slug: str, pk: int) -> CoordinationVote:
    coordination = viewable_coordination(request, slug)
    vote = get_object_or_404(
        CoordinationVote.objects.select_related("coordination", "motion"),
        coordination=coordination,
        pk=pk,
    )
    if vote.is_open and vote.is_past_closing_time():
        try:
            vote = actions.vote_close(None, vote)
        except Conflict:
            vote.refresh_from_db()
    return vote


@require_GET
def vote_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Every seat with its body, delegate, mandate and vote; divergence is flagged publicly."""
    vote = _vote(request, slug, pk)
    coordination = vote.coordination
    seats = list(Seat.objects.filter(vote=vote).select_related("body", "delegation__person"))
    named = visible_names(request.user, [s.body for s in seats], _insider(request, coordination))
    rows = seat_rows(vote, seats, named)
    mine = [
        r
        for r in rows
        if r["seat"].delegation and r["seat"].delegation.person_id == request.user.pk
    ]
    membership = active_membership(request.user, coordination)
    context = {
        "body": coordination,
        "vote": vote,
        "rows": rows,
        "mine": [r for r in mine if not r["seat"].has_voted],
        "divergence_allowed": statute_of(coordination).divergence_allowed,
        "form": forms.CastForm(),
        "is_facilitator": membership is not None and membership.is_facilitator,
        "progress": {"seats": len(rows), "voted": sum(1 for r in rows if r["seat"].has_voted)},
    }
    return render(request, "coordination/vote_detail.html", context)


@login_required
@require_POST
@handles_refusal
def vote_cast(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    vote = _vote(request, slug, pk)
    data = _valid(forms.CastForm(request.POST))
    body = _body_by_slug(request, data["body"])
    split = None
    counts = (data["split_yes"], data["split_no"], data["split_abstain"])
    if vote.is_split and None not in counts:
        split = counts
    actions.delegate_cast(request.user, vote, body, choice=data["choice"], split=split)
    messages.success(request, _("Your vote for %(body)s is recorded.") % {"body": body.name})
    return redirect("coordination:vote", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def vote_close(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    vote = _vote(request, slug, pk)
    actions.vote_close(request.user, vote)
    messages.success(request, _("The delegates' vote is closed and counted."))
    return redirect("coordination:vote", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def consultation_open(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    coordination = viewable_coordination(request, slug)
    motion = _agenda_motion(coordination, number)
    data = _valid(forms.ConsultationForm(request.POST))
    consultation = actions.consultation_open(request.user, coordination, motion, **data)
    messages.success(request, _("The motion is put to every assembly."))
    return redirect("coordination:consultation", slug=slug, pk=consultation.pk)


def _consultation(request: HttpRequest, slug: str, pk: int) -> Consultation:
    coordination = viewable_coordination(request, slug)
    consultation = get_object_or_404(
        Consultation.objects.select_related("coordination", "motion"),
        coordination=coordination,
        pk=pk,
    )
    if consultation.is_open and consultation.is_past_deadline():
        try:
            consultation = actions.consultation_close(None, consultation)
        except Conflict:
            consultation.refresh_from_db()
    return consultation


def _progress_context(consultation: Consultation) -> dict[str, Any]:
    counts = coordination_queries.progress_counts(consultation)
    total = agg.progress((r[1], r[2], r[3], r[4]) for r in counts)
    by_sector = agg.progress_by((r[0], r[2], r[3], r[4]) for r in counts)
    by_region = agg.progress_by(([r[1]], r[2], r[3], r[4]) for r in counts)
    names = _sector_names(by_sector)
    by_sector = {names.get(key, key): value for key, value in by_sector.items()}
    return {"total": total, "by_sector": by_sector, "by_region": by_region}


def _sector_names(slugs: Any) -> dict[str, str]:
    """Sector slugs (as frozen in a consultation) to names in the reader's language."""
    return {sector.slug: sector.label for sector in Sector.objects.filter(slug__in=list(slugs))}


def _consultation_context(request: HttpRequest, consultation: Consultation) -> dict[str, Any]:
    """What the consultation page and its live part show: progress, then the result."""
    coordination = consultation.coordination
    context: dict[str, Any] = {
        "body": coordination,
        "consultation": consultation,
        "progress": _progress_context(consultation),
    }
    if consultation.result:
        rows = list(ConsultedBody.objects.filter(consultation=consultation).select_related("body"))
        bodies = {row.body_id: row.body for row in rows}
        members = {b.pk: b for b in Body.objects.filter(pk__in={row.member_of_id for row in rows})}
        named = visible_names(
            request.user,
            list(bodies.values()) + list(members.values()),
            _insider(request, coordination),
        )
        means = {row.body_id: row.get_means_display() for row in rows}
        result = consultation.result

        def label(key: str, table: dict[int, Body]) -> str:
            body = table.get(int(key))
            if body is None:
                return key
            return body.name if named.get(body.pk) else _("A members-only body")

        context["total"] = result["total"]
        context["by_body"] = [
            g | {"label": label(g["key"], bodies), "means": means.get(int(g["key"]), "")}
            for g in result["by_body"]
        ]
        context["by_member"] = [
            g | {"label": label(g["key"], members)} for g in result["by_member"]
        ]
        sectors = _sector_names(g["key"] for g in result["by_sector"])
        context["by_sector"] = [
            g | {"label": sectors.get(g["key"], g["key"])} for g in result["by_sector"]
        ]
        context["by_region"] = result["by_region"]
    membership = active_membership(request.user, coordination)
    context["is_facilitator"] = membership is not None and membership.is_facilitator
    return context


@require_GET
def consultation_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consultation = _consultation(request, slug, pk)
    context = _consultation_context(request, consultation)
    return render(request, "coordination/consultation_detail.html", context)


@require_GET
def consultation_progress(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The live part of the consultation page: progress while open, then the result (fetched
    again when the consultation's event stream says something changed)."""
    consultation = _consultation(request, slug, pk)
    context = _consultation_context(request, consultation)
    response = render(request, "coordination/_consultation_live.html", context)
    response["Cache-Control"] = "no-store"
    return response


async def consultation_events(request: HttpRequest, pk: int) -> HttpResponse:
    """The consultation's Server-Sent Events stream (see :mod:`asamblea.coordination.live`)."""
    return await stream_view(request, consultation_channels, pk)


@login_required
@require_POST
@handles_refusal
def consultation_close(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consultation = _consultation(request, slug, pk)
    actions.consultation_close(request.user, consultation)
    messages.success(request, _("The consultation is closed and counted."))
    return redirect("coordination:consultation", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def back(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    coordination = viewable_coordination(request, slug)
    forward = get_object_or_404(Forward, pk=pk, coordination=coordination)
    data = _valid(forms.BackForm(request.POST))
    body = _body_by_slug(request, data["body"])
    done = actions.forward_back(request.user, forward, body)
    if isinstance(done, ForwardVote):
        messages.success(request, _("Backing this motion is put to a vote of the members."))
        return redirect("voting:detail", slug=body.slug, pk=done.poll_id)
    messages.success(request, _("Your body backs this motion."))
    return redirect("coordination:detail", slug=slug)


# --- The coordination page of a member body --------------------------------------------------


@require_GET
def body_page(request: HttpRequest, slug: str) -> HttpResponse:
    """A body's coordinations, delegates, elections, mandates to decide, the coordinations'
    decisions with its delegates' votes (report-back), consultations and solidarity inbox."""
    body = viewable_body(request, slug)
    membership = active_membership(request.user, body)
    close_due_polls(body)  # a recall due to close closes before the delegates are listed
    overview = body_overview(body)
    coordinations = overview["coordinations"]
    search = forms.CoordinationSearchForm(request.GET or None)
    found: list[Body] = []
    if search.is_bound and search.is_valid():
        joined = {c.pk for c in coordinations}
        found = [
            c
            for c in find_coordinations(request.user, search.cleaned_data["q"])
            if c.pk not in joined and c.pk != body.pk
        ]
    context = overview | {
        "body": body,
        "membership": membership,
        "propose_form": forms.ProposeForm(),
        "search_form": search,
        "found": found,
        "searched": search.is_bound,
        "election_form": forms.ElectionForm(body=body),
        "mandate_form": forms.MandateForm(),
        "decide_form": forms.ConsultationDecideForm(body=body),
        "now": timezone.now(),
    }
    return render(
        request, "coordination/body_page.html", context, status=400 if search.errors else 200
    )


@login_required
@require_POST
@handles_refusal
def propose(request: HttpRequest, slug: str) -> HttpResponse:
    body = viewable_body(request, slug)
    data = _valid(forms.ProposeForm(request.POST))
    coordination = _body_by_slug(request, data["coordination"])
    require_coordination(coordination)
    request_ = actions.affiliation_propose(
        request.user, body, coordination, direction=data["direction"]
    )
    messages.success(request, _("The motion is put to the assembly."))
    return redirect("motions:detail", slug=slug, number=request_.motion.number)


@login_required
@require_POST
@handles_refusal
def election_open(request: HttpRequest, slug: str) -> HttpResponse:
    body = viewable_body(request, slug)
    require_facilitator(request.user, body)
    data = _valid(forms.ElectionForm(request.POST, body=body))
    coordination = _body_by_slug(request, data["coordination"])
    require_coordination(coordination)
    candidates = list(Person.objects.filter(pk__in=data["candidates"]))
    election = actions.election_open(
        request.user,
        body,
        coordination,
        candidates=candidates,
        seats=data["seats"],
        term_days=data["term_days"],
        closes_at=data["closes_at"],
        secrecy=data["secrecy"],
    )
    if election.election_id is not None:
        messages.success(
            request,
            _(
                "The verifiable election is open: choose its trustees and the threshold, then "
                "run its key ceremony, registration and vote on this page."
            ),
        )
        return redirect("elections:detail", slug=slug, pk=election.election_id)
    messages.success(request, _("The election is open: each candidate has a vote."))
    return redirect("coordination:body", slug=slug)


@login_required
@require_POST
@handles_refusal
def recall_open(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    body = viewable_body(request, slug)
    delegation = get_object_or_404(Delegation, pk=pk, body=body)
    recall = actions.recall_open(request.user, delegation)
    messages.success(request, _("The recall is put to a vote of the members."))
    return redirect("voting:detail", slug=slug, pk=recall.poll_id)


@login_required
@require_POST
@handles_refusal
def mandate(request: HttpRequest, slug: str) -> HttpResponse:
    body = viewable_body(request, slug)
    data = _valid(forms.MandateForm(request.POST))
    motion = Motion.objects.filter(pk=data["motion"]).select_related("body").first()
    if motion is None:
        raise Refused(_("There is no such motion."))
    if data["position"] == "vote":
        actions.mandate_vote_open(request.user, body, motion, binding=data["binding"])
        messages.success(request, _("The mandate is put to a vote of the members."))
    else:
        actions.mandate_set(
            request.user, body, motion, position=data["position"], binding=data["binding"]
        )
        messages.success(request, _("Mandate recorded."))
    return redirect("coordination:body", slug=slug)


@login_required
@require_POST
@handles_refusal
def consultation_decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    body = viewable_body(request, slug)
    row = get_object_or_404(ConsultedBody, consultation_id=pk, body=body)
    data = _valid(forms.ConsultationDecideForm(request.POST, body=body))
    if data["means"] == ConsultedBody.Means.MEETING and data["meeting"]:
        meeting = get_object_or_404(Meeting, pk=data["meeting"], body=body)
        actions.consultation_meeting_vote_open(
            request.user, row, meeting, secrecy=data["secrecy"] or "secret"
        )
        messages.success(request, _("The vote is open to the members present."))
        return redirect("meetings:detail", slug=slug, pk=meeting.pk)
    if data["means"] == ConsultedBody.Means.ONLINE:
        poll = actions.consultation_poll_open(
            request.user, row, secrecy=data["secrecy"] or "secret"
        )
        messages.success(request, _("The online vote is open until the deadline."))
        return redirect("voting:detail", slug=slug, pk=poll.pk)
    counts = [data[k] for k in ("yes", "no", "abstain", "present")]
    if None in counts:
        raise Refused(_("Give the yes, no and abstain counts and how many were present."))
    actions.consultation_record(
        request.user,
        row,
        means=data["means"],
        yes=data["yes"],
        no=data["no"],
        abstain=data["abstain"],
        present=data["present"],
        note=data["note"],
    )
    messages.success(request, _("The assembly's decision is recorded."))
    return redirect("coordination:body", slug=slug)


def _own_motion(request: HttpRequest, slug: str, number: int) -> Motion:
    body = viewable_body(request, slug)
    return get_object_or_404(Motion.objects.select_related("body"), body=body, number=number)


@login_required
@require_POST
@handles_refusal
def forward(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    motion = _own_motion(request, slug, number)
    data = _valid(forms.ForwardForm(request.POST))
    coordination = _body_by_slug(request, data["coordination"])
    require_coordination(coordination)
    done = actions.motion_forward(request.user, motion, coordination)
    if isinstance(done, ForwardVote):
        messages.success(request, _("Forwarding the motion is put to a vote of the members."))
        return redirect("voting:detail", slug=slug, pk=done.poll_id)
    messages.success(request, _("The motion is forwarded."))
    return redirect("motions:detail", slug=slug, number=number)


@login_required
@require_POST
@handles_refusal
def solidarity_send(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    motion = _own_motion(request, slug, number)
    data = _valid(forms.SolidarityForm(request.POST))
    actions.solidarity_send(
        request.user, motion, _body_by_slug(request, data["to_body"]), note=data["note"]
    )
    messages.success(request, _("The proposal for solidarity is sent."))
    return redirect("coordination:provenance", slug=slug, number=number)


@login_required
@require_POST
@handles_refusal
def solidarity_answer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    body = viewable_body(request, slug)
    proposal = get_object_or_404(Solidarity, pk=pk, to_body=body)
    data = _valid(forms.AnswerForm(request.POST))
    answered = actions.solidarity_answer(request.user, proposal, take_up=data["take_up"])
    if answered.motion is not None:
        return redirect("motions:detail", slug=slug, number=answered.motion.number)
    messages.success(request, _("The proposal was declined."))
    return redirect("coordination:body", slug=slug)


@require_GET
def provenance(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Where a motion came from, which bodies backed it, and where it went."""
    motion = _own_motion(request, slug, number)
    came_from = (
        Forward.objects.filter(agenda_motion=motion)
        .select_related("origin__body")
        .prefetch_related("backings__body")
        .first()
    )
    solidarity_from = (
        Solidarity.objects.filter(motion=motion).select_related("origin__body").first()
    )
    forwards = list(
        Forward.objects.filter(origin=motion)
        .select_related("coordination", "agenda_motion")
        .prefetch_related("backings__body")
    )
    sent = list(Solidarity.objects.filter(origin=motion).select_related("to_body", "motion"))
    consultations = list(Consultation.objects.filter(motion=motion))
    backers: dict[int, list[Backing]] = defaultdict(list)
    for fwd in ([came_from] if came_from else []) + forwards:
        backers[fwd.pk] = list(fwd.backings.all())
    membership = active_membership(request.user, motion.body)
    context = {
        "body": motion.body,
        "motion": motion,
        "came_from": came_from,
        "solidarity_from": solidarity_from,
        "forwards": forwards,
        "sent": sent,
        "consultations": consultations,
        "membership": membership,
        "forward_form": forms.ForwardForm(),
        "solidarity_form": forms.SolidarityForm(),
        "coordinations": coordinations_of(motion.body),
    }
    return render(request, "coordination/provenance.html", context)
