# ruff: noqa: E501 - the matrix is a table, one row per operation
"""The API's permission matrix: every operation of its OpenAPI document x every role, each
role calling with a personal access token of its own that has every scope (anonymous: none).

It is the pages' matrix (tests/security/test_permission_matrix.py) for programs: the same
world, the same roles, the same targets in the members-only North, and the answers agree with
the pages' (404 where a page is "not found", 403 where a page refuses, a write done where a
page's form does it). An operation added to the API without a row here fails the test. Every
refused answer must leave the database exactly as it was.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from tests.security.api_world import CALLS, headers, role_tokens, url
from tests.security.test_permission_matrix import ROLES
from tests.security.world import build, fingerprint

# fmt: off
#                                                   anonymous outsider observer member facilitator other_fac delegate
API_MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("get", "/api/bodies"):                              (200, 200, 200, 200, 200, 200, 200),
    # A members-only body does not exist for those outside it (404, not 403), as its page.
    ("get", "/api/bodies/{slug}"):                       (404, 404, 200, 200, 200, 404, 200),
    ("get", "/api/bodies/{slug}/ledger/head"):           (404, 404, 200, 200, 200, 404, 200),
    ("get", "/api/bodies/{slug}/motions"):               (404, 404, 200, 200, 200, 404, 200),
    ("get", "/api/bodies/{slug}/resolutions"):           (404, 404, 200, 200, 200, 404, 200),
    # Members put motions; observers may not (403); writes need a token (401).
    ("post", "/api/bodies/{slug}/motions"):              (401, 404, 403, 201, 201, 404, 201),
    ("get", "/api/bodies/{slug}/motions/{number}"):      (404, 404, 200, 200, 200, 404, 200),
    # bob wrote the motion: authors cannot support their own (400), as on its page.
    ("post", "/api/bodies/{slug}/motions/{number}/support"): (401, 404, 403, 400, 200, 404, 200),
    ("get", "/api/bodies/{slug}/polls"):                 (404, 404, 200, 200, 200, 404, 200),
    ("get", "/api/bodies/{slug}/polls/{poll_id}"):       (404, 404, 200, 200, 200, 404, 200),
    # The observer is not in the electorate (403).
    ("post", "/api/bodies/{slug}/polls/{poll_id}/ballot"): (401, 404, 403, 201, 201, 404, 201),
    # A code no ballot has: "no ballot has this receipt" (400) for those who may see the vote.
    ("post", "/api/bodies/{slug}/polls/{poll_id}/receipt"): (404, 404, 400, 400, 400, 404, 400),
    ("get", "/api/bodies/{slug}/elections"):             (404, 404, 200, 200, 200, 404, 200),
    ("get", "/api/bodies/{slug}/elections/{election_id}"): (404, 404, 200, 200, 200, 404, 200),
    ("post", "/api/bodies/{slug}/elections/{election_id}/ballot"): (401, 404, 403, 201, 201, 404, 201),
    ("post", "/api/bodies/{slug}/elections/{election_id}/receipt"): (404, 404, 400, 400, 400, 404, 400),
    # The Federation is public.
    ("get", "/api/coordinations/{slug}/consultations"):  (200, 200, 200, 200, 200, 200, 200),
    ("get", "/api/coordinations/{slug}/consultations/{consultation_id}"): (200, 200, 200, 200, 200, 200, 200),
    ("get", "/api/me"):                                  (401, 200, 200, 200, 200, 200, 200),
    ("get", "/api/me/bodies"):                           (401, 200, 200, 200, 200, 200, 200),
    ("get", "/api/me/motions"):                          (401, 200, 200, 200, 200, 200, 200),
    ("get", "/api/me/votes"):                            (401, 200, 200, 200, 200, 200, 200),
}
# fmt: on


def spec_operations(client: Client) -> set[tuple[str, str]]:
    spec = client.get("/api/openapi.json").json()
    return {(method, path) for path, item in spec["paths"].items() for method in item}


@pytest.mark.django_db
def test_every_operation_of_the_spec_is_in_the_matrix(client):
    operations = spec_operations(client)
    assert operations == set(API_MATRIX), (
        f"missing rows: {sorted(operations - set(API_MATRIX))}; "
        f"gone: {sorted(set(API_MATRIX) - operations)}"
    )
    assert operations == set(CALLS), "tests/security/api_world.py CALLS must list every operation"


@pytest.mark.django_db
def test_every_operation_answers_every_role_as_the_matrix_says():
    world = build()
    tokens = role_tokens(world)
    failures = []
    for (method, path), expected in API_MATRIX.items():
        call = CALLS[(method, path)]
        address = url(path, call.args(world))
        body = call.body(world) if call.body else None
        got = []
        for role in ROLES:
            savepoint = transaction.savepoint()
            client = Client(HTTP_ACCEPT_LANGUAGE="en")
            before = fingerprint()
            if method == "get":
                response = client.get(address, **headers(tokens[role]))
            else:
                response = client.post(
                    address,
                    json.dumps(body) if body is not None else "",
                    content_type="application/json",
                    **headers(tokens[role]),
                )
            got.append(response.status_code)
            if response.status_code >= 400:
                assert response["Content-Type"] == "application/problem+json", (method, path)
                assert fingerprint() == before, f"{role} {method} {path} refused but changed data"
            transaction.savepoint_rollback(savepoint)
        if tuple(got) != expected:
            failures.append(f"{method} {path}: {dict(zip(ROLES, got, strict=True))}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_a_token_without_the_scope_is_refused_and_changes_nothing():
    from asamblea.api.actions import token_create

    world = build()
    row, reader = token_create(world.cast.bob, name="reader", scopes=["read"])
    type(row).objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for (method, path), call in CALLS.items():
        if method != "post" or path.endswith("/receipt"):
            continue
        before = fingerprint()
        response = client.post(
            url(path, call.args(world)),
            json.dumps(call.body(world) if call.body else {}),
            content_type="application/json",
            **headers(reader),
        )
        assert response.status_code == 403, (path, response.status_code)
        assert response.json()["code"] == "missing_scope"
        assert fingerprint() == before


@pytest.mark.django_db
def test_a_token_without_read_scope_reads_only_what_anyone_reads():
    """A ``vote``-only token does not open the members-only body to reads."""
    from asamblea.api.actions import token_create

    world = build()
    _row, voter = token_create(world.cast.bob, name="voter", scopes=["vote"])
    client = Client()
    assert client.get(f"/api/bodies/{world.cast.north.slug}", **headers(voter)).status_code == 404
    assert client.get("/api/me/bodies", **headers(voter)).status_code == 403
