"""Never a 500 under load (issue 13): when no database connection can be had in time (the pool
is exhausted, PostgreSQL refuses more clients, a server restarts) every page answers 503 with
Retry-After, and a page fetched with GET reloads itself; a real fault stays a 500.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from asamblea.testing import make_cast


def busy(execute, sql, params, many, context):
    raise OperationalError("couldn't get a connection after 10.00 sec")


@pytest.mark.django_db
def test_pages_answer_503_with_retry_after_when_the_database_is_saturated():
    cast = make_cast()
    client = Client(raise_request_exception=False)
    client.force_login(cast.bob)
    with connection.execute_wrapper(busy):
        page = client.get(reverse("bodies:detail", args=[cast.north.slug]))
        form = client.post(reverse("bodies:create"), {"name": "Nueva"})
    assert page.status_code == 503 and page["Retry-After"] == "2"
    assert 'http-equiv="refresh"' in page.content.decode()  # the page tries again by itself
    assert form.status_code == 503 and form["Retry-After"] == "2"
    assert 'http-equiv="refresh"' not in form.content.decode()  # a form is sent again by hand
    assert "Try again" in form.content.decode() and "Vuelve a intentarlo" in form.content.decode()


@pytest.mark.django_db
def test_a_fault_that_is_not_the_database_stays_a_500(monkeypatch):
    from asamblea.bodies import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "render", broken)
    client = Client(raise_request_exception=False)
    response = client.get(reverse("bodies:home"))
    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the pool is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_an_exhausted_connection_pool_answers_503_not_500():
    """A pool of one connection, held elsewhere: the request waits the pool's timeout, then
    gets 503 with Retry-After — never PostgreSQL's "too many clients" as a 500."""
    assert connection.pool is not None, "settings must configure the pool (psycopg_pool)"
    options = connection.settings_dict["OPTIONS"]
    saved = options["pool"]
    connection.close()
    connection.close_pool()
    options["pool"] = {"min_size": 1, "max_size": 1, "timeout": 0.3}
    held = None
    try:
        connection.pool.open()
        held = connection.pool.getconn()
        client = Client(raise_request_exception=False)
        response = client.get(reverse("bodies:home"))
        assert response.status_code == 503
        assert response["Retry-After"] == "2"
    finally:
        if held is not None:
            connection.pool.putconn(held)
        connection.close()
        connection.close_pool()
        options["pool"] = saved
