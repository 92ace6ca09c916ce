"""Open data in Popolo, validated against the Popolo project's own JSON schemas (vendored in
``popolo_schemas/``), and its CSV tables; nothing the pages hide is in either."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from jsonschema import Draft3Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT3

from asamblea.bodies.models import Body
from asamblea.coordination import actions as coord
from asamblea.coordination.models import ConsultedBody
from asamblea.motions.actions import motion_submit
from asamblea.publishing.tests.atom_rules import check
from asamblea.publishing.tests.scene import decide
from asamblea.testing import join, make_cast, make_federation_cast, make_person

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "popolo_schemas"
BASE = "http://www.popoloproject.com/schemas/"
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$")


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        contents = json.loads(path.read_text())
        resources.append((BASE + path.name, Resource(contents=contents, specification=DRAFT3)))
        resources.append((BASE + path.name + "#", Resource(contents, specification=DRAFT3)))
    return Registry().with_resources(resources)


REGISTRY = _registry()
VALIDATORS = {
    key: Draft3Validator(json.loads((SCHEMAS / f"{name}.json").read_text()), registry=REGISTRY)
    for key, name in {
        "organizations": "organization",
        "memberships": "membership",
        "motions": "motion",
        "vote_events": "vote_event",
    }.items()
}


def validate(document: dict) -> None:
    """Every object of a Popolo export against its schema, and the dates the schemas name as
    date-times against RFC 3339 (the draft-03 format is not checked by jsonschema alone)."""
    for key, validator in VALIDATORS.items():
        for item in document[key]:
            errors = sorted(validator.iter_errors(item), key=str)
            assert not errors, f"{key}: {[e.message for e in errors]}"
    for event in document["vote_events"]:
        for field in ("start_date", "end_date"):
            assert event.get(field) is None or DATE_TIME.match(event[field]), event[field]


def test_the_vendored_schemas_do_reject_a_bad_document():
    bad = {"id": "x", "counts": [{"option": "yes", "value": "many"}]}
    assert list(VALIDATORS["vote_events"].iter_errors(bad))
    assert list(VALIDATORS["memberships"].iter_errors({"start_date": "last week"}))


def _popolo(client, body, **params):
    response = client.get(reverse("publishing:popolo", args=[body.slug]), params)
    assert response.status_code == 200, response.status_code
    document = response.json()
    validate(document)
    return document


def _csv(client, body, table):
    response = client.get(reverse("publishing:popolo_csv", args=[body.slug, table]))
    assert response.status_code == 200
    text = response.content.decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def south():
    """South, public, with a secret vote on a motion and a named vote on a question."""
    cast = make_cast()
    ana, beto = make_person("ana", display_name="Ana Núñez"), make_person("beto")
    for person in (ana, beto):
        join(person, cast.south)
    decide(cast.frank, cast.south, "Agua potable", [cast.frank, ana, beto])
    decide(cast.frank, cast.south, "¿Marchamos?", [ana], choice="no", secrecy="named", motion=False)
    return cast, ana, beto


def test_votes_are_published_with_counts_and_named_votes_only(south):
    cast, ana, beto = south
    document = _popolo(cast.client(None), cast.south)
    assert document["organizations"][0]["name"] == "South"
    named, secret = document["vote_events"]
    assert secret["classification"] == "motion" and secret["result"] == "pass"
    assert {c["option"]: c["value"] for c in secret["counts"]} == {"yes": 3, "no": 0, "abstain": 0}
    assert secret["votes"] == []  # a secret ballot: counts only
    assert secret["motion_id"] == document["motions"][0]["id"]
    assert document["motions"][0]["result"] == "pass"
    assert named["result"] == "fail"
    assert named["votes"] == [
        {
            "voter_id": f"person/{ana.pk}",
            "voter": {"@type": "Person", "id": f"person/{ana.pk}", "name": "Ana Núñez"},
            "option": "no",
            "weight": 1,
        }
    ]
    text = json.dumps(document)
    assert "beto" not in text.lower()  # who took part in the secret vote is nowhere


def test_memberships_only_where_the_statute_makes_them_public(south):
    cast, ana, beto = south
    assert _popolo(cast.client(None), cast.south)["memberships"] == []
    Body.objects.filter(pk=cast.south.pk).update(participation_public=True)
    members = _popolo(cast.client(None), cast.south)["memberships"]
    assert sorted(m["member"]["name"] for m in members) == ["Ana Núñez", "Beto", "Frank"]
    rows = _csv(cast.client(None), cast.south, "memberships")
    assert sorted(r["member_name"] for r in rows) == ["Ana Núñez", "Beto", "Frank"]


def test_a_members_only_body_publishes_nothing_outside_and_no_members_inside():
    cast = make_cast()
    Body.objects.filter(pk=cast.north.pk).update(participation_public=True)
    decide(cast.alice, cast.north, "Secreta", [cast.bob], secrecy="named")
    for person in (None, cast.oscar, cast.frank):
        client = cast.client(person)
        assert client.get(reverse("publishing:popolo", args=["north"])).status_code == 404
        for table in ("vote_events", "votes", "memberships", "group_results"):
            url = reverse("publishing:popolo_csv", args=["north", table])
            assert client.get(url).status_code == 404
    document = _popolo(cast.client(cast.bob), cast.north)
    assert document["memberships"] == []  # never for a members-only body
    assert len(document["vote_events"]) == 1


def test_the_csv_tables_hold_the_same_data(south):
    cast, ana, beto = south
    client = cast.client(None)
    events = _csv(client, cast.south, "vote_events")
    assert [(e["identifier"], e["result"], e["yes"], e["no"]) for e in events] == [
        ("¿Marchamos?", "fail", "0", "1"),
        ("Agua potable", "pass", "3", "0"),
    ]
    votes = _csv(client, cast.south, "votes")
    assert [(v["voter_name"], v["option"]) for v in votes] == [("Ana Núñez", "no")]
    unknown = reverse("publishing:popolo_csv", args=["south", "secrets"])
    assert client.get(unknown).status_code == 404


def test_a_coordination_publishes_delegates_votes_and_consultation_results():
    fed = make_federation_cast()
    Body.objects.filter(pk=fed.federation.pk).update(participation_public=True)
    motion = motion_submit(fed.cora, fed.federation, title="Huelga", text="Convocar")
    vote = coord.vote_open(fed.cora, fed.federation, motion)
    coord.delegate_cast(fed.carol, vote, fed.north, choice="yes")  # North is members-only
    coord.delegate_cast(fed.frank, vote, fed.south, choice="no")
    coord.vote_close(fed.cora, vote)
    second = motion_submit(fed.cora, fed.federation, title="Paro", text="Paro cívico")
    consultation = coord.consultation_open(
        fed.cora, fed.federation, second, rule="majority_of_bodies",
        deadline=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    row = ConsultedBody.objects.get(consultation=consultation, body=fed.south)
    coord.consultation_record(fed.frank, row, means="hands", yes=1, no=0, abstain=0, present=1)
    north = ConsultedBody.objects.get(consultation=consultation, body=fed.north)
    coord.consultation_record(fed.alice, north, means="hands", yes=0, no=2, abstain=0, present=2)
    coord.consultation_close(fed.cora, consultation)
    client = fed.client(None)
    document = _popolo(client, fed.federation)
    consulted, delegates = document["vote_events"]
    assert delegates["classification"] == "delegate_vote"
    assert [v["voter"]["name"] for v in delegates["votes"]] == ["South"]
    assert delegates["votes"][0]["voter"]["@type"] == "Organization"
    assert delegates["votes"][0]["role"] == "delegate" and delegates["votes"][0]["weight"] == 1
    totals = {c["option"]: c["value"] for c in delegates["counts"] if "group" not in c}
    assert totals == {"yes": 1, "no": 1, "abstain": 0}  # North's vote counted, not named
    assert consulted["classification"] == "consultation"
    results = {r["group"]["name"]: r["result"] for r in consulted["group_results"]}
    assert results == {"South": "pass", "A members-only assembly": "fail"}
    text = json.dumps(document)
    assert "North" not in text and "north" not in text
    # The coordination's public member bodies are its public memberships; North is not.
    members = [m["member"]["name"] for m in document["memberships"]]
    assert "South" in members and "North" not in members
    groups = _csv(client, fed.federation, "group_results")
    assert sorted((g["group_name"], g["result"], g["yes"]) for g in groups) == [
        ("A members-only assembly", "fail", "0"),
        ("South", "pass", "1"),
    ]
    assert "North" not in str(_csv(client, fed.federation, "votes"))
    # The coordination's feed carries both decisions, and names no members-only assembly.
    feed = client.get(reverse("publishing:coordination_feed", args=[fed.federation.slug]))
    check(feed.content)
    titles = [e.title for e in feedparser.parse(feed.content).entries]
    assert titles[:2] == ["Paro", "Huelga"]
    assert b"North" not in feed.content


def test_a_popolo_page_takes_the_same_queries_for_few_and_many_decisions():
    cast = make_cast()
    for n in range(2):
        decide(cast.frank, cast.south, f"M{n}", [cast.frank], secrecy="named")
    client = cast.client(None)
    with CaptureQueriesContext(connection) as few:
        _popolo(client, cast.south)
    for n in range(12):
        decide(cast.frank, cast.south, f"N{n}", [cast.frank], secrecy="named", motion=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        document = _popolo(client, cast.south)
    assert len(document["vote_events"]) == 14
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
