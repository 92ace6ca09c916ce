"""Every method end to end: ballots cast, counted at close, result page, downloads, recount."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from asamblea.elections import actions as elections
from asamblea.elections import queries as election_queries
from asamblea.elections.tests.election_helpers import more_members, ranks, voting_election

# Ballots for (alice, bob, carol, voter0..voter3) on a ballot of Alice (0), Bob (1), Carol (2).
BALLOTS = {
    "plurality": [{"mark": [str(c)]} for c in (0, 1, 1, 2, 1, 0, 2)],
    "approval": [{"mark": [str(c) for c in m]} for m in ((0, 1), (1,), (1, 2), (2,), (0,), (0,))],
    "score": [
        {f"score_{c}": [str(s)] for c, s in enumerate(scores)}
        for scores in ((5, 3, 0), (0, 5, 1), (2, 2, 2), (1, 0, 5))
    ],
    "irv": [ranks(*order) for order in ((0, 1), (1, 0), (2, 1), (1,), (2, 0), (0, 2, 1))],
    "meek_stv": [ranks(*order) for order in ((0, 1), (1, 0), (2, 1), (1,), (2, 0), (0, 2, 1))],
    "scottish_stv": [ranks(*order) for order in ((0, 1), (1, 0), (2, 1), (1,), (2, 0), (0, 2, 1))],
    "schulze": [
        {"rank_0": ["1"], "rank_1": ["1"], "rank_2": ["2"]},
        ranks(1, 2, 0),
        ranks(2, 0),
        ranks(0, 1, 2),
    ],
    "consent": [
        {"stance_0": ["consent"], "stance_1": ["object"], "reason_1": ["Too expensive"]},
        {"stance_0": ["stand aside"], "reason_0": ["Not sure"], "stance_1": ["consent"]},
        {},
    ],
}
SEATS = {"meek_stv": 2, "scottish_stv": 2, "approval": 2}
EXPECTED = {
    "plurality": [1],
    "approval": [0, 1],
    "consent": [0, 2],
}


@pytest.mark.django_db
@pytest.mark.parametrize("method", sorted(BALLOTS))
@pytest.mark.parametrize("secrecy", ["secret", "named"])
def test_each_method_counts_publishes_and_recounts(cast, method, secrecy):
    voters = more_members(cast, 4)
    election = voting_election(cast, method, seats=SEATS.get(method, 1), secrecy=secrecy)
    people = [cast.alice, cast.bob, cast.carol, *voters]
    for person, form in zip(people, BALLOTS[method], strict=False):
        elections.ballot_cast(person, election, form=form)
    election = elections.election_close(cast.alice, election)
    if method in EXPECTED:
        assert sorted(election.result["winners"]) == EXPECTED[method]
    assert election_queries.recount(election)["trace"] == election.result["trace"]
    slug, pk = cast.north.slug, election.pk
    client = cast.client(cast.bob)
    page = client.get(reverse("elections:result", args=[slug, pk]))
    assert page.status_code == 200
    for winner in election_queries.winners(election):
        assert winner.name in page.content.decode()
    if secrecy == "named":
        assert b'id="named"' in page.content and b"Carol" in page.content
    trace = json.loads(client.get(reverse("elections:result_json", args=[slug, pk])).content)
    assert trace["result"]["trace"] == election.result["trace"]
    ballots = json.loads(client.get(reverse("elections:ballots_json", args=[slug, pk])).content)
    assert len(ballots["ballots"]) == min(len(people), len(BALLOTS[method]))
    assert all(("voter" in b) == (secrecy == "named") for b in ballots["ballots"])
    blt = client.get(reverse("elections:ballots_blt", args=[slug, pk]))
    assert blt.status_code == (200 if election.is_ranked else 404)


@pytest.mark.django_db
def test_consent_result_page_shows_objections_with_reasons(cast):
    election = voting_election(cast, "consent")
    for person, form in zip((cast.alice, cast.bob), BALLOTS["consent"], strict=False):
        elections.ballot_cast(person, election, form=form)
    election = elections.election_close(cast.alice, election)
    page = cast.client(cast.carol).get(
        reverse("elections:result", args=[cast.north.slug, election.pk])
    )
    assert "Too expensive" in page.content.decode()
    assert election.result["winners"] == [0, 2]
