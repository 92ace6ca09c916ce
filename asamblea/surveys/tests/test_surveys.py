"""Surveys through their actions and pages: sending, answering once, results at closing with
breakdowns, CSV, named and anonymous, bad input."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.surveys import actions
from asamblea.surveys.models import Respondent, Response, Survey
from asamblea.testing import db_state, join, make_person

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"kind": "single", "text": "¿Huelga?", "options": ["Sí", "No"]},
    {"kind": "multiple", "text": "¿Qué necesitamos?", "options": ["Buses", "Comida", "Techo"]},
    {"kind": "scale", "text": "¿Cuánta fuerza?", "high": 5},
    {"kind": "text", "text": "Algo más"},
]


def send(fed, body=None, **extra):
    return actions.survey_open(
        fed.cora if body is None else fed.alice,
        fed.federation if body is None else body,
        title="Antes del congreso",
        closes_at=timezone.now() + timedelta(days=2),
        questions=QUESTIONS,
        **extra,
    )


def raw(survey, *values):
    return {str(q.pk): v for q, v in zip(survey.questions.all(), values, strict=False)}


def url(survey, name="detail"):
    return reverse(f"surveys:{name}", args=[survey.body.slug, survey.pk])


def test_a_coordination_survey_goes_to_every_member_of_its_assemblies(fed):
    survey = send(fed)
    # North: alice, bob, carol (not the observer); South: frank.
    assert survey.electorate == 4
    assert Respondent.objects.filter(survey=survey).count() == 4
    holders = list(Respondent.objects.filter(survey=survey).values_list("holder", flat=True))
    assert holders == sorted(holders)


def test_a_member_answers_once_and_an_observer_or_outsider_not_at_all(fed):
    survey = send(fed)
    actions.answer(fed.bob, survey, raw=raw(survey, 0, [0, 2], 4, "Fuerza"))
    before = db_state()
    with pytest.raises(Conflict):
        actions.answer(fed.bob, survey, raw=raw(survey, 1))
    for person in (fed.olivia, fed.oscar, fed.cora):
        with pytest.raises(NotAllowed):
            actions.answer(person, survey, raw=raw(survey, 1))
    assert db_state() == before
    [response] = Response.objects.filter(survey=survey)
    assert response.person_id is None and response.body_id == fed.north.pk


@pytest.mark.parametrize(
    "values",
    [
        (5,),  # no such option
        ("x",),
        (None, [0, 9]),
        (None, None, 6),  # outside the scale
        (None, None, None, "x" * 501),
        (),  # nothing answered
    ],
)
def test_bad_answers_are_refused_and_change_nothing(fed, values):
    survey = send(fed)
    before = db_state()
    with pytest.raises(Refused):
        actions.answer(fed.bob, survey, raw=raw(survey, *values))
    assert db_state() == before


@pytest.mark.parametrize(
    "questions",
    [
        [],
        [{"kind": "poll", "text": "x"}],
        [{"kind": "single", "text": "x", "options": ["solo"]}],
        [{"kind": "single", "text": "x", "options": ["a", "a"]}],
        [{"kind": "scale", "text": "x", "high": 11}],
        [{"kind": "text", "text": ""}],
        [{"kind": "text", "text": "x"}] * 21,
    ],
)
def test_bad_surveys_are_refused_and_change_nothing(fed, questions):
    before = db_state()
    with pytest.raises(Refused):
        actions.survey_open(
            fed.cora,
            fed.federation,
            title="x",
            closes_at=timezone.now() + timedelta(days=1),
            questions=questions,
        )
    assert db_state() == before


def test_only_the_bodys_facilitator_sends_or_closes_a_survey(fed):
    with pytest.raises(NotAllowed):
        send(fed, body=fed.south)  # alice does not facilitate South
    survey = send(fed)
    for person in (fed.alice, fed.bob):
        with pytest.raises(NotAllowed):
            actions.survey_close(person, survey)
    actions.survey_close(fed.cora, survey)
    with pytest.raises(Conflict):
        actions.survey_close(fed.cora, survey)
    with pytest.raises(Conflict):
        actions.answer(fed.bob, survey, raw=raw(survey, 0))


def test_results_appear_at_closing_with_small_groups_suppressed(fed):
    for i in range(5):
        join(make_person(f"s{i}"), fed.south)
    survey = send(fed)
    people = [fed.bob, fed.carol] + [p.person for p in fed.south.memberships.all()]
    from asamblea.accounts.models import Person

    for person in people:
        actions.answer(
            Person.objects.get(pk=person.pk), survey, raw=raw(survey, 0, [1], 3, "Vamos")
        )
    client = fed.client(fed.bob)
    page = client.get(url(survey)).content.decode()
    assert "The results are published when the survey closes." in page
    assert client.get(url(survey, "csv")).status_code == 409
    Survey.objects.filter(pk=survey.pk).update(closes_at=timezone.now())
    page = client.get(url(survey)).content.decode()
    assert 'id="results"' in page and '<svg class="chart"' in page
    assert "Mean: 3.0" in page and "fewer than 5 answers" in page
    rows = list(csv.reader(io.StringIO(client.get(url(survey, "csv")).content.decode())))
    assert ["¿Huelga?", "Sí", "all", "", "8", "8"] in rows
    assert ["¿Huelga?", "Sí", "assembly", "South", "6", "6"] in rows
    assert ["¿Huelga?", "Sí", "assembly", "North", "2", ""] in rows  # suppressed
    assert ["Algo más", "Vamos", "all", "", "", "1"] in rows
    assert not any("Bob" in cell for row in rows for cell in row)


def test_a_named_survey_shows_who_answered_what_to_the_bodys_members(fed):
    survey = send(fed, body=fed.north, anonymous=False)
    actions.answer(fed.bob, survey, raw=raw(survey, 1, [0], 2, "Nada"))
    actions.survey_close(fed.alice, survey)
    assert Response.objects.get(survey=survey).person_id == fed.bob.pk
    page = fed.client(fed.carol).get(url(survey)).content.decode()
    assert "Who answered what" in page and "Bob" in page


def test_the_answer_form_works_without_javascript(fed):
    survey = send(fed)
    questions = list(survey.questions.all())
    client = fed.client(fed.bob)
    page = client.get(url(survey)).content.decode()
    assert 'id="survey-form"' in page
    data = {
        f"q{questions[0].pk}": "0",
        f"q{questions[1].pk}": ["0", "2"],
        f"q{questions[2].pk}": "5",
        f"q{questions[3].pk}": "Vamos",
    }
    assert client.post(url(survey, "answer"), data).status_code == 302
    assert client.post(url(survey, "answer"), data).status_code == 409
    page = client.get(url(survey)).content.decode()
    assert 'id="survey-answered"' in page and 'id="survey-form"' not in page
    assert Response.objects.get().answers[str(questions[1].pk)] == [0, 2]


def test_a_bad_answer_form_is_answered_400_and_changes_nothing(fed):
    survey = send(fed)
    question = survey.questions.first()
    client = fed.client(fed.bob)
    before = db_state()
    for data in ({f"q{question.pk}": "7"}, {f"q{question.pk}": "x"}, {}):
        assert client.post(url(survey, "answer"), data).status_code == 400
    assert db_state() == before


def test_a_facilitator_sends_a_survey_from_the_form(fed):
    closes = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client = fed.client(fed.alice)
    form = reverse("surveys:create", args=[fed.north.slug])
    assert client.get(form).status_code == 200
    response = client.post(
        form,
        {
            "title": "Local",
            "anonymous": "on",
            "closes_at": closes,
            "q1_kind": "single",
            "q1_text": "¿Dónde?",
            "q1_options": "Plaza\nMercado",
            "q2_kind": "scale",
            "q2_text": "¿Cuánto?",
            "q2_high": "4",
        },
    )
    survey = Survey.objects.get()
    assert response["Location"] == url(survey)
    assert [q.options for q in survey.questions.all()] == [["Plaza", "Mercado"], [1, 4]]
    bad = client.post(form, {"title": "Local", "closes_at": closes})
    assert bad.status_code == 400 and Survey.objects.count() == 1


def test_a_members_only_coordinations_survey_is_not_shown_on_a_public_assemblys_page(fed):
    from asamblea.coordination.actions import coordination_create
    from asamblea.testing import affiliate

    hidden = coordination_create(
        fed.cora, name="Hidden", kind="regional_coordination", visibility="members"
    )
    affiliate(fed.south, hidden)
    actions.survey_open(
        fed.cora,
        hidden,
        title="Secreta",
        closes_at=timezone.now() + timedelta(days=2),
        questions=QUESTIONS,
    )
    south = reverse("bodies:detail", args=[fed.south.slug])
    assert "Secreta" not in fed.client(None).get(south).content.decode()
    assert "Secreta" in fed.client(fed.frank).get(south).content.decode()
    listing = reverse("surveys:list", args=[fed.south.slug])
    assert "Secreta" not in fed.client(None).get(listing).content.decode()
    assert "Secreta" in fed.client(fed.frank).get(listing).content.decode()
