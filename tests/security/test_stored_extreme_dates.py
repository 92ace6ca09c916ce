"""Pages survive any stored date. A meeting, vote, consultation or invitation dated 31 December
9999 (or the year 1) may already be in the database, put there before dates were bounded or by
hand: every page of the world built from the URL configuration must still answer, for anonymous
visitors too, never with a 500."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.apps import apps
from django.db import connection, models
from django.urls import reverse

from tests.security.world import ROUTES, build

EXTREMES = {
    "far_future": (datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), date(9999, 12, 31)),
    "far_past": (datetime(1, 1, 1, 0, 0, tzinfo=UTC), date(1, 1, 1)),
}
ROLES = ("anonymous", "member", "facilitator")


def _store_everywhere(moment: datetime, day: date) -> None:
    """Write ``moment`` into every date-time column (and ``day`` into every date column) of
    every row the project owns, as a hand edit of the database would."""
    existing = set(connection.introspection.table_names())
    for model in apps.get_models():
        if not model.__module__.startswith("asamblea.") or model._meta.db_table not in existing:
            continue
        values = {}
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                values[field.name] = moment
            elif isinstance(field, models.DateField):
                values[field.name] = day
        if values:
            model.objects.all().update(**values)


@pytest.mark.parametrize("extreme", sorted(EXTREMES))
@pytest.mark.django_db
def test_every_page_answers_with_extreme_dates_stored(extreme):
    world = build()
    gets = {
        name: reverse(name, kwargs=route.kwargs(world))
        for name, route in sorted(ROUTES.items())
        if route.get and not name.endswith("events")  # streams are tested on their own
    }
    _store_everywhere(*EXTREMES[extreme])
    failures = []
    for role in ROLES:
        client = world.cast.client(world.roles[role])
        client.raise_request_exception = False
        for name, url in gets.items():
            status = client.get(url).status_code
            if status >= 500:
                failures.append(f"{role} GET {name} ({url}): {status}")
    assert not failures, "\n".join(failures)
