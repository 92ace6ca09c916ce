"""Encrypted ballots through the lean endpoint (:mod:`asamblea.lean.verifiable_cast`) and through
Django's view of the same address: the same checks, the same answers, the same records. The
lean path writes from its own threads, so these tests commit for real (``transaction=True``).
"""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.test import Client

from asamblea.accounts.models import Person
from asamblea.elections.models import Election
from asamblea.lean import verifiable_cast
from asamblea.lean.app import LeanApp
from asamblea.verifiable import actions, queries
from asamblea.verifiable.models import Record, VerifiableVote
from asamblea.verifiable.tests.play import TrusteeBrowser, VoterBrowser, url
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Poll
from tests.lean_client import Answer, call, csrf_pair

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lean_app():
    app = LeanApp()
    yield app
    app.shutdown()  # the threads' connections must close before the test database goes


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
    return poll, voters


def session_of(person: Person | None) -> str | None:
    if person is None:
        return None
    client = Client()
    client.force_login(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def scope(
    poll: Poll | Election,
    person: Person | None,
    *,
    csrf: tuple[str, str] | None = None,
    origin: str | None = None,
    method: str = "POST",
    language: str = "en",
) -> dict[str, Any]:
    csrf = csrf or csrf_pair()
    cookies = [f"{settings.CSRF_COOKIE_NAME}={csrf[0]}"]
    key = session_of(person)
    if key:
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={key}")
    cookies.append(f"{settings.LANGUAGE_COOKIE_NAME}={language}")
    headers = [
        (b"host", b"testserver"),
        (b"content-type", b"application/json"),
        (b"cookie", "; ".join(cookies).encode()),
        (b"x-csrftoken", csrf[1].encode()),
    ]
    if origin:
        headers.append((b"origin", origin.encode()))
    return {
        "type": "http",
        "method": method,
        "scheme": "http",
        "path": url(poll, "cast"),
        "headers": headers,
    }


def lean(
    app: LeanApp, poll: Poll | Election, person: Person | None, body: Any, **extra: Any
) -> Answer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return asyncio.run(call(app, scope(poll, person, **extra), raw))


def django(cast, poll: Poll, person: Person | None, body: Any) -> tuple[int, dict[str, Any]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = cast.client(person).post(url(poll, "cast"), raw, content_type="application/json")
    if response.get("Content-Type", "").startswith("application/json"):
        return response.status_code, response.json()
    return response.status_code, {}  # Django's 404 page


def both(cast, app, poll, person, body) -> tuple[tuple[int, str], tuple[int, str]]:
    """(status, error code or "ok") from Django's view and from the lean endpoint."""
    status, data = django(cast, poll, person, body)
    answer = lean(app, poll, person, body)
    return (
        (status, data.get("error", {}).get("code", "ok")),
        (answer.status, answer.body.get("error", {}).get("code", "ok")),
    )


def board_state(poll: Poll) -> tuple[list[Any], list[Any]]:
    """The vote's rows and its board (logging in changes people's rows, not these)."""
    return (
        list(VerifiableVote.objects.filter(poll=poll).values()),
        list(Record.objects.filter(vote__poll=poll).order_by("index").values()),
    )


def ballots(poll: Poll) -> list[Record]:
    return list(Record.objects.filter(vote__poll=poll, kind="ballot").order_by("index"))


def test_a_cast_is_acknowledged_with_its_record_after_commit(cast, open_vote, lean_app):
    poll, voters = open_vote
    ballot, _opening = voters[cast.bob].encrypt("yes")
    answer = lean(lean_app, poll, cast.bob, {"ballot": ballot})
    assert answer.status == 200, answer.body
    (row,) = ballots(poll)
    assert answer.body == {"tracker": row.tracker, "index": row.index, "head": row.hash}
    assert row.payload == ballot
    vote = VerifiableVote.objects.get(poll=poll)
    assert (vote.head, vote.length) == (row.hash, row.index + 1)
    assert answer.headers["cache-control"] == "no-store"


def test_ballots_arriving_together_are_one_group_commit_in_one_chain(cast, open_vote, lean_app):
    poll, voters = open_vote
    sent = [voters[p].encrypt(c)[0] for p, c in ((cast.bob, "yes"), (cast.carol, "no"))]
    sent += [voters[cast.bob].encrypt("abstain")[0]]  # bob votes again: the last one counts
    calls = [
        (cast.bob, sent[0]),
        (cast.carol, sent[1]),
        (cast.bob, sent[2]),
        (cast.carol, sent[0]),  # carol with bob's ballot: not her credential
    ]

    requests = [(scope(poll, p), json.dumps({"ballot": b}).encode()) for p, b in calls]

    async def together() -> list[Answer]:
        return await asyncio.gather(*(call(lean_app, s, b) for s, b in requests))

    answers = asyncio.run(together())
    assert [a.status for a in answers] == [200, 200, 200, 403]
    assert answers[3].body["error"]["code"] == "wrong_credential"
    rows = ballots(poll)
    assert sorted(r.tracker for r in rows) == sorted(a.body["tracker"] for a in answers[:3])
    previous = rows[0].previous
    for row in rows:  # one chain, in index order
        assert row.previous == previous
        previous = row.hash
    vote = VerifiableVote.objects.get(poll=poll)
    assert vote.head == rows[-1].hash
    assert queries.board(vote)["records"][-1]["hash"] == vote.head


def test_refusals_are_those_of_django_s_view_and_store_nothing(cast, open_vote, lean_app):
    poll, voters = open_vote
    ballot, _opening = voters[cast.bob].encrypt("yes")
    forged = copy.deepcopy(ballot)
    forged["answers"][0]["choices"][0][0] = "ff" * 32  # not a group element
    flipped = copy.deepcopy(ballot)
    flipped["answers"][0]["proofs"].reverse()
    before = board_state(poll)
    for person, body, expected in (
        (cast.bob, {"ballot": forged}, (400, "bad_ballot")),
        (cast.bob, {"ballot": flipped}, (400, "bad_ballot")),
        (cast.bob, {"ballot": None}, (400, "bad_ballot")),
        (cast.bob, {"ballot": "x"}, (400, "bad_ballot")),
        (cast.bob, b"{not json", (400, "bad_json")),
        (cast.bob, ["a list"], (400, "bad_json")),
        (cast.carol, {"ballot": ballot}, (403, "wrong_credential")),
        (cast.alice, {"ballot": ballot}, (403, "not_registered")),
        (cast.olivia, {"ballot": ballot}, (403, "not_eligible")),
        (cast.oscar, {"ballot": ballot}, (404, "not_found")),
        (None, {"ballot": ballot}, (404, "not_found")),
    ):
        got_django, got_lean = both(cast, lean_app, poll, person, body)
        assert got_lean == expected, (person, body)
        if expected[1] == "not_found":
            assert got_django[0] == 404  # Django's 404 page, not JSON
        else:
            assert got_django == expected
    assert board_state(poll) == before


def test_anonymous_on_a_public_assembly_is_asked_to_log_in(cast, open_vote, lean_app):
    poll, voters = open_vote
    cast.north.visibility = "public"
    cast.north.save(update_fields=["visibility"])
    ballot, _opening = voters[cast.bob].encrypt("yes")
    answer = lean(lean_app, poll, None, {"ballot": ballot})
    assert (answer.status, answer.body["error"]["code"]) == (403, "login_required")
    assert ballots(poll) == []


def test_a_replayed_ballot_is_refused(cast, open_vote, lean_app):
    poll, voters = open_vote
    ballot, _opening = voters[cast.bob].encrypt("no")
    assert lean(lean_app, poll, cast.bob, {"ballot": ballot}).status == 200
    again = lean(lean_app, poll, cast.bob, {"ballot": ballot})
    assert (again.status, again.body["error"]["code"]) == (409, "replayed")
    status, data = django(cast, poll, cast.bob, {"ballot": ballot})
    assert (status, data["error"]["code"]) == (409, "replayed")
    assert len(ballots(poll)) == 1


def test_csrf_origin_method_and_size_are_checked_first(cast, open_vote, lean_app):
    poll, voters = open_vote
    ballot, _opening = voters[cast.bob].encrypt("yes")
    body = {"ballot": ballot}
    wrong = csrf_pair()
    bad_token = lean(lean_app, poll, cast.bob, body, csrf=(wrong[0], csrf_pair()[1]))
    assert (bad_token.status, bad_token.body["error"]["code"]) == (403, "csrf")
    elsewhere = lean(lean_app, poll, cast.bob, body, origin="https://evil.example")
    assert (elsewhere.status, elsewhere.body["error"]["code"]) == (403, "csrf")
    get = lean(lean_app, poll, cast.bob, body, method="GET")
    assert (get.status, get.headers["allow"]) == (405, "POST")
    big = lean(lean_app, poll, cast.bob, {"ballot": "x" * (300 * 1024)})
    assert (big.status, big.body["error"]["code"]) == (413, "too_large")
    assert ballots(poll) == []


def test_the_rate_limit_of_the_other_cast_routes(cast, open_vote, lean_app, settings):
    poll, voters = open_vote
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "ballot_cast": (2, 60)}
    ballot, _opening = voters[cast.bob].encrypt("yes")
    answers = [lean(lean_app, poll, cast.bob, {"ballot": ballot}) for _ in range(3)]
    assert [a.status for a in answers] == [200, 409, 429]  # the second: replayed
    assert len(ballots(poll)) == 1


def test_voting_not_open_is_refused(cast, open_vote, lean_app):
    poll, voters = open_vote
    ballot, _opening = voters[cast.bob].encrypt("yes")
    cast.client(cast.alice).post(url(poll, "close_voting"))
    answer = lean(lean_app, poll, cast.bob, {"ballot": ballot})
    assert (answer.status, answer.body["error"]["code"]) == (409, "voting_closed")
    assert ballots(poll) == []


def test_messages_in_the_voter_s_language(cast, open_vote, lean_app):
    poll, voters = open_vote
    ballot, _opening = voters[cast.bob].encrypt("yes")
    ballot["signature"]["response"] = "00" * 32
    answer = lean(lean_app, poll, cast.bob, {"ballot": ballot}, language="es")
    assert answer.body["error"]["code"] == "bad_ballot"
    assert answer.body["error"]["message"] == "Esta papeleta no se verifica: no se contó."


def test_saturation_answers_503_with_retry_after_and_stores_nothing(
    cast, open_vote, lean_app, monkeypatch
):
    poll, voters = open_vote
    ballot, _opening = voters[cast.bob].encrypt("yes")
    monkeypatch.setattr(verifiable_cast, "MAX_QUEUED", 0)
    answer = lean(lean_app, poll, cast.bob, {"ballot": ballot})
    assert (answer.status, answer.body["error"]["code"]) == (503, "unavailable")
    assert answer.headers["retry-after"]
    assert ballots(poll) == []


def test_a_failed_commit_answers_503_and_stores_nothing(cast, open_vote, lean_app, monkeypatch):
    poll, voters = open_vote
    ballot, _opening = voters[cast.bob].encrypt("yes")

    def broken(vote, casts):
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(actions, "ballots_append", broken)
    answer = lean(lean_app, poll, cast.bob, {"ballot": ballot})
    assert (answer.status, answer.body["error"]["code"]) == (503, "unavailable")
    assert answer.headers["retry-after"]
    assert ballots(poll) == []


def test_a_ballot_whose_request_gave_up_is_not_stored(cast, open_vote):
    """The writer skips a ballot whose request was answered 503 while it waited."""
    poll, voters = open_vote
    vote = VerifiableVote.objects.select_related("poll__body").get(poll=poll)
    admitted = verifiable_cast.Admitted(cast.bob.pk, vote, queries.election(vote), "en")
    ballot, _opening = voters[cast.bob].encrypt("yes")
    gave_up = verifiable_cast.ToStore(admitted, ballot)
    assert verifiable_cast._claim(gave_up, "dropped")
    (result,) = verifiable_cast.store([gave_up])
    assert isinstance(result, verifiable_cast.Unavailable)
    assert ballots(poll) == []
    kept = verifiable_cast.ToStore(admitted, ballot)
    (result,) = verifiable_cast.store([kept])
    assert isinstance(result, Record)
    assert not verifiable_cast._claim(kept, "dropped")  # taken: its request waits for it
    assert [r.tracker for r in ballots(poll)] == [result.tracker]


def test_a_verifiable_election_s_ballots_go_through_the_same_path(cast, lean_app):
    from asamblea.elections import actions as elections

    election = elections.election_create(
        cast.alice, cast.north, title="Comisión", method="approval", seats=1, secrecy="verifiable"
    )
    for name in ("Ana", "Beto", "Coral"):
        elections.option_add(cast.alice, election, name=name)
    election = elections.voting_open(cast.alice, election)
    setup = {"trustees": [cast.alice.pk, cast.bob.pk], "threshold": 1}
    assert cast.client(cast.alice).post(url(election, "setup"), setup).status_code == 302
    trustees = [TrusteeBrowser(cast.client(p), election) for p in (cast.alice, cast.bob)]
    for step in ("channel", "commit", "key"):
        for t in trustees:
            assert getattr(t, step)().status_code == 200
    voter = VoterBrowser(cast.client(cast.bob), election)
    assert voter.register().status_code == 200
    assert cast.client(cast.alice).post(url(election, "open_voting")).status_code == 302
    ballot, _opening = voter.encrypt_marks([1, 0, 1])
    answer = lean(lean_app, election, cast.bob, {"ballot": ballot})
    assert answer.status == 200, answer.body
    (row,) = Record.objects.filter(vote__for_election=election, kind="ballot")
    assert answer.body == {"tracker": row.tracker, "index": row.index, "head": row.hash}
    again, _opening = voter.encrypt_marks([1, 1, 1])
    forged = copy.deepcopy(again)
    forged["answers"][0]["sum_proof"]["responses"][0] = "00" * 32
    refused = lean(lean_app, election, cast.bob, {"ballot": forged})
    assert (refused.status, refused.body["error"]["code"]) == (400, "bad_ballot")
    outsider = lean(lean_app, election, cast.oscar, {"ballot": again})
    assert (outsider.status, outsider.body["error"]["code"]) == (404, "not_found")
    assert Record.objects.filter(vote__for_election=election, kind="ballot").count() == 1
