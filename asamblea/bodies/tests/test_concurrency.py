"""A single-use invitation admits exactly one person, even when many redeem it at once."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from asamblea.bodies.actions import invitation_create, invitation_redeem
from asamblea.bodies.models import Invitation, Membership
from asamblea.errors import Refused
from asamblea.ledger.actions import verify_chain
from asamblea.testing import make_cast, make_person

RACERS = 20


def redeem_together(token, people):
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(person):
        try:
            barrier.wait(timeout=60)
            invitation_redeem(person, token)
            outcome = "joined"
        except Refused as exc:
            outcome = exc.code
        except Exception as exc:  # noqa: BLE001 - reported below, the test fails on it
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_of_a_single_use_link_admit_one_person():
    cast = make_cast()
    invitation, token = invitation_create(cast.alice, cast.north, max_uses=1)
    people = [make_person(f"racer{i:02}") for i in range(RACERS)]
    outcomes = redeem_together(token, people)
    assert outcomes == {"joined": 1, "expired_invitation": RACERS - 1}, outcomes
    invitation.refresh_from_db()
    assert invitation.uses == 1
    joined = Membership.objects.filter(body=cast.north, person__in=people)
    assert joined.count() == 1
    assert verify_chain(cast.north.ledger_chain).ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_of_a_three_use_link_admit_three():
    cast = make_cast()
    _invitation, token = invitation_create(cast.alice, cast.north, max_uses=3)
    people = [make_person(f"racer{i:02}") for i in range(RACERS)]
    outcomes = redeem_together(token, people)
    assert outcomes == {"joined": 3, "expired_invitation": RACERS - 3}, outcomes
    assert Invitation.objects.get().uses == 3
    assert Membership.objects.filter(body=cast.north, person__in=people).count() == 3


@pytest.mark.django_db(transaction=True)
def test_one_person_redeeming_twice_at_once_joins_once():
    cast = make_cast()
    _invitation, token = invitation_create(cast.alice, cast.north, max_uses=10)
    outcomes = redeem_together(token, [cast.oscar] * 10)
    assert outcomes["joined"] == 1, outcomes
    assert set(outcomes) <= {"joined", "already_member"}, outcomes
    assert Membership.objects.filter(body=cast.north, person=cast.oscar).count() == 1
    assert Invitation.objects.get().uses == 1


@pytest.mark.django_db(transaction=True)
def test_two_newcomers_racing_for_one_login_name_get_a_clear_message():
    from django.test import Client
    from django.urls import reverse

    from asamblea.accounts.models import Person

    cast = make_cast()
    _invitation, token = invitation_create(cast.alice, cast.north, max_uses=20)
    url = reverse("bodies:join", args=[token])
    barrier = threading.Barrier(8)
    statuses: list[object] = []
    lock = threading.Lock()

    def worker(i):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        data = {
            "display_name": f"Twin {i}",
            "username": "twin",
            "password": "long enough passphrase",
            "password2": "long enough passphrase",
            "language": "en",
        }
        try:
            barrier.wait(timeout=60)
            response = client.post(url, data)
            body = response.content.decode()
            outcome = (response.status_code, "This login name is taken" in body)
        except Exception as exc:  # noqa: BLE001 - reported below, the test fails on it
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            statuses.append(outcome)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counter(statuses) == {(302, False): 1, (400, True): 7}, statuses
    assert Person.objects.filter(username="twin").count() == 1
    assert Invitation.objects.get().uses == 1


@pytest.mark.django_db(transaction=True)
def test_bodies_with_one_name_created_at_once_get_distinct_slugs():
    from asamblea.bodies.actions import body_create
    from asamblea.bodies.models import Body

    people = [make_person(f"founder{i}") for i in range(6)]
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(person):
        try:
            barrier.wait(timeout=60)
            body_create(person, name="Asamblea de Vecinos", kind="district")
            outcome = "created"
        except Exception as exc:  # noqa: BLE001 - reported below, the test fails on it
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["created"] * len(people), outcomes
    slugs = set(Body.objects.values_list("slug", flat=True))
    assert len(slugs) == len(people)
    assert "asamblea-de-vecinos" in slugs
