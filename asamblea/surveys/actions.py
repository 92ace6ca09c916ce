"""Writes of surveys: open (with its questions and frozen respondents), answer, close.

Each checks rights and writes in one transaction; opening and closing are recorded in the
ledger and published live. Answering records nothing in the ledger and publishes nothing, so
neither times an answer.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import require_facilitator
from asamblea.coordination.queries import base_of, require_facilitator_of_coordination
from asamblea.dates import check_moment
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.surveys.models import Question, Respondent, Response, Survey, SurveyAssembly
from asamblea.surveys.queries import holder

TITLE_MAX = 200
INTRO_MAX = 2000
QUESTION_MAX = 300
OPTION_MAX = 100
MAX_QUESTIONS = 20
MAX_OPTIONS = 20
TEXT_ANSWER_MAX = 500
MAX_AHEAD = timedelta(days=366)


def _require_facilitator_of(person: Person, body: Body) -> None:
    if body.is_assembly:
        require_facilitator(person, body)
    else:
        require_facilitator_of_coordination(person, body)


def _clean_question(raw: dict[str, Any]) -> dict[str, Any]:
    kind = raw.get("kind")
    text = str(raw.get("text") or "").strip()
    if kind not in Question.Kind.values:
        raise Refused(_("Choose a valid kind of question."), code="bad_kind")
    if not text or len(text) > QUESTION_MAX:
        raise Refused(_("Each question needs a text of at most 300 characters."), code="bad_text")
    options: list[Any] = []
    if kind in {"single", "multiple"}:
        options = [str(o).strip() for o in raw.get("options") or [] if str(o).strip()]
        if not 2 <= len(options) <= MAX_OPTIONS or len(set(options)) != len(options):
            raise Refused(
                _("A choice question needs 2 to 20 different options."), code="bad_options"
            )
        if any(len(o) > OPTION_MAX for o in options):
            raise Refused(_("An option is at most 100 characters."), code="bad_options")
    elif kind == "scale":
        high = raw.get("high", 5)
        if not isinstance(high, int) or not 2 <= high <= 10:
            raise Refused(_("A scale goes from 1 to between 2 and 10."), code="bad_scale")
        options = [1, high]
    return {"kind": kind, "text": text, "options": options}


def _scope(body: Body) -> list[int]:
    return [body.pk] if body.is_assembly else sorted(base_of(body))


@transaction.atomic
def survey_open(
    facilitator: Person,
    body: Body,
    *,
    title: str,
    closes_at: datetime,
    questions: list[dict[str, Any]],
    intro: str = "",
    anonymous: bool = True,
) -> Survey:
    """A facilitator sends a survey to the body's members (an assembly), or down to every
    assembly under a coordination. Who may answer (active voting members) is frozen now, each
    as a keyed hash, written in hash order."""
    _require_facilitator_of(facilitator, body)
    title, intro = (title or "").strip(), (intro or "").strip()
    if not title or len(title) > TITLE_MAX or len(intro) > INTRO_MAX:
        raise Refused(
            _("Give the survey a title (at most 200 characters) and a short introduction."),
            code="bad_title",
        )
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise Refused(_("A survey has 1 to 20 questions."), code="bad_questions")
    cleaned = [_clean_question(q) for q in questions]
    check_moment(closes_at, ahead=MAX_AHEAD)
    ids = _scope(body)
    if not ids:
        raise Conflict(_("This coordination has no member assemblies yet."), code="no_scope")
    survey = Survey.objects.create(
        body=body,
        title=title,
        intro=intro,
        anonymous=anonymous,
        closes_at=closes_at,
        opened_by=facilitator,
    )
    Question.objects.bulk_create(
        [Question(survey=survey, position=i, **q) for i, q in enumerate(cleaned)]
    )
    _freeze_scope(survey, ids)
    record(
        body,
        "survey.opened",
        {
            "survey": survey.pk,
            "title": title,
            "by": facilitator.pk,
            "anonymous": anonymous,
            "questions": len(cleaned),
            "electorate": survey.electorate,
            "closes_at": closes_at.isoformat(timespec="seconds"),
        },
    )
    publish_on_commit(f"body:{body.pk}", "survey.opened", {"survey": survey.pk})
    return survey


def _freeze_scope(survey: Survey, ids: list[int]) -> None:
    sectors: dict[int, list[str]] = {pk: [] for pk in ids}
    for body_id, slug in Body.sectors.through.objects.filter(body_id__in=ids).values_list(
        "body_id", "sector__slug"
    ):
        sectors[body_id].append(slug)
    regions = dict(Body.objects.filter(pk__in=ids).values_list("pk", "region"))
    SurveyAssembly.objects.bulk_create(
        [
            SurveyAssembly(
                survey=survey, body_id=pk, sectors=sorted(sectors[pk]), region=regions[pk]
            )
            for pk in ids
        ],
        batch_size=2000,
    )
    first: dict[int, int] = {}
    for person_id, body_id in (
        Membership.objects.filter(
            body_id__in=ids,
            status=Membership.Status.ACTIVE,
            role__in=Membership.VOTING_ROLES,
        )
        .order_by("body_id")
        .values_list("person_id", "body_id")
    ):
        first.setdefault(person_id, body_id)
    respondents = sorted(
        (holder(survey.pk, person_id), body_id) for person_id, body_id in first.items()
    )
    Respondent.objects.bulk_create(
        [Respondent(survey=survey, holder=h, body_id=b) for h, b in respondents], batch_size=2000
    )
    survey.electorate = len(respondents)
    survey.save(update_fields=["electorate"])


def _clean_answer(question: Question, raw: Any) -> Any:
    """One answer, checked against its question; None when left blank."""
    if raw in (None, "", []):
        return None
    bad = Refused(_("One of the answers is not valid: check the form."), code="bad_answer")
    if question.kind == "text":
        text = str(raw).strip()
        if len(text) > TEXT_ANSWER_MAX:
            raise Refused(_("A short answer is at most 500 characters."), code="too_long")
        return text or None
    try:
        if question.kind == "multiple":
            values = sorted({int(v) for v in (raw if isinstance(raw, list) else [raw])})
            if any(not 0 <= v < len(question.options) for v in values):
                raise bad
            return values
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise bad from exc
    allowed = question.scale if question.kind == "scale" else range(len(question.options))
    if value not in allowed:
        raise bad
    return value


@transaction.atomic
def answer(person: Person, survey: Survey, *, raw: dict[str, Any]) -> None:
    """``person`` answers once. Their respondent row's ``answered`` flag flips by a conditional
    UPDATE (a second or concurrent answer changes no row and is refused), and the response is
    written in the same transaction: for an anonymous survey with no person and no time."""
    locked = Survey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
    if not locked.is_open or locked.past_closing_time():
        raise Conflict(_("This survey is closed."), code="closed")
    questions = list(locked.questions.all())
    answers = {}
    for question in questions:
        value = _clean_answer(question, raw.get(str(question.pk)))
        if value is not None:
            answers[str(question.pk)] = value
    mine = Respondent.objects.filter(survey=locked, holder=holder(locked.pk, person.pk))
    respondent = mine.first()
    if respondent is None:
        raise NotAllowed(
            _("This survey was sent to other people: only its members answer it."),
            code="not_concerned",
        )
    if not answers:
        raise Refused(_("Answer at least one question."), code="empty")
    if not mine.filter(answered=False).update(answered=True):
        raise Conflict(_("You have already answered this survey."), code="answered")
    Response.objects.create(
        survey=locked,
        body_id=respondent.body_id,
        person=None if locked.anonymous else person,
        answers=answers,
    )


def _rewrite(survey: Survey) -> None:
    """Rewrite the responses in random order with fresh random ids, and the respondents in
    holder order, in the closing transaction: neither ids, storage order nor (PostgreSQL)
    transaction ids keep the order of answering."""
    responses = list(
        Response.objects.filter(survey=survey).values("body_id", "person_id", "answers")
    )
    random.SystemRandom().shuffle(responses)
    Response.objects.filter(survey=survey).delete()
    Response.objects.bulk_create(
        [Response(survey=survey, **row) for row in responses], batch_size=2000
    )
    respondents = list(
        Respondent.objects.filter(survey=survey)
        .order_by("holder")
        .values("id", "holder", "body_id", "answered")
    )
    Respondent.objects.filter(survey=survey).delete()
    Respondent.objects.bulk_create(
        [Respondent(survey=survey, **row) for row in respondents], batch_size=2000
    )


@transaction.atomic
def survey_close(by: Person | None, survey: Survey) -> Survey:
    """Close the survey (a facilitator of the body, or ``None``: its time passed) and publish
    its results. Locks the survey row: answers in flight finish first, later ones are refused."""
    locked = Survey.objects.select_for_update(of=("self",)).select_related("body").get(pk=survey.pk)
    if by is not None:
        _require_facilitator_of(by, locked.body)
    if not locked.is_open:
        raise Conflict(_("This survey is already closed."), code="closed")
    _rewrite(locked)
    locked.state = Survey.State.CLOSED
    locked.closed_at = timezone.now()
    locked.save(update_fields=["state", "closed_at"])
    responses = Response.objects.filter(survey=locked).count()
    record(
        locked.body,
        "survey.closed",
        {"survey": locked.pk, "by": by.pk if by is not None else None, "responses": responses},
    )
    publish_on_commit(f"body:{locked.body_id}", "survey.closed", {"survey": locked.pk})
    return locked


def close_due(body: Body | None = None) -> int:
    """Close every open survey (of ``body``) whose time passed; ``asamblea close-due`` and the
    survey pages run it. No actor: a system job."""
    due = Survey.objects.filter(state=Survey.State.OPEN, closes_at__lte=timezone.now())
    if body is not None:
        due = due.filter(Q(body=body) | Q(scope__body=body)).distinct()
    closed = 0
    for survey in due.only("pk"):
        try:
            survey_close(None, survey)
            closed += 1
        except Conflict:
            continue
    return closed
