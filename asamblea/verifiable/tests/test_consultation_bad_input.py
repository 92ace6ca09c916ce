"""Bad input to a verifiable consultation: each refusal is a clear message with its status, never
a 500, and leaves every table as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.coordination import actions as coordination
from asamblea.coordination.models import Consultation, ConsultedBody
from asamblea.errors import Conflict, Refused
from asamblea.motions.models import Motion
from asamblea.testing import db_state
from asamblea.verifiable.consultations import consultation_setup
from asamblea.verifiable.models import VerifiableVote
from asamblea.verifiable.tests.play import TrusteeBrowser, post, url
from asamblea.verifiable.tests.test_consultation_flow import open_consultation

pytestmark = pytest.mark.django_db


CLIENTS: dict = {}


def _client(fed, person):
    """One logged-in client per person, made before any "nothing changed" snapshot (logging in
    writes the person's last login)."""
    if person.pk not in CLIENTS:
        CLIENTS[person.pk] = fed.client(person)
    return CLIENTS[person.pk]


@pytest.fixture(autouse=True)
def _clients(fed):
    CLIENTS.clear()
    for person in (fed.cora, fed.alice, fed.bob, fed.carol, fed.frank):
        _client(fed, person)


def _setup(fed, people, threshold, by=None):
    consultation = Consultation.objects.get()
    return _client(fed, by or fed.cora).post(
        url(consultation, "setup"), {"trustees": [p.pk for p in people], "threshold": threshold}
    )


def test_choosing_the_trustees_is_refused_without_changing_anything(fed):
    consultation = open_consultation(fed)
    before = db_state()
    # alice facilitates North, not the Federation
    assert _setup(fed, [fed.carol, fed.frank], 1, by=fed.alice).status_code == 403
    # olivia is no delegate to the Federation: the form does not offer her, the action refuses
    assert _setup(fed, [fed.carol, fed.olivia], 1).status_code == 400
    with pytest.raises(Refused, match="current delegate"):
        consultation_setup(fed.cora, consultation, trustees=[fed.carol, fed.olivia], threshold=1)
    assert _setup(fed, [fed.carol, fed.frank], 3).status_code == 400  # t above n
    assert _setup(fed, [], 1).status_code == 400
    assert db_state() == before
    assert _setup(fed, [fed.carol, fed.frank], 2).status_code == 302
    before = db_state()
    again = _setup(fed, [fed.carol, fed.frank], 1)
    assert again.status_code == 409 and b"already chosen" in again.content
    assert db_state() == before
    # a trustee's replayed step, and a non-trustee's step
    carol = TrusteeBrowser(_client(fed, fed.carol), consultation)
    assert carol.channel().status_code == 200
    before = db_state()
    replay = carol.channel()
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "already_done"
    outsider = post(_client(fed, fed.bob), consultation, "trustee_channel", {"channel_key": "00"})
    assert outsider.status_code == 403 and outsider.json()["error"]["code"] == "not_trustee"
    bad = post(_client(fed, fed.frank), consultation, "trustee_channel", {"channel_key": "zz"})
    assert bad.status_code == 400
    assert db_state() == before


def test_a_verifiable_consultation_takes_only_verifiable_online_votes(fed):
    consultation = open_consultation(fed)
    decide = reverse("coordination:consultation_decide", args=[fed.north.slug, consultation.pk])
    before = db_state()
    hands = _client(fed, fed.alice).post(
        decide, {"means": "hands", "yes": 2, "no": 1, "abstain": 0, "present": 3}
    )
    assert hands.status_code == 409 and b"cannot be verified" in hands.content
    online = _client(fed, fed.alice).post(decide, {"means": "online", "secrecy": "secret"})
    assert online.status_code == 409 and b"election key" in online.content
    assert db_state() == before
    row = ConsultedBody.objects.get(consultation=consultation, body=fed.north)
    with pytest.raises(Conflict):
        coordination.consultation_record(
            fed.alice, row, means="hands", yes=1, no=0, abstain=0, present=1
        )
    assert db_state() == before


def test_an_ordinary_consultation_refuses_a_verifiable_vote_of_its_own(fed):
    motion = Motion.objects.create(
        body=fed.federation, number=8, title="Marcha", text="Marchar", state="supported"
    )
    consultation = coordination.consultation_open(
        fed.cora,
        fed.federation,
        motion,
        rule="head_count",
        deadline=timezone.now() + timedelta(days=1),
    )
    row = ConsultedBody.objects.get(consultation=consultation, body=fed.north)
    before = db_state()
    with pytest.raises(Refused):
        coordination.consultation_poll_open(fed.alice, row, secrecy="verifiable")
    assert db_state() == before
    # and its pages of a verifiable consultation do not exist
    assert _client(fed, fed.cora).get(url(consultation, "setup")).status_code == 404


def test_closing_before_the_key_is_made_counts_nobody_and_cancels_the_ceremony(fed):
    consultation = open_consultation(fed)
    assert _setup(fed, [fed.carol, fed.frank], 1).status_code == 302
    coordination.consultation_close(fed.cora, consultation)
    consultation.refresh_from_db()
    assert consultation.state == "closed" and consultation.result is not None
    assert consultation.result["total"]["decided"] == 0
    assert VerifiableVote.objects.get(consultation=consultation).phase == "cancelled"
    consultation.motion.refresh_from_db()
    assert consultation.motion.state == "rejected"
    with pytest.raises(Conflict):
        coordination.consultation_close(fed.cora, consultation)
