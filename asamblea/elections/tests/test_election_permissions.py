"""Every election URL for every role of the cast: who is allowed, who is refused, and how.

North is members-only: outsiders (oscar, frank who facilitates South) get 404 so they do not
learn it exists; anonymous people are sent to log in for writes and get 404 for reads.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from asamblea.elections import actions as elections
from asamblea.elections.models import Candidate, Election
from asamblea.elections.tests.election_helpers import ranks, standing_election, voting_election

ROLES = ["anonymous", "outsider", "observer", "member", "facilitator", "other_facilitator"]
HIDDEN = {"anonymous": 404, "outsider": 404, "other_facilitator": 404}
LOGIN = {"anonymous": 302, "outsider": 404, "other_facilitator": 404}


def _url(name: str, election: Election, *extra: int) -> str:
    return reverse(f"elections:{name}", args=[election.body.slug, election.pk, *extra])


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


def _check(response, role: str, expected: dict[str, int]) -> None:
    status = expected[role]
    assert response.status_code == status, (role, response.status_code)
    if role == "anonymous" and status == 302:
        assert _is_login_redirect(response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_create_page_is_for_facilitators(cast, role):
    person = cast.roles[role]
    client = cast.client(person)
    url = reverse("elections:create", args=[cast.north.slug])
    expected = LOGIN | {"observer": 403, "member": 403, "facilitator": 200}
    _check(client.get(url), role, expected)
    data = {"title": "Delegates", "method": "meek_stv", "seats": 2, "secrecy": "secret"}
    data["max_score"] = 5
    created = client.post(url, data)
    _check(created, role, expected | {"facilitator": 302})
    assert Election.objects.filter(body=cast.north).count() == (role == "facilitator")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_detail_is_readable_by_whoever_may_read_the_body(cast, role):
    election = standing_election(cast)
    response = cast.client(cast.roles[role]).get(_url("detail", election))
    _check(response, role, HIDDEN | {"observer": 200, "member": 200, "facilitator": 200})
    if response.status_code == 200:
        assert b"Comisi" in response.content
        assert (b"I stand as a candidate" in response.content) is False  # all three stand


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_voting_members_nominate(cast, role):
    election = elections.election_create(cast.alice, cast.north, title="T", method="irv")
    response = cast.client(cast.roles[role]).post(_url("nominate", election), {})
    _check(response, role, LOGIN | {"observer": 403, "member": 302, "facilitator": 302})
    standing = Candidate.objects.filter(election=election, status="accepted").count()
    assert standing == (role in ("member", "facilitator"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_facilitators_add_options(cast, role):
    election = elections.election_create(cast.alice, cast.north, title="T", method="consent")
    response = cast.client(cast.roles[role]).post(_url("option_add", election), {"name": "Plan"})
    _check(response, role, LOGIN | {"observer": 403, "member": 403, "facilitator": 302})
    assert election.candidates.count() == (role == "facilitator")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_the_nominee_answers_a_nomination(cast, role):
    election = elections.election_create(cast.alice, cast.north, title="T", method="irv")
    nomination = elections.nominate(cast.carol, election, nominee=cast.bob)
    response = cast.client(cast.roles[role]).post(
        _url("answer", election, nomination.pk), {"answer": "accept"}
    )
    # bob is the nominee and the "member" of the cast.
    _check(response, role, LOGIN | {"observer": 403, "member": 302, "facilitator": 403})
    nomination.refresh_from_db()
    assert nomination.status == ("accepted" if role == "member" else "pending")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_facilitators_open_voting(cast, role):
    election = standing_election(cast)
    response = cast.client(cast.roles[role]).post(_url("open", election))
    _check(response, role, LOGIN | {"observer": 403, "member": 403, "facilitator": 302})
    election.refresh_from_db()
    assert election.is_voting == (role == "facilitator")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_the_electorate_casts(cast, role):
    election = voting_election(cast)
    response = cast.client(cast.roles[role]).post(_url("cast", election), ranks(1, 0))
    # Voters go back to the election page (303), the receipt shown there once.
    _check(response, role, LOGIN | {"observer": 403, "member": 303, "facilitator": 303})
    assert election.ballots.count() == (role in ("member", "facilitator"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_facilitators_close(cast, role):
    election = voting_election(cast)
    elections.ballot_cast(cast.bob, election, form=ranks(0))
    response = cast.client(cast.roles[role]).post(_url("close", election))
    _check(response, role, LOGIN | {"observer": 403, "member": 403, "facilitator": 302})
    election.refresh_from_db()
    assert election.is_closed == (role == "facilitator")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_receipt_check_for_whoever_may_read_the_body(cast, role):
    election = voting_election(cast)
    receipt = elections.ballot_cast(cast.carol, election, form=ranks(2, 0)).receipt
    response = cast.client(cast.roles[role]).post(_url("receipt", election), {"code": receipt})
    _check(response, role, HIDDEN | {"observer": 200, "member": 200, "facilitator": 200})
    if response.status_code == 200:
        page = response.content.decode()
        assert "A ballot with this receipt code is stored in this election." in page
        assert "1. Carol" not in page and "2. " not in page
    # Never by GET: the code would travel in the address, into logs and browser history.
    assert (
        cast.client(cast.roles[role]).get(_url("receipt", election), {"code": receipt}).status_code
        == 405
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["result", "result_json", "ballots_json", "ballots_blt"])
@pytest.mark.parametrize("role", ROLES)
def test_results_and_downloads_after_close_for_readers(cast, role, name):
    election = voting_election(cast)
    elections.ballot_cast(cast.bob, election, form=ranks(1, 2))
    client = cast.client(cast.roles[role])
    before = client.get(_url(name, election))
    assert before.status_code == 404  # nothing is published while voting is open
    elections.election_close(cast.alice, election)
    after = client.get(_url(name, election))
    _check(after, role, HIDDEN | {"observer": 200, "member": 200, "facilitator": 200})
    if after.status_code == 200:
        assert b"Bob" in after.content


@pytest.mark.django_db
def test_public_body_results_are_public_but_voting_is_for_members(cast):
    election = elections.election_create(cast.frank, cast.south, title="Turno", method="irv")
    elections.nominate(cast.frank, election)
    elections.voting_open(cast.frank, election)
    refused = cast.client(cast.oscar).post(_url("cast", election), ranks(0))
    assert refused.status_code == 403
    elections.ballot_cast(cast.frank, election, form=ranks(0))
    elections.election_close(cast.frank, election)
    for person in (None, cast.oscar, cast.alice):
        page = cast.client(person).get(_url("result", election))
        assert page.status_code == 200 and b"Frank" in page.content
    other = cast.client(cast.alice).post(_url("close", election))
    assert other.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("close", [False, True], ids=["voting", "closed"])
def test_an_election_receipt_check_answers_the_same_whatever_the_ballot_ranks(cast, close):
    """A receipt shows that the ballot is in the box (and, once closed, counted), never its
    ranking: three different ballots give the same page."""
    election = voting_election(cast)
    orders = {cast.alice: (0, 1, 2), cast.bob: (1,), cast.carol: (2, 0)}
    codes = [elections.ballot_cast(p, election, form=ranks(*o)).receipt for p, o in orders.items()]
    if close:
        election = elections.election_close(cast.alice, election)
    client = cast.client(cast.olivia)
    pages = [
        re.sub(
            r"[A-Za-z0-9]{64}",
            "token",
            client.post(_url("receipt", election), {"code": c}).content.decode(),
        )
        for c in codes
    ]
    assert pages[0] == pages[1] == pages[2]
    assert ("It was counted in the published result." in pages[0]) == close
