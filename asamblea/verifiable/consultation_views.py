"""Pages and JSON endpoints of a verifiable consultation's own vote: the trustees' setup among
the coordination's delegates, their key ceremony and decryption (the same scripts as a poll's
trustees), the consultation's public board and its download with every assembly's board."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from asamblea.bodies.models import Body
from asamblea.bodies.queries import active_membership
from asamblea.coordination.actions import consultation_close
from asamblea.coordination.models import Consultation
from asamblea.coordination.queries import can_view_coordination, is_delegate, visible_names
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.verifiable import actions, consultations, queries
from asamblea.verifiable.forms import ConsultationSetupForm
from asamblea.verifiable.models import VerifiableVote
from asamblea.verifiable.subjects import Subject
from asamblea.verifiable.views import _body, _person, _trustee_of, json_endpoint
from asamblea.web import form_refusal, handles_refusal


def _consultation(request: HttpRequest, slug: str, pk: int) -> Consultation:
    """The verifiable consultation, if the person may read its coordination (404 otherwise)."""
    coordination = get_object_or_404(Body, slug=slug)
    if coordination.is_assembly or not can_view_coordination(request.user, coordination):
        raise Http404
    consultation = get_object_or_404(
        Consultation.objects.select_related("coordination"),
        coordination=coordination,
        pk=pk,
        verifiable=True,
    )
    if consultation.is_open and consultation.is_past_deadline():
        try:  # past its deadline, a consultation closes when one of its pages is read
            consultation = consultation_close(None, consultation)
        except Conflict:
            consultation.refresh_from_db()
    return consultation


def _require_vote(consultation: Consultation) -> VerifiableVote:
    vote = queries.consultation_vote(consultation)
    if vote is None:
        raise Refused(
            _("This step is not possible at this stage of the vote."),
            code="wrong_phase",
            status=409,
        )
    return vote


def _trustee(request: HttpRequest, consultation: Consultation) -> tuple[Any, VerifiableVote]:
    return _trustee_of(request, queries.consultation_vote(consultation))


def _context(request: HttpRequest, consultation: Consultation) -> dict[str, Any]:
    vote = queries.consultation_vote(consultation)
    membership = active_membership(request.user, consultation.coordination)
    me = queries.me(request.user, Subject(consultation=consultation), vote)
    parts = queries.parts(vote) if vote is not None else []
    insider = membership is not None or is_delegate(request.user, consultation.coordination)
    named = visible_names(request.user, [p.poll.body for p in parts], insider)
    return {
        "body": consultation.coordination,
        "consultation": consultation,
        "vote": vote,
        "phase": queries.phase_of(vote),
        "step": queries.ceremony_step(vote) if vote is not None else None,
        "me": me,
        "is_facilitator": membership is not None and membership.is_facilitator,
        "trustees": queries.trustees(vote) if vote is not None else [],
        # each assembly voting, named only to those who may see it named (as on the result)
        "parts": [(p, named.get(p.poll.body_id, False)) for p in parts],
        "fingerprint": queries.fingerprint(vote).hex() if vote is not None else "",
        "public_key": queries.public_key(vote) if vote is not None else None,
        "questions_json": "[]",
        "lang": get_language(),
    }


@require_GET
def page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consultation = _consultation(request, slug, pk)
    return render(request, "verifiable/consultation.html", _context(request, consultation))


@login_required
@handles_refusal
def setup(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consultation = _consultation(request, slug, pk)
    membership = active_membership(request.user, consultation.coordination)
    if membership is None or not membership.is_facilitator:
        raise NotAllowed(_("Only a facilitator of this coordination can do this."))
    form = ConsultationSetupForm(request.POST or None, consultation=consultation)
    if request.method == "POST":
        if not form.is_valid():
            raise form_refusal(form)
        consultations.consultation_setup(
            _person(request),
            consultation,
            trustees=list(form.cleaned_data["trustees"]),
            threshold=form.cleaned_data["threshold"],
        )
        messages.success(request, _("The trustees can now make the election key."))
        return redirect("verifiable:consultation", slug=slug, pk=pk)
    context = {"body": consultation.coordination, "consultation": consultation, "form": form}
    return render(request, "verifiable/consultation_setup.html", context)


@require_GET
def state_json(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consultation = _consultation(request, slug, pk)
    response = JsonResponse(
        queries.state(
            request.user,
            Subject(consultation=consultation),
            queries.consultation_vote(consultation),
        )
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
@handles_refusal
def trustee_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consultation = _consultation(request, slug, pk)
    _require_vote(consultation)
    context = _context(request, consultation)
    if context["me"] is None or context["me"]["trustee"] is None:
        raise NotAllowed(_("You are not a trustee of this vote."), code="not_trustee")
    args = [consultation.coordination.slug, consultation.pk]
    context["urls"] = {
        name: reverse(f"verifiable:consultation_{name}", args=args)
        for name in (
            "state",
            "trustee_channel",
            "trustee_commit",
            "trustee_key",
            "trustee_complaint",
            "trustee_decrypt",
        )
    }
    return render(request, "verifiable/consultation_trustee.html", context)


@require_GET
def board_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consultation = _consultation(request, slug, pk)
    context = _context(request, consultation)
    vote = context["vote"]
    context["rows"] = queries.board_rows(vote) if vote is not None else []
    return render(request, "verifiable/consultation_board.html", context)


@require_GET
def board_json(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    consultation = _consultation(request, slug, pk)
    vote = queries.consultation_vote(consultation)
    if vote is None:
        raise Http404
    response = JsonResponse(
        queries.consultation_board(vote), json_dumps_params={"separators": (",", ":")}
    )
    response["Content-Disposition"] = (
        f'attachment; filename="board-{consultation.coordination.slug}-k{consultation.pk}.json"'
    )
    response["Cache-Control"] = "no-store"
    return response


# -- the trustees' JSON endpoints --------------------------------------------------------------


@json_endpoint
def trustee_channel(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    person, vote = _trustee(request, _consultation(request, slug, pk))
    data = _body(request)
    actions.trustee_channel(
        person, vote, channel_key=data.get("channel_key"), proof=data.get("proof")
    )
    return {"ok": True}


@json_endpoint
def trustee_commit(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    person, vote = _trustee(request, _consultation(request, slug, pk))
    data = _body(request)
    actions.trustee_commit(
        person, vote, commitment=data.get("commitment"), shares=data.get("shares")
    )
    return {"ok": True}


@json_endpoint
def trustee_key(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    person, vote = _trustee(request, _consultation(request, slug, pk))
    data = _body(request)
    actions.trustee_key(person, vote, key=data.get("key"))
    return {"ok": True}


@json_endpoint
def trustee_complaint(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    person, vote = _trustee(request, _consultation(request, slug, pk))
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
def trustee_decrypt(request: HttpRequest, slug: str, pk: int) -> dict[str, Any]:
    person, vote = _trustee(request, _consultation(request, slug, pk))
    data = _body(request)
    vote = actions.trustee_decrypt(person, vote, partial=data.get("partial"))
    return {"ok": True, "result": vote.phase == VerifiableVote.Phase.RESULT}
