"""Bad input to a verifiable vote's endpoints: malformed, oversized, forged, replayed, out of
order or unauthorised requests get a clear refusal (a JSON error with its code) and change
nothing."""

from __future__ import annotations

import copy
import json

import pytest
from django.urls import reverse

from asamblea.testing import db_state
from asamblea.verifiable.tests.play import TrusteeBrowser, VoterBrowser, post, url
from asamblea.voting.actions import poll_open


@pytest.fixture
def open_vote(cast):
    """A verifiable vote open for voting: trustees alice and bob (1 of 2), bob and carol
    registered."""
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    cast.client(cast.alice).post(
        url(poll, "setup"), {"trustees": [cast.alice.pk, cast.bob.pk], "threshold": 1}
    )
    trustees = [TrusteeBrowser(cast.client(p), poll) for p in (cast.alice, cast.bob)]
    for step in ("channel", "commit", "key"):
        for t in trustees:
            assert getattr(t, step)().status_code == 200
    voters = {p: VoterBrowser(cast.client(p), poll) for p in (cast.bob, cast.carol)}
    for v in voters.values():
        assert v.register().status_code == 200
    cast.client(cast.alice).post(url(poll, "open_voting"))
    return poll, voters, trustees


def _refused(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


@pytest.mark.django_db
def test_forged_and_malformed_ballots_change_nothing(cast, open_vote):
    poll, voters, _ = open_vote
    bob = voters[cast.bob]
    ballot, _opening = bob.encrypt("yes")
    forged = copy.deepcopy(ballot)
    forged["answers"][0]["choices"][0][0] = "ff" * 32  # not a group element
    flipped = copy.deepcopy(ballot)
    flipped["answers"][0]["choices"][0], flipped["answers"][0]["choices"][1] = (
        flipped["answers"][0]["choices"][1],
        flipped["answers"][0]["choices"][0],
    )
    client, carol, alice = (cast.client(p) for p in (cast.bob, cast.carol, cast.alice))
    before = db_state()
    for bad in (forged, flipped, {"election": "x"}, [], "ballot", None):
        _refused(post(client, poll, "cast", {"ballot": bad}), 400, "bad_ballot")
    _refused(
        client.post(url(poll, "cast"), "{not json", content_type="application/json"),
        400,
        "bad_json",
    )
    _refused(post(client, poll, "cast", ["a list"]), 400, "bad_json")
    big = {"ballot": "x" * (300 * 1024)}
    _refused(
        client.post(url(poll, "cast"), json.dumps(big), content_type="application/json"),
        413,
        "too_large",
    )
    # carol cannot cast with bob's credential (a ballot signed by bob's code).
    _refused(post(carol, poll, "cast", {"ballot": ballot}), 403, "wrong_credential")
    # alice never registered.
    _refused(post(alice, poll, "cast", {"ballot": ballot}), 403, "not_registered")
    assert db_state() == before


@pytest.mark.django_db
def test_a_replayed_ballot_is_refused(cast, open_vote):
    poll, voters, _ = open_vote
    ballot, _opening = voters[cast.bob].encrypt("no")
    client = cast.client(cast.bob)
    assert post(client, poll, "cast", {"ballot": ballot}).status_code == 200
    before = db_state()
    _refused(post(client, poll, "cast", {"ballot": ballot}), 409, "replayed")
    assert db_state() == before


@pytest.mark.django_db
def test_out_of_order_steps_change_nothing(cast, open_vote):
    poll, voters, trustees = open_vote
    alice, bob = cast.client(cast.alice), cast.client(cast.bob)
    late = VoterBrowser(alice, poll)
    before = db_state()
    _refused(late.register(), 409, "wrong_phase")
    _refused(post(alice, poll, "trustee_channel", {"channel_key": "00" * 32}), 409, "wrong_phase")
    _refused(post(alice, poll, "trustee_decrypt", {"partial": {}}), 409, "wrong_phase")
    _refused(post(bob, poll, "register", {"credential": "zz"}), 400, "bad_credential")
    assert alice.post(url(poll, "open_voting")).status_code == 409
    # The ordinary close of the poll is refused: it closes with its trustees' result.
    closing = alice.post(reverse("voting:close", args=[cast.north.slug, poll.pk]))
    assert closing.status_code == 409
    # Plain ballots are refused when the facilitator did not allow them.
    plain = alice.post(reverse("voting:cast", args=[cast.north.slug, poll.pk]), {"choice": "yes"})
    assert plain.status_code == 409
    assert db_state() == before


@pytest.mark.django_db
def test_bad_trustee_posts_change_nothing(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    cast.client(cast.alice).post(
        url(poll, "setup"), {"trustees": [cast.alice.pk, cast.bob.pk], "threshold": 2}
    )
    alice, bob = (TrusteeBrowser(cast.client(p), poll) for p in (cast.alice, cast.bob))
    client, carol = cast.client(cast.alice), cast.client(cast.carol)
    before = db_state()
    _refused(post(client, poll, "trustee_channel", {"channel_key": "00" * 32}), 400, "bad_key")
    _refused(
        post(client, poll, "trustee_channel", {"channel_key": "ab", "proof": {}}), 400, "bad_key"
    )
    # channel keys first
    _refused(
        post(client, poll, "trustee_commit", {"commitment": {}, "shares": {}}), 409, "wrong_phase"
    )
    _refused(post(carol, poll, "trustee_channel", {}), 403, "not_trustee")
    assert db_state() == before
    assert alice.channel().status_code == 200
    _refused(alice.channel(), 409, "already_done")
    assert bob.channel().status_code == 200
    before = db_state()
    _refused(
        post(client, poll, "trustee_commit", {"commitment": {}, "shares": {}}),
        400,
        "bad_commitment",
    )
    body = {"commitment": None, "shares": None}
    _refused(post(client, poll, "trustee_commit", body), 400, "bad_commitment")
    assert db_state() == before
    assert alice.commit().status_code == 200
