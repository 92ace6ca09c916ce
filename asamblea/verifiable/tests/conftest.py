"""Fixtures of the verifiable app's tests."""

from __future__ import annotations

import pytest

from asamblea.bodies.models import Sector
from asamblea.testing import FederationCast, join, make_delegate, make_federation_cast, make_person


@pytest.fixture
def fed(db) -> FederationCast:
    """The Federation (cora) of North (region Norte) and South (Sur), both in the students
    sector; its delegates bob and carol (North) and frank (South); South has sam and sue too."""
    cast = make_federation_cast()
    cast.north.region, cast.south.region = "Norte", "Sur"
    cast.north.save(update_fields=["region"])
    cast.south.save(update_fields=["region"])
    students = Sector.objects.create(slug="students", name="students")
    cast.north.sectors.add(students)
    cast.south.sectors.add(students)
    make_delegate(cast.bob, cast.north, cast.federation)  # trustees: bob, carol, frank
    for name in ("sam", "sue"):
        join(make_person(name), cast.south)
    return cast
