"""Dump the whole database after an anonymous survey and show that no answer can be joined to
a person: no person column, no shared value, no id order, no storage order, no transaction id,
no timestamp, no ledger entry and no live event per answer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from asamblea.ledger.models import LedgerEntry
from asamblea.live import events
from asamblea.surveys import actions
from asamblea.surveys.models import Respondent, Response
from asamblea.testing import join, make_person
from tests.security.test_secret_ballot_dump import dump

PEOPLE = 20


@pytest.fixture
def answered(cast, django_capture_on_commit_callbacks):
    people = [make_person(f"r{i:02}") for i in range(PEOPLE)]
    for person in people:
        join(person, cast.north)
    survey = actions.survey_open(
        cast.alice,
        cast.north,
        title="Antes del congreso",
        closes_at=timezone.now() + timedelta(days=1),
        questions=[{"kind": "single", "text": "¿Huelga?", "options": ["Sí", "No"]}],
    )
    question = str(survey.questions.get().pk)
    # The first half answer "Sí", the second "No": an order that survived would betray them.
    order = [0] * (PEOPLE // 2) + [1] * (PEOPLE // 2)
    published = []
    events.subscribe(sink := lambda channel, kind, data: published.append(kind))
    try:
        for person, choice in zip(people, order, strict=True):
            with django_capture_on_commit_callbacks(execute=True):
                actions.answer(person, survey, raw={question: choice})
    finally:
        events.unsubscribe(sink)
    kinds_while_open = list(
        LedgerEntry.objects.filter(chain=cast.north.ledger_chain).values_list("kind", flat=True)
    )
    survey = actions.survey_close(cast.alice, survey)
    return survey, people, order, question, published, kinds_while_open


@pytest.mark.django_db
def test_no_table_joins_an_anonymous_answer_to_a_person(answered):
    survey, people, _order, _q, published, kinds = answered
    tables = dump()
    columns, rows = tables["surveys_response"]
    assert set(columns) == {"id", "survey_id", "body_id", "person_id", "answers"}
    assert all(row[columns.index("person_id")] is None for row in rows)
    respondent_columns, _rows = tables["surveys_respondent"]
    assert set(respondent_columns) == {"id", "survey_id", "holder", "body_id", "answered"}
    with connection.cursor() as cursor:
        for table in tables:
            relations = connection.introspection.get_relations(cursor, table)
            targets = {target for _col, (_other, target) in relations.items()}
            assert "surveys_response" not in targets, table
            if table in {"surveys_respondent", "surveys_surveyassembly", "surveys_question"}:
                assert "accounts_person" not in targets, table
    ids = {str(row[columns.index("id")]).replace("-", "") for row in rows}
    for table, (_columns, other) in tables.items():
        if table != "surveys_response":
            text = json.dumps(other, default=str).replace("-", "")
            assert not [value for value in ids if value in text], table
    # Nothing per answer: no ledger entry while it was open, no live event.
    assert kinds[-1] == "survey.opened" and published == []
    assert Respondent.objects.filter(survey=survey, answered=True).count() == PEOPLE


@pytest.mark.django_db
def test_neither_id_order_nor_storage_order_follows_the_order_of_answering(answered):
    survey, _people, order, question, _p, _k = answered
    key = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT answers FROM surveys_response WHERE survey_id = %s ORDER BY {key}",  # noqa: S608
            [survey.pk],
        )
        stored = [
            json.loads(r[0])[question] if isinstance(r[0], str) else r[0][question]
            for r in cursor.fetchall()
        ]
    by_id = [r.answers[question] for r in Response.objects.filter(survey=survey).order_by("id")]
    assert sorted(stored) == sorted(order)
    # Each equality has a chance of 1 in C(20, 10) = 184,756 if the order were random.
    assert order not in (stored, by_id)
    holders = list(
        Respondent.objects.filter(survey=survey).order_by("id").values_list("holder", flat=True)
    )
    assert holders == sorted(holders)  # respondents in holder order, not answering order
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM surveys_response WHERE survey_id = %s",
                [survey.pk],
            )
            response_xmins = {r[0] for r in cursor.fetchall()}
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM surveys_respondent WHERE survey_id = %s",
                [survey.pk],
            )
            assert {r[0] for r in cursor.fetchall()} == response_xmins
            assert len(response_xmins) == 1
