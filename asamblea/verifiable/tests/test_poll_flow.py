"""A verifiable yes / no / abstain poll end to end through the server's pages and JSON endpoints:
setup, key ceremony, registration, casting (with a re-vote and an audit), tally, t-of-n
decryption, the poll's result and its motion, and the board verified from the board alone."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from asamblea.ledger.actions import verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.motions.actions import motion_submit
from asamblea.verifiable import actions
from asamblea.verifiable.models import Record, Share, VerifiableVote
from asamblea.verifiable.tests.play import TrusteeBrowser, VoterBrowser, post, state, url
from asamblea.verifiable.verifier import verify_board
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Eligibility, Poll


def _ceremony(cast, poll, people, threshold=2):
    response = cast.client(cast.alice).post(
        url(poll, "setup"),
        {"trustees": [p.pk for p in people], "threshold": threshold},
    )
    assert response.status_code == 302, response.content
    browsers = [TrusteeBrowser(cast.client(p), poll) for p in people]
    for b in browsers:
        assert b.channel().status_code == 200
    for b in browsers:
        assert b.commit().status_code == 200
    for b in browsers:
        response = b.key()
        assert response.status_code == 200, response.content
    return browsers


@pytest.mark.django_db
def test_a_verifiable_poll_end_to_end(cast):
    poll = poll_open(cast.alice, cast.north, title="¿Huelga?", secrecy="verifiable")
    page = cast.client(cast.bob).get(url(poll, "vote"))
    assert page.status_code == 200 and b"needs JavaScript" in page.content
    assert state(cast.client(cast.bob), poll)["phase"] == "setup"
    trustees = _ceremony(cast, poll, [cast.alice, cast.bob, cast.carol])
    vote = VerifiableVote.objects.get(poll=poll)
    assert vote.phase == "registration"
    assert not Share.objects.filter(vote=vote).exclude(receiver__in=[1, 2, 3]).exists()
    voters = {p: VoterBrowser(cast.client(p), poll) for p in (cast.alice, cast.bob, cast.carol)}
    for v in voters.values():
        response = v.register()
        assert response.status_code == 200, response.content
        assert response.json()["weight"] == 1
    assert Eligibility.objects.filter(poll=poll, voted=True).count() == 3
    again = voters[cast.bob].register()
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_registered"
    assert cast.client(cast.alice).post(url(poll, "open_voting")).status_code == 302
    vote.refresh_from_db()
    assert vote.phase == "open"

    # Cast-or-audit: the audited ballot is opened and checked, nothing stored.
    before = Record.objects.filter(vote=vote).count()
    ballot, opening = voters[cast.bob].encrypt("no")
    audited = post(cast.client(cast.bob), poll, "audit", {"ballot": ballot, "opening": opening})
    assert audited.status_code == 200 and audited.json()["answers"] == [["no"]]
    bad = post(
        cast.client(cast.bob), poll, "audit", {"ballot": ballot, "opening": [opening[0][::-1]]}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_opening"
    assert Record.objects.filter(vote=vote).count() == before

    trackers = {}
    for person, choice in ((cast.alice, "yes"), (cast.bob, "no"), (cast.carol, "yes")):
        response = voters[person].cast(choice)
        assert response.status_code == 200, response.content
        trackers[person] = response.json()["tracker"]
    revote = voters[cast.bob].cast("yes")  # the last ballot counts
    assert revote.status_code == 200
    board_page = cast.client(cast.bob).get(
        url(poll, "board") + "?tracker=" + revote.json()["tracker"]
    )
    assert b"tracker-found" in board_page.content

    assert cast.client(cast.alice).post(url(poll, "close_voting")).status_code == 302
    vote.refresh_from_db()
    assert vote.phase == "closed"
    late = voters[cast.carol].cast("no")
    assert late.status_code == 409
    assert trustees[0].decrypt().status_code == 200
    poll.refresh_from_db()
    assert poll.is_open  # one of two partial decryptions
    response = trustees[2].decrypt()
    assert response.status_code == 200 and response.json()["result"] is True
    poll.refresh_from_db()
    assert not poll.is_open
    assert poll.result["yes"] == "3" and poll.result["no"] == "0" and poll.result["adopted"]
    assert poll.result["verifiable"]["ballots"] == 3 and poll.result["ordinary_ballots"] == 0
    assert trustees[1].decrypt().status_code == 409  # the result is in

    board = cast.client(cast.olivia).get(url(poll, "board_json")).json()
    report = verify_board(board)
    assert report.result == [[3, 0, 0]]
    assert report.ballots == 4 and report.counted == 3
    vote.refresh_from_db()
    assert board["records"][-1]["hash"] == vote.head
    heads = [
        json.loads(e.payload)["board_head"]
        for e in LedgerEntry.objects.filter(kind="verifiable.phase").order_by("seq")
    ]
    assert heads[-1] == vote.head and len(heads) >= 5
    assert verify_chain(cast.north.ledger_chain).ok
    page = cast.client(cast.bob).get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    assert b"count-verifiable" in page.content


@pytest.mark.django_db
def test_the_motion_proceeds_as_for_any_poll(cast):
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua")
    response = cast.client(cast.alice).post(
        reverse("voting:open", args=[cast.north.slug, motion.number]),
        {"secrecy": "verifiable", "quorum_percent": 50, "majority": "simple"},
    )
    assert response.status_code == 302, response.content
    poll = motion.polls.get()
    assert poll.is_verifiable
    # The ordinary close is refused until the trustees decrypt.
    early = cast.client(cast.alice).post(reverse("voting:close", args=[cast.north.slug, poll.pk]))
    assert early.status_code == 409
    trustees = _ceremony(cast, poll, [cast.alice, cast.carol], threshold=1)
    voter = VoterBrowser(cast.client(cast.bob), poll)
    assert voter.register().status_code == 200
    cast.client(cast.alice).post(url(poll, "open_voting"))
    assert voter.cast("no").status_code == 200
    cast.client(cast.alice).post(url(poll, "close_voting"))
    assert trustees[1].decrypt().json()["result"] is True
    motion.refresh_from_db()
    assert motion.state == "rejected"


@pytest.mark.django_db
def test_a_bad_share_excludes_its_sender_and_the_ceremony_restarts(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    people = [cast.alice, cast.bob, cast.carol]
    cast.client(cast.alice).post(
        url(poll, "setup"), {"trustees": [p.pk for p in people], "threshold": 2}
    )
    browsers = [TrusteeBrowser(cast.client(p), poll) for p in people]
    browsers[2].cheat = True
    for b in browsers:
        assert b.channel().status_code == 200
    for b in browsers:
        assert b.commit().status_code == 200
    assert browsers[0].received()[3] is not None
    first = state(cast.client(cast.bob), poll)["fingerprint"]
    response = browsers[0].complain(3)
    assert response.status_code == 200, response.content
    s = state(cast.client(cast.bob), poll)
    assert s["step"] == "channel" and s["trustee_count"] == 2 and s["fingerprint"] != first
    assert [t["name"] for t in s["trustees"]] == ["Alice", "Bob"]
    for b in browsers[:2]:
        assert b.channel().status_code == 200
    for b in browsers[:2]:
        assert b.commit().status_code == 200
    for b in browsers[:2]:
        assert b.key().status_code == 200
    assert state(cast.client(cast.bob), poll)["phase"] == "registration"
    board = cast.client(cast.bob).get(url(poll, "board_json")).json()
    assert board["records"][-1]["kind"] == "election_key"
    verify_board(board)  # raises on the first record that does not verify


@pytest.mark.django_db
def test_a_false_complaint_excludes_the_accuser(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    people = [cast.alice, cast.bob, cast.carol]
    cast.client(cast.alice).post(
        url(poll, "setup"), {"trustees": [p.pk for p in people], "threshold": 2}
    )
    browsers = [TrusteeBrowser(cast.client(p), poll) for p in people]
    for b in browsers:
        b.channel()
    for b in browsers:
        b.commit()
    assert browsers[0].complain(2).status_code == 200
    s = state(cast.client(cast.bob), poll)
    assert [t["name"] for t in s["trustees"]] == ["Bob", "Carol"]
    entry = LedgerEntry.objects.filter(kind="verifiable.complaint").get()
    assert json.loads(entry.payload)["excluded"] == cast.alice.pk


@pytest.mark.django_db
def test_weights_multiply_in_the_encrypted_tally(cast):
    """A credential carries its member's vote weight; the tally raises each ballot to it
    without decrypting any ballot, and the board says so (glondu/belenios#42)."""
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    Eligibility.objects.filter(poll=poll, person=cast.bob).update(weight=3)
    trustees = _ceremony(cast, poll, [cast.alice], threshold=1)
    voters = {p: VoterBrowser(cast.client(p), poll) for p in (cast.bob, cast.carol)}
    assert voters[cast.bob].register().json()["weight"] == 3
    assert voters[cast.carol].register().json()["weight"] == 1
    cast.client(cast.alice).post(url(poll, "open_voting"))
    assert voters[cast.bob].cast("no").status_code == 200
    assert voters[cast.carol].cast("yes").status_code == 200
    cast.client(cast.alice).post(url(poll, "close_voting"))
    assert trustees[0].decrypt().json()["result"] is True
    poll.refresh_from_db()
    assert (poll.result["yes"], poll.result["no"]) == ("1", "3")
    board = cast.client(cast.bob).get(url(poll, "board_json")).json()
    report = verify_board(board)
    assert report.result == [[1, 3, 0]] and report.total_weight == 4
    # asamblea verify-ledger recounts it: the ordinary ballots plus the decrypted counts
    out = io.StringIO()
    call_command("verify_ledger", stdout=out)  # raises when a recount disagrees
    assert "1 closed votes, elections and consultations recounted" in out.getvalue()
    poll.refresh_from_db()
    Poll.objects.filter(pk=poll.pk).update(result=poll.result | {"yes": "2"})
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=out)
    assert "recount gives yes = '1', the stored result '2'" in out.getvalue()


@pytest.mark.django_db
def test_the_ballot_box_closes_at_the_polls_closing_time(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    detail = cast.client(cast.alice).get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    assert url(poll, "setup").encode() in detail.content  # the facilitator is shown the next step
    trustees = _ceremony(cast, poll, [cast.alice], threshold=1)
    voter = VoterBrowser(cast.client(cast.bob), poll)
    voter.register()
    cast.client(cast.alice).post(url(poll, "open_voting"))
    assert voter.cast("yes").status_code == 200
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    late = voter.cast("no")
    assert late.status_code == 409 and late.json()["error"]["code"] == "voting_closed"
    # Any page of the vote (here the poll's own) closes the box and publishes the tally.
    cast.client(cast.olivia).get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    assert VerifiableVote.objects.get(poll=poll).phase == "closed"
    assert trustees[0].decrypt().json()["result"] is True
    poll.refresh_from_db()
    assert poll.result["yes"] == "1" and not poll.is_open


@pytest.mark.django_db
def test_close_due_closes_a_ballot_box_past_its_time_without_any_page(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    trustees = _ceremony(cast, poll, [cast.alice], threshold=1)
    voter = VoterBrowser(cast.client(cast.bob), poll)
    voter.register()
    cast.client(cast.alice).post(url(poll, "open_voting"))
    assert voter.cast("no").status_code == 200
    call_command("close_due_polls", stdout=io.StringIO())
    assert VerifiableVote.objects.get(poll=poll).phase == "open"  # not due yet
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    out = io.StringIO()
    call_command("close_due_polls", stdout=out)
    assert "1 verifiable ballot boxes closed" in out.getvalue()
    vote = VerifiableVote.objects.get(poll=poll)
    assert vote.phase == "closed"
    assert Record.objects.filter(vote=vote, kind="tally").count() == 1
    closing = [
        json.loads(e.payload)
        for e in LedgerEntry.objects.filter(kind="verifiable.phase").order_by("seq")
    ][-1]
    assert closing["phase"] == "closed" and closing["by"] is None
    assert closing["board_head"] == vote.head
    call_command("close_due_polls", stdout=out)  # once only
    assert Record.objects.filter(vote=vote, kind="tally").count() == 1
    assert trustees[0].decrypt().json()["result"] is True
    poll.refresh_from_db()
    assert poll.result["no"] == "1" and not poll.is_open


@pytest.mark.django_db
def test_the_body_page_closes_its_due_ballot_boxes(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    _ceremony(cast, poll, [cast.alice], threshold=1)
    cast.client(cast.alice).post(url(poll, "open_voting"))
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    page = cast.client(cast.bob).get(reverse("bodies:detail", args=[cast.north.slug]))
    assert page.status_code == 200
    assert VerifiableVote.objects.get(poll=poll).phase == "closed"


@pytest.mark.django_db
def test_ordinary_ballots_where_allowed_are_counted_apart(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    response = cast.client(cast.alice).post(
        url(poll, "setup"),
        {"trustees": [cast.alice.pk], "threshold": 1, "plain_fallback": "on"},
    )
    assert response.status_code == 302
    trustee = TrusteeBrowser(cast.client(cast.alice), poll)
    for step in ("channel", "commit", "key"):
        assert getattr(trustee, step)().status_code == 200
    carol = cast.client(cast.carol)
    page = carol.get(url(poll, "vote"))
    assert b"verifiable-plain" in page.content  # the ordinary form, for a browser without JS
    plain = carol.post(reverse("voting:cast", args=[cast.north.slug, poll.pk]), {"choice": "no"})
    assert plain.status_code == 303
    # One member, one way: carol cast an ordinary ballot, so she cannot register a credential.
    refused = VoterBrowser(carol, poll).register()
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_voted"
    bob = VoterBrowser(cast.client(cast.bob), poll)
    assert bob.register().status_code == 200
    again = cast.client(cast.bob).post(
        reverse("voting:cast", args=[cast.north.slug, poll.pk]), {"choice": "yes"}
    )
    assert again.status_code == 409  # registered: no ordinary ballot besides
    cast.client(cast.alice).post(url(poll, "open_voting"))
    assert bob.cast("yes").status_code == 200
    cast.client(cast.alice).post(url(poll, "close_voting"))
    assert trustee.decrypt().json()["result"] is True
    poll.refresh_from_db()
    assert (poll.result["yes"], poll.result["no"]) == ("1", "1")
    assert poll.result["ordinary_ballots"] == 1 and poll.result["verifiable"]["ballots"] == 1
    assert poll.result["participants"] == 2
    detail = cast.client(cast.bob).get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    assert b'id="count-ordinary">1<' in detail.content


@pytest.mark.django_db
def test_a_group_commit_stores_exactly_the_good_ballots_of_a_batch(cast):
    """``ballots_cast``: several casts verified, then appended in one transaction; each gets
    its own record or refusal, and only the good ones are on the board, once, in a chain."""
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    trustees = _ceremony(cast, poll, [cast.alice], threshold=1)
    voters = {p: VoterBrowser(cast.client(p), poll) for p in (cast.alice, cast.bob, cast.carol)}
    voters[cast.alice].register()
    voters[cast.bob].register()  # carol never registers
    cast.client(cast.alice).post(url(poll, "open_voting"))
    vote = VerifiableVote.objects.get(poll=poll)
    first, _ = voters[cast.bob].encrypt("no")
    assert voters[cast.bob].cast("abstain").status_code == 200
    replay, _ = voters[cast.alice].encrypt("yes")
    post(cast.client(cast.alice), poll, "cast", {"ballot": replay})
    broken = dict(voters[cast.alice].encrypt("no")[0], signature={"x": 1})
    carols, _ = voters[cast.carol].encrypt("yes")
    vote.refresh_from_db()
    length = vote.length
    answers = actions.ballots_cast(
        vote,
        [
            (cast.bob, first),  # good: bob's re-vote
            (cast.alice, replay),  # already on the board
            (cast.alice, broken),  # does not verify
            (cast.carol, carols),  # not registered
            (cast.alice, first),  # bob's ballot, not alice's credential
            (cast.bob, first),  # the same ballot twice in one batch: the second is a replay
        ],
    )
    codes = [a.code if isinstance(a, Exception) else "ok" for a in answers]
    assert codes == [
        "ok",
        "replayed",
        "bad_ballot",
        "not_registered",
        "wrong_credential",
        "replayed",
    ]
    vote.refresh_from_db()
    assert vote.length == length + 1 and answers[0].index == length
    assert vote.head == answers[0].hash
    assert Record.objects.filter(vote=vote, kind="ballot").count() == 3
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    late, _ = voters[cast.bob].encrypt("yes")
    (closed,) = actions.ballots_cast(vote, [(cast.bob, late)])
    assert closed.code == "voting_closed"
    call_command("close_due_polls", stdout=io.StringIO())
    assert trustees[0].decrypt().json()["result"] is True
    report = verify_board(cast.client(cast.bob).get(url(poll, "board_json")).json())
    assert report.result == [[1, 1, 0]]  # alice yes; bob's last ballot (the batch's) no
