"""Pages of surveys. A survey nobody may read answers 404; results appear once it closes."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea.bodies.models import Body, Membership, Sector, sector_label
from asamblea.bodies.queries import active_membership, can_view
from asamblea.coordination.queries import can_view_coordination
from asamblea.errors import NotAllowed, Refused
from asamblea.surveys import actions, forms
from asamblea.surveys.models import Question, Response, Survey, SurveyAssembly
from asamblea.surveys.queries import (
    answered_count,
    body_surveys,
    can_view_survey,
    my_respondent,
    rows,
    specs,
)
from asamblea.surveys.results import MIN_GROUP, breakdown, mean, tally
from asamblea.voting.charts import result_bars
from asamblea.web import handles_refusal


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


def _survey(request: HttpRequest, slug: str, pk: int) -> Survey:
    survey = get_object_or_404(Survey.objects.select_related("body"), pk=pk, body__slug=slug)
    if not can_view_survey(request.user, survey):
        raise Http404
    if survey.is_open and survey.past_closing_time():
        actions.close_due(survey.body)
        survey.refresh_from_db()
    return survey


@require_GET
def survey_list(request: HttpRequest, slug: str) -> HttpResponse:
    body = _viewable_body(request, slug)
    actions.close_due(body)
    surveys = [s for s in body_surveys(body)[:100] if can_view_survey(request.user, s)]
    return render(
        request,
        "surveys/survey_list.html",
        {"body": body, "surveys": surveys, "facilitator": _facilitates(request, body)},
    )


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def survey_create(request: HttpRequest, slug: str) -> HttpResponse:
    body = _viewable_body(request, slug)
    if not _facilitates(request, body):
        raise NotAllowed(_("Only a facilitator of this body can send a survey."))
    form = forms.SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survey = actions.survey_open(request.user, body, **form.action_kwargs())
        messages.success(request, _("The survey is sent."))
        return redirect("surveys:detail", slug=body.slug, pk=survey.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "surveys/survey_form.html",
        {"body": body, "form": form, "slots": range(1, forms.SLOTS + 1)},
        status=status,
    )


def _names(request: HttpRequest, survey: Survey, insider: bool) -> dict[int, str]:
    ids = SurveyAssembly.objects.filter(survey=survey).values("body_id")
    mine: set[int] = set()
    if request.user.is_authenticated and not insider:
        mine = set(
            Membership.objects.filter(
                person=request.user, status=Membership.Status.ACTIVE, body_id__in=ids
            ).values_list("body_id", flat=True)
        )
    return {
        pk: name
        for pk, name, visibility in Body.objects.filter(pk__in=ids).values_list(
            "pk", "name", "visibility"
        )
        if insider or visibility == Body.Visibility.PUBLIC or pk in mine
    }


def _results(request: HttpRequest, survey: Survey, insider: bool) -> list[dict[str, Any]]:
    found = rows(survey)
    names = _names(request, survey, insider)
    sectors = dict(Sector.objects.values_list("slug", "name"))
    hidden = _("An assembly (members only)")
    out = []
    for question, spec in specs(survey):
        result = tally(spec, found)
        item: dict[str, Any] = {"question": question, "tally": result}
        if question.kind != Question.Kind.TEXT:
            labels = _labels(question)
            item["counts"] = [(labels[v], result.counts[v]) for v in spec.values]
            item["chart"] = result_bars(
                [(str(v), labels[v], result.counts[v]) for v in spec.values], question.text
            )
            item["mean"] = mean(result) if question.kind == Question.Kind.SCALE else None
            item["labels"] = [labels[v] for v in spec.values]
            item["groups"] = [
                (
                    _("By assembly"),
                    _group_rows(
                        breakdown(spec, found, "assembly"), spec, lambda k: names.get(k, hidden)
                    ),
                ),
                (
                    _("By sector"),
                    _group_rows(
                        breakdown(spec, found, "sector"),
                        spec,
                        lambda k: sector_label(k, sectors.get(k, "")),
                    ),
                ),
                (_("By region"), _group_rows(breakdown(spec, found, "region"), spec, str)),
            ]
        out.append(item)
    return out


def _labels(question: Question) -> dict[Any, str]:
    if question.kind == Question.Kind.SCALE:
        return {v: str(v) for v in question.scale}
    return dict(enumerate(question.options))


def _group_rows(groups: list[Any], spec: Any, label: Any) -> list[dict[str, Any]]:
    return [
        {
            "label": label(g.key),
            "responses": g.responses,
            "counts": None if g.counts is None else [g.counts[v] for v in spec.values],
        }
        for g in groups
    ]


def _named_answers(survey: Survey) -> list[dict[str, Any]]:
    questions = list(survey.questions.all())
    out = []
    for response in (
        Response.objects.filter(survey=survey, person__isnull=False)
        .select_related("person", "body")
        .order_by("person__display_name", "person_id")
    ):
        cells = []
        for question in questions:
            value = response.answers.get(str(question.pk))
            labels = _labels(question)
            if value is None:
                cells.append("")
            elif question.kind == Question.Kind.MULTIPLE:
                cells.append(", ".join(labels.get(v, "?") for v in value))
            elif question.kind == Question.Kind.TEXT:
                cells.append(value)
            else:
                cells.append(labels.get(value, "?"))
        out.append({"person": response.person, "body": response.body, "cells": cells})
    return out


@require_GET
def survey_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey(request, slug, pk)
    insider = _facilitates(request, survey.body)
    respondent = my_respondent(request.user, survey)
    questions = list(survey.questions.all())
    context: dict[str, Any] = {
        "body": survey.body,
        "survey": survey,
        "questions": questions,
        "respondent": respondent,
        "answered": answered_count(survey),
        "insider": insider,
        "min_group": MIN_GROUP,
    }
    if survey.is_open and respondent is not None and not respondent.answered:
        context["form"] = forms.answer_form(questions)
    if not survey.is_open:
        context["results"] = _results(request, survey, insider)
        members = active_membership(request.user, survey.body)
        if not survey.anonymous and (insider or members is not None):
            context["named"] = _named_answers(survey)
    return render(request, "surveys/survey_detail.html", context)


@login_required
@require_POST
@handles_refusal
def survey_answer(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey(request, slug, pk)
    questions = list(survey.questions.all())
    form = forms.answer_form(questions, request.POST)
    if not form.is_valid():
        raise Refused(_("One of the answers is not valid: check the form."), code="bad_answer")
    raw = {str(q.pk): form.cleaned_data.get(f"q{q.pk}") for q in questions}
    actions.answer(request.user, survey, raw=raw)
    messages.success(request, _("Thank you: your answers are in."))
    return redirect("surveys:detail", slug=slug, pk=pk)


@login_required
@require_POST
@handles_refusal
def survey_close(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey(request, slug, pk)
    actions.survey_close(request.user, survey)
    messages.success(request, _("The survey is closed: its results are published."))
    return redirect("surveys:detail", slug=slug, pk=pk)


@require_GET
@handles_refusal
def survey_csv(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The results as CSV: counts per question and option, overall and per assembly, sector
    and region (groups under 5 responses suppressed), and the short texts (sorted). Never one
    row per person."""
    survey = _survey(request, slug, pk)
    if survey.is_open:
        raise Refused(
            _("The results are published when the survey closes."), code="open", status=409
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(["question", "answer", "group", "group_name", "responses", "count"])
    for item in _results(request, survey, _facilitates(request, survey.body)):
        question = item["question"]
        if question.kind == Question.Kind.TEXT:
            for text in item["tally"].texts:
                writer.writerow([question.text, _safe(text), "all", "", "", 1])
            continue
        for label, count in item["counts"]:
            writer.writerow(
                [question.text, _safe(label), "all", "", item["tally"].responses, count]
            )
        for kind, (_title, groups) in zip(
            ("assembly", "sector", "region"), item["groups"], strict=True
        ):
            for group in groups:
                for index, label in enumerate(item["labels"]):
                    count = "" if group["counts"] is None else group["counts"][index]
                    writer.writerow(
                        [
                            question.text,
                            _safe(label),
                            kind,
                            group["label"],
                            group["responses"],
                            count,
                        ]
                    )
    return response


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in what people typed (CSV injection)."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
