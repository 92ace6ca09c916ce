"""Proposals racing for the same need never give it more than it asks for: both postings are
locked (in id order) and what they already gave is counted under the lock."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from asamblea.accounts.models import Person
from asamblea.errors import Refused
from asamblea.logistics import actions
from asamblea.logistics.models import Match
from asamblea.logistics.queries import allocated
from asamblea.logistics.tests.scene import lodging, make_scene

RACERS = 10


@pytest.mark.django_db(transaction=True)
def test_racing_proposals_never_over_allocate_a_need():
    scene = make_scene()  # North needs 30 places
    offers = [
        lodging(scene.frank, scene.federation, scene.south, "offer", 10) for _ in range(RACERS)
    ]
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(offer):
        try:
            alice = Person.objects.get(username="alice")
            barrier.wait(timeout=60)
            actions.match_propose(alice, scene.need, offer, quantity=10)
            outcome = "proposed"
        except Refused as exc:
            outcome = exc.code
        except Exception as exc:  # noqa: BLE001 - reported below, the test fails on it
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(offer,)) for offer in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counter(outcomes) == {"proposed": 3, "conflict": RACERS - 3}, outcomes
    assert allocated([scene.need.pk])[scene.need.pk] == 30
    assert Match.objects.filter(need=scene.need).count() == 3
