"""Reads of surveys."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.crypto import salted_hmac

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import can_view
from asamblea.coordination.queries import can_view_coordination
from asamblea.surveys.models import Respondent, Response, Survey, SurveyAssembly
from asamblea.surveys.results import QuestionSpec, Row


def holder(survey_id: int, person_id: int) -> str:
    """The keyed hash that stands for a person among a survey's respondents."""
    return salted_hmac(
        "asamblea.surveys.respondent", f"{survey_id}:{person_id}", algorithm="sha256"
    ).hexdigest()


def can_view_survey(person: Visitor, survey: Survey) -> bool:
    body = survey.body
    if can_view(person, body) or (not body.is_assembly and can_view_coordination(person, body)):
        return True
    if person is None or not person.is_authenticated:
        return False
    return Membership.objects.filter(
        person=person,
        status=Membership.Status.ACTIVE,
        body_id__in=SurveyAssembly.objects.filter(survey=survey).values("body_id"),
    ).exists()


def my_respondent(person: Visitor, survey: Survey) -> Respondent | None:
    if person is None or not person.is_authenticated:
        return None
    return Respondent.objects.filter(survey=survey, holder=holder(survey.pk, person.pk)).first()


def body_surveys(body: Body, *, insider: bool = True) -> QuerySet[Survey]:
    """Surveys the body sent, and those sent to it; for a reader who is not one of its members
    (``insider`` False) only those of the body itself or of a public body."""
    concerning = SurveyAssembly.objects.filter(body=body).values("survey_id")
    if not insider:
        concerning = concerning.filter(survey__body__visibility=Body.Visibility.PUBLIC)
    return (
        Survey.objects.filter(Q(body=body) | Q(pk__in=concerning))
        .select_related("body")
        .order_by("-opened_at", "-pk")
    )


def specs(survey: Survey) -> list[tuple[Any, QuestionSpec]]:
    out = []
    for question in survey.questions.all():
        if question.kind == "scale":
            values: tuple[Any, ...] = tuple(question.scale)
        elif question.kind == "text":
            values = ()
        else:
            values = tuple(range(len(question.options)))
        out.append((question, QuestionSpec(str(question.pk), question.kind, values)))
    return out


def rows(survey: Survey) -> list[Row]:
    """Every response with its assembly's frozen sectors and region, in two queries."""
    groups = {
        r["body_id"]: (tuple(r["sectors"] or ()), r["region"])
        for r in SurveyAssembly.objects.filter(survey=survey).values("body_id", "sectors", "region")
    }
    return [
        Row(body_id, *groups.get(body_id, ((), "")), answers)
        for body_id, answers in Response.objects.filter(survey=survey).values_list(
            "body_id", "answers"
        )
    ]


def answered_count(survey: Survey) -> int:
    return Respondent.objects.filter(survey=survey, answered=True).count()
