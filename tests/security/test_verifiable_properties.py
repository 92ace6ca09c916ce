"""The properties a verifiable secret ballot promises (issue 15, docs/verifiable-ballots.md), each
stated and tested from the server's side on a whole vote played through its endpoints.

1. The server stores no choice: after casting and before the result, no table holds a choice in
   the clear, only ciphertexts (and an audited ballot leaves nothing behind).
2. The server cannot cast for anyone: a ballot must be signed with the secret behind a registered
   credential, which only the voter's browser holds; the caster's own credential is required.
3. Every voter can check their ballot is counted: the tracker the server answers is the hash of
   the ballot as it stands on the board, and the board page finds it.
4. Anyone can recompute the result from the public board alone, and the result stored on the
   poll is the board's.
5. The board is tied into the body's ledger: every head the ledger anchored is the hash of a
   record of the final board at the length it says (a rewritten board would not match).
6. A point outside the group, or a proof that does not hold, is refused before anything is
   written.
7. The trustees' shares pass through the server only as messages it cannot open: what it stores
   is not the share, and each message is handed only to its receiver.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.urls import reverse

from asamblea.ledger.models import LedgerEntry
from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import credentials, trustees
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import hx
from asamblea.verifiable.models import Record, Share, VerifiableVote
from asamblea.verifiable.tests.play import TrusteeBrowser, VoterBrowser, post, state, url
from asamblea.verifiable.verifier import verify_board
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Ballot


def _rows_as_text() -> str:
    """Every row of every Asamblea table except the ledger (which records the public result)."""
    texts = []
    for model in apps.get_models():
        if not model.__module__.startswith("asamblea.") or model is LedgerEntry:
            continue
        for row in model.objects.values_list():
            texts.append(repr(row))
    return "\n".join(texts)


@pytest.fixture
def vote(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    people = [cast.alice, cast.bob, cast.carol]
    cast.client(cast.alice).post(
        url(poll, "setup"), {"trustees": [p.pk for p in people], "threshold": 2}
    )
    browsers = [TrusteeBrowser(cast.client(p), poll) for p in people]
    for step in ("channel", "commit", "key"):
        for b in browsers:
            assert getattr(b, step)().status_code == 200
    voters = {p: VoterBrowser(cast.client(p), poll) for p in people}
    for v in voters.values():
        assert v.register().status_code == 200
    cast.client(cast.alice).post(url(poll, "open_voting"))
    return poll, browsers, voters


@pytest.mark.django_db
def test_1_the_server_stores_no_choice(cast, vote):
    poll, _trustees, voters = vote
    ballot, opening = voters[cast.bob].encrypt("abstain")
    audited = post(cast.client(cast.bob), poll, "audit", {"ballot": ballot, "opening": opening})
    assert audited.json()["answers"] == [["abstain"]]
    for person, choice in ((cast.alice, "yes"), (cast.bob, "no"), (cast.carol, "no")):
        assert voters[person].cast(choice).status_code == 200
    text = _rows_as_text()
    # No randomness of the audited ballot, and no ordinary ballot row with a choice.
    assert not any(r in text for row in opening for r in row)
    assert not Ballot.objects.filter(poll=poll).exists()
    # Every ballot record is points and scalars (64 hex digits) and the ballot's structure.
    for record in Record.objects.filter(vote__poll=poll, kind="ballot"):
        flat = json.dumps(record.payload)
        for word in ("yes", "no", "abstain"):
            assert f'"{word}"' not in flat


@pytest.mark.django_db
def test_2_the_server_cannot_cast_for_anyone(cast, vote):
    poll, _trustees, voters = vote
    election = voters[cast.bob].election()
    # Signed with a secret that is not behind bob's registered credential (the server's guess).
    forged, _opening = B.encrypt(
        election, credentials.secret("x", credentials.new_code()), [[1, 0, 0]]
    )
    response = post(cast.client(cast.bob), poll, "cast", {"ballot": forged})
    assert response.status_code == 403 and response.json()["error"]["code"] == "wrong_credential"
    # bob's real credential, with another signature: the signature does not verify.
    real, _opening = voters[cast.bob].encrypt("yes")
    real["signature"] = {"commitment": hx(G.base(5)), "response": real["signature"]["response"]}
    response = post(cast.client(cast.bob), poll, "cast", {"ballot": real})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_ballot"
    assert not Record.objects.filter(vote__poll=poll, kind="ballot").exists()


@pytest.mark.django_db
def test_3_a_voter_finds_their_tracker_on_the_board(cast, vote):
    poll, _trustees, voters = vote
    ballot, _opening = voters[cast.carol].encrypt("yes")
    answer = post(cast.client(cast.carol), poll, "cast", {"ballot": ballot}).json()
    assert answer["tracker"] == B.tracker(ballot)
    board = cast.client(cast.olivia).get(url(poll, "board_json")).json()
    assert board["records"][answer["index"]]["payload"] == ballot
    page = cast.client(cast.olivia).get(url(poll, "board") + f"?tracker={answer['tracker']}")
    assert b"tracker-found" in page.content
    missing = cast.client(cast.olivia).get(url(poll, "board") + "?tracker=" + "0" * 64)
    assert b"tracker-missing" in missing.content


@pytest.mark.django_db
def test_4_and_5_anyone_recomputes_the_result_and_the_ledger_anchors_the_board(cast, vote):
    poll, browsers, voters = vote
    for person, choice in ((cast.alice, "no"), (cast.bob, "yes"), (cast.carol, "yes")):
        voters[person].cast(choice)
    cast.client(cast.alice).post(url(poll, "close_voting"))
    for b in browsers[1:]:
        assert b.decrypt().status_code == 200
    poll.refresh_from_db()
    board = cast.client(cast.olivia).get(url(poll, "board_json")).json()
    report = verify_board(board)
    assert report.result == [[2, 1, 0]]
    assert (poll.result["yes"], poll.result["no"], poll.result["abstain"]) == ("2", "1", "0")
    hashes = [r["hash"] for r in board["records"]]
    anchored = [
        json.loads(e.payload)
        for e in LedgerEntry.objects.filter(kind="verifiable.phase").order_by("seq")
    ]
    assert len(anchored) >= 5
    for entry in anchored:
        assert hashes[entry["board_length"] - 1] == entry["board_head"]
    closed = LedgerEntry.objects.filter(kind="poll.closed").get()
    assert json.loads(closed.payload)["result"]["verifiable"]["board_head"] == hashes[-1]


@pytest.mark.django_db
def test_6_a_point_outside_the_group_is_refused(cast, vote):
    poll, _trustees, voters = vote
    ballot, _opening = voters[cast.bob].encrypt("no")
    ballot["answers"][0]["proofs"][0]["commitments"][0][0] = "ff" * 32
    response = post(cast.client(cast.bob), poll, "cast", {"ballot": ballot})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_ballot"
    response = post(cast.client(cast.bob), poll, "register", {"credential": "ff" * 32})
    assert response.status_code in (400, 409)
    assert not Record.objects.filter(vote__poll=poll, kind="ballot").exists()


@pytest.mark.django_db
def test_7_shares_pass_through_the_server_unreadable(cast, vote):
    poll, browsers, _voters = vote
    stored = Share.objects.filter(vote__poll=poll)
    assert stored.count() == 6  # 3 trustees, each to the 2 others
    fingerprint, i, _c, poly = browsers[0].secrets()
    for share in stored.filter(sender=i):
        value = trustees.evaluate(poly, share.receiver)
        assert G.scalar_bytes(value).hex() not in json.dumps(share.ciphertext)
    # Each trustee's state holds only the messages addressed to it.
    mine = state(cast.client(cast.bob), poll)["me"]["shares"]
    assert sorted(mine) == ["1", "3"]
    assert all(m["receiver"] == 2 for m in mine.values())
    assert state(cast.client(cast.olivia), poll)["me"]["shares"] is None
    assert fingerprint == bytes.fromhex(VerifiableVote.objects.get(poll=poll).records.first().hash)
    detail = cast.client(cast.olivia).get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    assert detail.status_code == 200
