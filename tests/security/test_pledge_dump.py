"""Dump the whole database while a pledge runs and after it settles, and show that nothing
links a person to their commitment's time, and (without the server's secret key) nothing links
a person to a commitment at all: no column, no shared value, no id order, no physical order, no
transaction id, no timestamp, no ledger entry, no live event per commitment."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from asamblea.ledger.models import LedgerEntry
from asamblea.live import events
from asamblea.pledges import actions
from asamblea.pledges.models import Commitment, Pledge
from asamblea.pledges.queries import holder, my_commitment
from asamblea.testing import join, make_person
from tests.security.test_secret_ballot_dump import dump

PEOPLE = 20


@pytest.fixture
def scene(cast):
    people = [make_person(f"p{i:02}") for i in range(PEOPLE)]
    # The first half in North, the second in South: the commitment's assembly is the one
    # thing stored, so an order that survived would betray who committed when.
    for i, person in enumerate(people):
        join(person, cast.north if i < PEOPLE // 2 else cast.south)
    join(cast.alice, cast.south, "facilitator")
    return cast, people


def open_pledge(cast):
    from asamblea.bodies.actions import body_create
    from asamblea.testing import affiliate

    region = body_create(cast.frank, name="Region", kind="regional_coordination")
    affiliate(cast.north, region)
    affiliate(cast.south, region)
    return actions.pledge_open(
        cast.frank,
        region,
        title="Huelga",
        deadline=timezone.now() + timedelta(days=1),
        min_people=1000,
    )


def commit_all(pledge, people, capture=None):
    published = []

    def sink(channel, kind, data):
        published.append((channel, kind, dict(data)))

    events.subscribe(sink)
    try:
        for person in people:
            if capture is None:
                actions.commit(person, pledge)
            else:
                with capture(execute=True):
                    actions.commit(person, pledge)
    finally:
        events.unsubscribe(sink)
    return published


def storage_order(pledge) -> list[int]:
    key = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT body_id FROM pledges_commitment WHERE pledge_id = %s ORDER BY {key}",  # noqa: S608
            [pledge.pk],
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_no_table_links_a_person_to_a_commitment_or_its_time(
    scene, django_capture_on_commit_callbacks
):
    cast, people = scene
    pledge = open_pledge(cast)
    published = commit_all(pledge, people, django_capture_on_commit_callbacks)
    tables = dump()
    columns, rows = tables["pledges_commitment"]
    assert set(columns) == {"id", "pledge_id", "body_id", "holder", "answered"}
    assert len(rows) == PEOPLE
    person_values = set()
    for person in people:
        person_values |= {person.username, person.display_name}
    # No table refers to a commitment, and none joins the pledge to a person but the opener.
    with connection.cursor() as cursor:
        for table in tables:
            relations = connection.introspection.get_relations(cursor, table)
            targets = {target for _col, (_other_col, target) in relations.items()}
            assert "pledges_commitment" not in targets, table
            if table.startswith("pledges_") and table != "pledges_pledge":
                assert "accounts_person" not in targets, table
    # No value of a commitment (its random id, its keyed holder) appears anywhere else.
    secrets_of = {str(r[columns.index("id")]).replace("-", "") for r in rows} | {
        r[columns.index("holder")] for r in rows
    }
    for table, (_columns, other) in tables.items():
        if table == "pledges_commitment":
            continue
        text = json.dumps(other, default=str).replace("-", "")
        assert not [value for value in secrets_of if value in text], table
    # Nothing recorded or published per commitment: the ledger has no entry after opening,
    # the live events are the coalesced progress tick with the pledge id only.
    kinds = list(
        LedgerEntry.objects.filter(chain=pledge.body.ledger_chain)
        .order_by("seq")
        .values_list("kind", flat=True)
    )
    assert kinds[-1] == "pledge.opened"
    assert {(kind, json.dumps(data)) for _c, kind, data in published} == {
        ("pledge.progress", json.dumps({"pledge": pledge.pk}))
    }


@pytest.mark.django_db
def test_the_holder_is_keyed_by_the_servers_secret(scene):
    cast, people = scene
    pledge = open_pledge(cast)
    actions.commit(people[0], pledge)
    stored = Commitment.objects.get(pledge=pledge).holder
    assert stored == holder(pledge.pk, people[0].pk)
    with override_settings(SECRET_KEY="another key of the same length, or any other" * 2):
        assert holder(pledge.pk, people[0].pk) != stored
    # Per pledge: the same person's holder in two pledges differs.
    assert holder(pledge.pk + 1, people[0].pk) != stored


@pytest.mark.django_db
def test_after_the_deadline_neither_ids_nor_storage_order_follow_the_order_of_committing(scene):
    cast, people = scene
    pledge = open_pledge(cast)
    commit_all(pledge, people)
    committed_order = [cast.north.pk] * (PEOPLE // 2) + [cast.south.pk] * (PEOPLE // 2)
    Pledge.objects.filter(pk=pledge.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    actions.settle_due()
    by_id = list(
        Commitment.objects.filter(pledge=pledge).order_by("id").values_list("body_id", flat=True)
    )
    by_holder = list(
        Commitment.objects.filter(pledge=pledge)
        .order_by("holder")
        .values_list("body_id", flat=True)
    )
    stored = storage_order(pledge)
    assert sorted(stored) == sorted(committed_order)
    # Each equality has a chance of 1 in C(20, 10) = 184,756 if the order were random.
    assert committed_order not in (by_id, by_holder, stored)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM pledges_commitment WHERE pledge_id = %s",
                [pledge.pk],
            )
            assert len(cursor.fetchall()) == 1  # one transaction id: the settling one


@pytest.mark.django_db
def test_a_withdrawal_leaves_no_trace(scene):
    cast, people = scene
    pledge = open_pledge(cast)
    commit_all(pledge, people[:3])
    actions.withdraw(people[1], pledge)
    tables = dump()
    text = json.dumps(tables, default=str)
    assert holder(pledge.pk, people[1].pk) not in text
    assert my_commitment(people[0], pledge) is not None


@pytest.mark.django_db
def test_once_the_follow_through_closes_nobody_can_be_linked_even_with_the_key(scene):
    cast, people = scene
    pledge = Pledge.objects.get(pk=open_pledge(cast).pk)
    Pledge.objects.filter(pk=pledge.pk).update(min_people=1)
    commit_all(pledge, people)
    Pledge.objects.filter(pk=pledge.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    actions.followup_open(cast.frank, pledge)
    actions.followup_answer(people[0], pledge, kept=True)
    Pledge.objects.filter(pk=pledge.pk).update(followup_closes_at=timezone.now())
    actions.settle_due()
    text = json.dumps(dump(), default=str)
    for person in people:
        assert holder(pledge.pk, person.pk) not in text
    assert Commitment.objects.filter(pledge=pledge, answered=True).count() == 0
