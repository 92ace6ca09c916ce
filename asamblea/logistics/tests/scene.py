"""The logistics cast: the Federation (public; cora facilitates it) with North (members only;
alice facilitates, bob and carol are members, carol is its delegate, olivia observes), South
(public; frank facilitates) and East (members only; erin facilitates). oscar belongs nowhere.

North needs lodging in Lima for 30; South offers 20 places there, East offers 40.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from asamblea.bodies.actions import body_create
from asamblea.bodies.models import Body
from asamblea.logistics import actions
from asamblea.logistics.models import Posting
from asamblea.testing import FederationCast, Person, affiliate, make_federation_cast, make_person


def day(n: int) -> date:
    from django.utils import timezone

    return timezone.localdate() + timedelta(days=n)


@dataclass
class Scene:
    cast: FederationCast
    east: Body
    erin: Person
    need: Posting
    offer: Posting
    east_offer: Posting

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cast, name)


def lodging(
    facilitator: Any, scene_fed: Body, body: Body, side: str, quantity: int, **extra: Any
) -> Posting:
    fields = {"place": "Lima", "starts_on": day(3), "ends_on": day(5)} | extra
    return actions.posting_create(
        facilitator, scene_fed, body, side=side, kind="lodging", quantity=quantity, **fields
    )


def make_scene() -> Scene:
    cast = make_federation_cast()
    erin = make_person("erin")
    east = body_create(erin, name="East", kind="rural", visibility="members")
    affiliate(east, cast.federation)
    fed = cast.federation
    need = lodging(cast.alice, fed, cast.north, "need", 30, note="Delegación del sur")
    offer = lodging(cast.frank, fed, cast.south, "offer", 20, starts_on=day(1), ends_on=day(9))
    east_offer = lodging(erin, fed, east, "offer", 40, starts_on=day(2), ends_on=day(6))
    return Scene(cast, east, erin, need, offer, east_offer)
