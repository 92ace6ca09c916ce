"""The same rule tests, run against both cast paths: the plain form (Django view) and the lean
endpoint ``/cast/<poll>/`` (raw ASGI, group commit). Both must accept, refuse and store exactly
alike; where the answer's form differs (a redirect to the login page against a JSON 403) the
test says so.

The lean endpoint writes from its own threads and connections, so these tests commit for real
(``transaction=True``).
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from asamblea.accounts.models import Person
from asamblea.bodies.models import Membership
from asamblea.lean import casts, commit
from asamblea.lean.app import LeanApp
from asamblea.live import events
from asamblea.testing import (
    Cast,
    ballots_in_storage_order,
    cast_receipt,
    join,
    make_cast,
    make_person,
)
from asamblea.voting import casting
from asamblea.voting.actions import poll_close, poll_open
from asamblea.voting.models import Ballot, Eligibility, Poll
from asamblea.voting.queries import receipt_lookup
from tests.lean_client import Answer, call, choice_body, csrf_pair, request_scope

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lean_app():
    app = LeanApp()
    yield app
    app.shutdown()  # the writers' connections must close before the test database goes


class FormPath:
    name = "form"

    def __init__(self, app: LeanApp) -> None:
        self.app = app

    def cast(self, poll: Poll, person: Person | None, choice: str) -> tuple[int, str]:
        client = Client()
        if person is not None:
            client.force_login(person)
        url = reverse("voting:cast", args=[poll.body.slug, poll.pk])
        response = client.post(url, {"choice": choice})
        if response.status_code == 302 and "/accounts/login/" in response["Location"]:
            return 302, "login_required"
        if response.status_code == 404:
            return 404, "not_found"
        if response.status_code == 303:  # back to the vote page, the receipt shown once
            self.last_receipt = cast_receipt(response)
            return 200, "ok"
        return response.status_code, response.context["code"]


class LeanPath:
    name = "lean"

    def __init__(self, app: LeanApp) -> None:
        self.app = app

    def session_of(self, person: Person | None) -> str | None:
        if person is None:
            return None
        client = Client()
        client.force_login(person)
        return client.cookies["sessionid"].value

    def answer(self, poll: Poll, person: Person | None, choice: str) -> Answer:
        scope = request_scope(poll.pk, session_key=self.session_of(person), csrf=csrf_pair())
        return asyncio.run(call(self.app, scope, choice_body(choice)))

    def cast(self, poll: Poll, person: Person | None, choice: str) -> tuple[int, str]:
        answer = self.answer(poll, person, choice)
        if answer.status == 200:
            self.last_receipt = answer.body["receipt"]
        return answer.status, answer.code


@pytest.fixture(params=["form", "lean"])
def path(request, lean_app):
    return FormPath(lean_app) if request.param == "form" else LeanPath(lean_app)


@pytest.fixture
def world() -> Cast:
    return make_cast()


@pytest.fixture
def secret_poll(world) -> Poll:
    return poll_open(world.alice, world.north, title="Huelga", secrecy="secret")


def ballots(poll: Poll) -> int:
    return Ballot.objects.filter(poll=poll).count()


def test_member_casts_a_secret_ballot_and_gets_a_receipt(path, world, secret_poll):
    assert path.cast(secret_poll, world.bob, "yes") == (200, "ok")
    ballot = Ballot.objects.get(poll=secret_poll)
    assert ballot.voter_id is None and ballot.choice == "yes"
    assert receipt_lookup(secret_poll, path.last_receipt) == ballot
    assert Eligibility.objects.get(poll=secret_poll, person=world.bob).voted


def test_it_rejects_a_second_ballot(path, world, secret_poll):
    assert path.cast(secret_poll, world.bob, "yes")[0] == 200
    assert path.cast(secret_poll, world.bob, "no") == (409, "already_voted")
    assert ballots(secret_poll) == 1
    assert Ballot.objects.get(poll=secret_poll).choice == "yes"


def test_observer_cannot_vote(path, world, secret_poll):
    assert path.cast(secret_poll, world.olivia, "yes") == (403, "not_eligible")
    assert ballots(secret_poll) == 0


def test_outsider_cannot_vote(path, world, secret_poll):
    status, _code = path.cast(secret_poll, world.oscar, "yes")
    # Both paths answer 404: a members-only body does not exist for outsiders.
    assert status == 404
    assert ballots(secret_poll) == 0


def test_facilitator_of_another_body_cannot_vote(path, world, secret_poll):
    assert path.cast(secret_poll, world.frank, "yes")[0] in {403, 404}
    assert ballots(secret_poll) == 0


def test_anonymous_cannot_vote(path, world, secret_poll):
    status, code = path.cast(secret_poll, None, "yes")
    # The form sends to the login page first; the lean endpoint answers as the vote page
    # does for someone not logged in: a members-only vote does not exist.
    assert (status, code) == ((302, "login_required") if path.name == "form" else (404, "no_poll"))
    assert ballots(secret_poll) == 0


def public(body) -> None:
    type(body).objects.filter(pk=body.pk).update(visibility="public")


def test_anonymous_is_asked_to_log_in_on_a_public_bodys_vote(path, world, secret_poll):
    public(world.north)
    assert path.cast(secret_poll, None, "yes") == (
        (302, "login_required") if path.name == "form" else (403, "login_required")
    )
    assert ballots(secret_poll) == 0


@pytest.mark.parametrize("state", ["open", "closed"])
def test_lean_endpoint_tells_nobody_outside_which_members_only_votes_exist(
    lean_app, world, secret_poll, state
):
    """Issue 12.7: outsiders got 403 for an open vote, 409 for a closed one and 404 for none,
    so they could list a members-only body's votes. Now: 404 for each, exactly as the pages."""
    if state == "closed":
        poll_close(world.alice, secret_poll)
    missing = secret_poll.pk + 1000
    for person in (None, world.oscar, world.frank):
        key = session_key(person) if person is not None else None
        for poll_id in (secret_poll.pk, missing):
            answer = lean(lean_app, poll_id, session_key=key, csrf=csrf_pair())
            assert (answer.status, answer.code) == (404, "no_poll"), (person, poll_id)
            page = Client()
            if person is not None:
                page.force_login(person)
            assert (
                page.get(reverse("voting:detail", args=[world.north.slug, poll_id])).status_code
                == 404
            )
    # Those who may see it still hear why they cannot vote.
    answer = lean(lean_app, secret_poll.pk, session_key=session_key(world.olivia), csrf=csrf_pair())
    assert answer.status == (409 if state == "closed" else 403)
    public(world.north)
    answer = lean(lean_app, secret_poll.pk, session_key=session_key(world.oscar), csrf=csrf_pair())
    assert answer.status == (409 if state == "closed" else 403)
    assert ballots(secret_poll) == 0


def test_member_who_joined_after_the_vote_opened_cannot_vote(path, world, secret_poll):
    late = make_person("late")
    join(late, world.north)
    assert path.cast(secret_poll, late, "yes") == (403, "not_eligible")
    assert ballots(secret_poll) == 0


@pytest.mark.parametrize("status", ["suspended", "removed"])
def test_suspended_member_keeps_the_vote_of_the_snapshot(path, world, secret_poll, status):
    """Eligibility is the snapshot taken at opening, on both paths: suspending or removing a
    member while the vote is open cannot take their vote away (nor change the electorate)."""
    Membership.objects.filter(person=world.carol, body=world.north).update(status=status)
    assert path.cast(secret_poll, world.carol, "no")[0] == 200
    assert ballots(secret_poll) == 1
    assert path.cast(secret_poll, world.carol, "yes") == (409, "already_voted")
    assert ballots(secret_poll) == 1


def test_bad_choice_is_refused(path, world, secret_poll):
    for choice in ("maybe", "", "YES", "yes\x00", "sí" * 50):
        assert path.cast(secret_poll, world.bob, choice) == (400, "bad_choice")
    assert ballots(secret_poll) == 0
    assert not Eligibility.objects.get(poll=secret_poll, person=world.bob).voted


def test_closed_vote_refuses_ballots(path, world, secret_poll):
    poll_close(world.alice, secret_poll)
    assert path.cast(secret_poll, world.bob, "yes") == (409, "poll_closed")
    assert ballots(secret_poll) == 0


def test_vote_past_its_closing_time_refuses_ballots(path, world, secret_poll):
    Poll.objects.filter(pk=secret_poll.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    assert path.cast(secret_poll, world.bob, "yes") == (409, "poll_closed")
    assert ballots(secret_poll) == 0


def test_named_vote_records_the_voter(path, world):
    poll = poll_open(world.alice, world.north, title="Q", secrecy="named")
    assert path.cast(poll, world.bob, "abstain")[0] == 200
    assert Ballot.objects.get(poll=poll).voter == world.bob
    assert path.last_receipt is None


def test_ballot_casting_is_rate_limited(path, world, secret_poll, settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"ballot_cast": (2, 60)}
    assert path.cast(secret_poll, world.bob, "yes")[0] == 200
    assert path.cast(secret_poll, world.bob, "yes")[0] == 409
    assert path.cast(secret_poll, world.bob, "yes")[0] == 429
    assert ballots(secret_poll) == 1


def test_progress_is_published_after_commit_without_the_choice(path, world, secret_poll):
    seen = []

    def stored() -> int:
        try:
            return Ballot.objects.filter(poll=secret_poll).count()
        finally:
            connection.close()  # this thread's own connection

    def sink(channel, kind, data):
        # Subscribers may be called on the event loop, where the ORM is not allowed: count on
        # another thread (and so on another connection).
        with ThreadPoolExecutor(1) as pool:
            seen.append((channel, kind, dict(data), pool.submit(stored).result()))

    events.subscribe(sink)
    try:
        assert path.cast(secret_poll, world.bob, "no")[0] == 200
    finally:
        events.unsubscribe(sink)
    # Published once the ballot was committed (visible to another connection), poll id only.
    assert seen == [(f"body:{world.north.pk}", "poll.progress", {"poll": secret_poll.pk}, 1)]


def test_a_subscriber_that_fails_does_not_undo_the_answer(path, world, secret_poll):
    def broken(channel, kind, data):
        raise RuntimeError("a live page sink failed")

    events.subscribe(broken)
    try:
        assert path.cast(secret_poll, world.bob, "no")[0] == 200
    finally:
        events.unsubscribe(broken)
    assert ballots(secret_poll) == 1


def test_recount_after_mixed_paths_gives_the_published_result(lean_app, world, secret_poll):
    FormPath(lean_app).cast(secret_poll, world.bob, "yes")
    LeanPath(lean_app).cast(secret_poll, world.carol, "no")
    LeanPath(lean_app).cast(secret_poll, world.alice, "yes")
    closed = poll_close(world.alice, secret_poll)
    assert closed.result["yes"] == "2" and closed.result["no"] == "1"
    from asamblea.voting.queries import count

    assert count(closed).to_dict() | {"participants": 3} == closed.result


# ---------------------------------------------------------------------------------------------
# The lean endpoint's own checks: session, CSRF, request shape, unavailability


def lean(app: LeanApp, poll_id, body: bytes = b'{"choice": "yes"}', **kwargs) -> Answer:
    return asyncio.run(call(app, request_scope(poll_id, **kwargs), body))


def session_key(person: Person) -> str:
    client = Client()
    client.force_login(person)
    return client.cookies["sessionid"].value


def test_lean_refuses_a_missing_or_forged_csrf_token(lean_app, world, secret_poll):
    key = session_key(world.bob)
    assert lean(lean_app, secret_poll.pk, session_key=key, csrf=None).status == 403
    secret, _token = csrf_pair()
    forged = lean(lean_app, secret_poll.pk, session_key=key, csrf=(secret, csrf_pair()[1]))
    assert (forged.status, forged.code) == (403, "csrf")
    bad_format = lean(lean_app, secret_poll.pk, session_key=key, csrf=csrf_pair(), token="x<>")
    assert bad_format.status == 403
    assert ballots(secret_poll) == 0


def test_lean_refuses_a_foreign_origin(lean_app, world, secret_poll):
    answer = lean(
        lean_app,
        secret_poll.pk,
        session_key=session_key(world.bob),
        csrf=csrf_pair(),
        origin="https://evil.example",
    )
    assert (answer.status, answer.code) == (403, "csrf")
    same = lean(
        lean_app,
        secret_poll.pk,
        session_key=session_key(world.bob),
        csrf=csrf_pair(),
        origin="http://testserver",
    )
    assert same.status == 200


def test_lean_refuses_a_session_after_logout_expiry_or_a_passphrase_change(
    lean_app, world, secret_poll
):
    public(world.north)  # so that a refused session hears "log in", not "no such vote"
    client = Client()
    client.force_login(world.bob)
    key = client.cookies["sessionid"].value
    client.post(reverse("accounts:logout"))
    assert lean(lean_app, secret_poll.pk, session_key=key, csrf=csrf_pair()).code == (
        "login_required"
    )
    key = session_key(world.carol)
    world.carol.set_password("another long passphrase")
    world.carol.save()
    assert lean(lean_app, secret_poll.pk, session_key=key, csrf=csrf_pair()).code == (
        "login_required"
    )
    key = session_key(world.olivia)
    from django.contrib.sessions.models import Session

    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert lean(lean_app, secret_poll.pk, session_key=key, csrf=csrf_pair()).code == (
        "login_required"
    )
    key = session_key(world.alice)
    Person.objects.filter(pk=world.alice.pk).update(is_active=False)
    assert lean(lean_app, secret_poll.pk, session_key=key, csrf=csrf_pair()).status == 403
    assert ballots(secret_poll) == 0


def test_lean_refuses_a_session_whose_data_was_tampered_with(lean_app, world, secret_poll):
    from django.contrib.sessions.models import Session

    public(world.north)  # so that a refused session hears "log in", not "no such vote"
    key = session_key(world.bob)
    row = Session.objects.get(pk=key)
    forged = row.session_data[:-3] + ("abc" if not row.session_data.endswith("abc") else "xyz")
    Session.objects.filter(pk=key).update(session_data=forged)
    answer = lean(lean_app, secret_poll.pk, session_key=key, csrf=csrf_pair())
    assert (answer.status, answer.code) == (403, "login_required")
    Session.objects.filter(pk=key).update(session_data="not even base64 ::")
    answer = lean(lean_app, secret_poll.pk, session_key=key, csrf=csrf_pair())
    assert (answer.status, answer.code) == (403, "login_required")
    assert ballots(secret_poll) == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"choice": 5}', "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"choice=yes&choice=no", "application/x-www-form-urlencoded", 400),
        (b"x" * 5000, "application/json", 413),
    ],
)
def test_lean_refuses_malformed_requests(lean_app, world, secret_poll, body, content_type, status):
    answer = lean(
        lean_app,
        secret_poll.pk,
        body=body,
        session_key=session_key(world.bob),
        csrf=csrf_pair(),
        content_type=content_type,
    )
    assert answer.status == status and answer.body["ok"] is False and answer.body["message"]
    assert ballots(secret_poll) == 0


def test_lean_takes_a_plain_form_body(lean_app, world, secret_poll):
    secret, token = csrf_pair()
    answer = lean(
        lean_app,
        secret_poll.pk,
        body=f"choice=no&csrfmiddlewaretoken={token}".encode(),
        session_key=session_key(world.bob),
        csrf=(secret, token),
        token="",
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status == 200


def test_lean_answers_unknown_votes_addresses_methods_and_hosts(lean_app, world):
    key = session_key(world.bob)
    assert lean(lean_app, 999999, session_key=key, csrf=csrf_pair()).code == "no_poll"
    assert lean(lean_app, "abc", session_key=key, csrf=csrf_pair()).status == 404
    get = lean(lean_app, 1, session_key=key, csrf=csrf_pair(), method="GET")
    assert get.status == 405 and get.headers["allow"] == "POST"
    assert lean(lean_app, 1, session_key=key, csrf=csrf_pair(), host="evil.example").status == 400


def test_lean_answers_in_the_persons_language(lean_app, world):
    scope = request_scope(1, session_key=None, csrf=None) | {"path": "/cast/x/"}
    scope["headers"] = [*scope["headers"], (b"cookie", b"django_language=en")]
    english = asyncio.run(call(lean_app, scope, b""))
    assert english.body["message"] == "There is no vote at this address."
    scope = request_scope(1, session_key=None, csrf=None) | {"path": "/cast/x/"}
    scope["headers"] = [*scope["headers"], (b"accept-language", b"es-PE,es;q=0.9")]
    spanish = asyncio.run(call(lean_app, scope, b""))
    assert spanish.body["message"] == "No hay ninguna votación en esta dirección."


def test_lean_answers_carry_the_security_headers(lean_app, world, secret_poll):
    answer = lean(lean_app, secret_poll.pk, session_key=session_key(world.bob), csrf=csrf_pair())
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "no-store"


def test_lean_answers_503_with_retry_after_when_the_database_fails(
    lean_app, world, secret_poll, monkeypatch
):
    def broken(*args, **kwargs):
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(casting, "cast_plan", broken)
    answer = lean(lean_app, secret_poll.pk, session_key=session_key(world.bob), csrf=csrf_pair())
    assert (answer.status, answer.code) == (503, "unavailable")
    assert answer.headers["retry-after"] == "2"
    monkeypatch.undo()
    again = lean(lean_app, secret_poll.pk, session_key=session_key(world.bob), csrf=csrf_pair())
    assert again.status == 200
    assert ballots(secret_poll) == 1


def test_concurrent_duplicates_and_replays_give_one_ballot_each(lean_app, world, secret_poll):
    voters = [make_person(f"v{i}") for i in range(30)]
    for person in voters:
        join(person, world.north)
    poll = poll_open(world.alice, world.north, title="Burst", secrecy="secret")
    keys = [session_key(person) for person in voters]
    csrf = csrf_pair()

    async def burst() -> list[Answer]:
        requests = []
        for key in keys:
            scope = request_scope(poll.pk, session_key=key, csrf=csrf)
            # Each voter sends the same request three times at once (double clicks, replays).
            requests += [call(lean_app, scope, choice_body("yes")) for _ in range(3)]
        return await asyncio.gather(*requests)

    answers = asyncio.run(burst())
    assert sum(a.status == 200 for a in answers) == len(voters)
    assert sum(a.code == "already_voted" for a in answers) == 2 * len(voters)
    assert ballots(poll) == len(voters)
    assert Eligibility.objects.filter(poll=poll, voted=True).count() == len(voters)


def test_lean_unmasking_of_csrf_tokens_is_djangos():
    from django.middleware.csrf import _unmask_cipher_token

    from asamblea.lean.csrf import unmask

    for _ in range(200):
        secret, token = csrf_pair()
        assert unmask(token) == _unmask_cipher_token(token) == secret


def test_lean_masking_of_csrf_tokens_is_djangos():
    """The vote page's token, masked by the lean app, is one Django takes for the secret: the
    right shape, unmasked to the secret, a fresh mask each time, every character possible."""
    from django.middleware.csrf import (
        CSRF_ALLOWED_CHARS,
        CSRF_TOKEN_LENGTH,
        _check_token_format,
        _unmask_cipher_token,
    )

    from asamblea.lean.csrf import mask

    secret = csrf_pair()[0]
    tokens = [mask(secret) for _ in range(400)]
    for token in tokens:
        _check_token_format(token)
        assert len(token) == CSRF_TOKEN_LENGTH
        assert _unmask_cipher_token(token) == secret
    assert len(set(tokens)) == len(tokens)
    seen = {char for token in tokens for char in token[:32]}
    assert seen == set(CSRF_ALLOWED_CHARS)


LEAN_ROLES = {
    # role: (status, code) of the lean endpoint on North's open vote
    # Those who may not see North's vote are told it does not exist, as the pages tell them.
    "anonymous": (404, "no_poll"),
    "outsider": (404, "no_poll"),
    "observer": (403, "not_eligible"),
    "member": (200, "ok"),
    "facilitator": (200, "ok"),
    "other_facilitator": (404, "no_poll"),
    "delegate": (200, "ok"),
}


def test_lean_endpoint_answers_every_role(lean_app, world, secret_poll):
    """The lean endpoint is outside Django's URL configuration, so the permission matrix of
    tests/security does not see it: its row is here. The delegate is a member of North in the
    snapshot; a mandate elsewhere gives no other right here."""
    dave = make_person("dave")
    join(dave, world.north)
    poll = poll_open(world.alice, world.north, title="Roles", secrecy="secret")
    roles = world.roles | {"delegate": dave}
    got = {}
    for role, person in roles.items():
        key = session_key(person) if person is not None else None
        answer = lean(lean_app, poll.pk, session_key=key, csrf=csrf_pair())
        got[role] = (answer.status, answer.code)
    assert got == LEAN_ROLES
    assert ballots(poll) == 3


def test_fuzzed_lean_requests_never_fail_and_refusals_store_nothing(lean_app, world, secret_poll):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    key = session_key(world.bob)
    secret, token = csrf_pair()
    hostile = st.one_of(
        st.text(max_size=50),
        st.sampled_from(["yes", "no", "abstain", "\x00", "yes\u202e", "𝕪𝕖𝕤", "", "YES"]),
        st.integers(),
        st.none(),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    )
    json_bodies = st.dictionaries(
        st.sampled_from(["choice", "csrfmiddlewaretoken", "poll", "person", "x"]), hostile
    ).map(lambda d: __import__("json").dumps(d).encode())
    raw_bodies = st.binary(max_size=6000)
    content_types = st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "multipart/x"]
    )
    tokens = st.one_of(st.just(token), st.text(max_size=80), st.just(""))

    @settings(
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=st.one_of(json_bodies, raw_bodies), content_type=content_types, sent=tokens)
    def check(body, content_type, sent):
        before = ballots(secret_poll)
        try:
            answer = lean(
                lean_app,
                secret_poll.pk,
                body=body,
                session_key=key,
                csrf=(secret, token),
                token=sent.encode("utf-8", "replace").decode("latin-1"),
                content_type=content_type,
            )
        except UnicodeEncodeError:
            return
        assert answer.status < 500 and answer.body["ok"] is (answer.status == 200)
        if answer.status != 200:
            assert ballots(secret_poll) == before
        else:
            assert ballots(secret_poll) == before + 1

    check()
    assert ballots(secret_poll) <= 1


def test_a_batch_writes_secret_ballots_in_the_order_of_their_random_ids(world):
    """One batch of 40 ballots cast in person order: the ballot box's storage order is the
    order of the random ballot ids, neither the order of the persons nor that of arrival."""
    voters = [make_person(f"b{i:02d}") for i in range(40)]
    for person in voters:
        join(person, world.north)
    poll = poll_open(world.alice, world.north, title="Batch", secrecy="secret")
    requests = [casting.CastRequest(person.pk, "yes") for person in voters]
    with transaction.atomic():
        outcomes = casting.cast_batch(poll.pk, requests)
    receipts = [outcome.receipt.receipt for outcome in outcomes if outcome.receipt]
    assert len(receipts) == len(voters)
    stored = [uuid.UUID(str(value)).hex for value in ballots_in_storage_order(poll, "id")]
    assert stored == sorted(stored)
    by_hash = {casting.hash_receipt(code): index for index, code in enumerate(receipts)}
    order_of_voters = [by_hash[digest] for digest in ballots_in_storage_order(poll, "receipt_hash")]
    assert sorted(order_of_voters) == list(range(len(voters)))
    assert order_of_voters != list(range(len(voters)))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the asynchronous writers")
def test_a_poll_whose_cast_fails_leaves_the_answers_of_the_polls_before_it(
    world, secret_poll, monkeypatch
):
    """Each poll's cast commits by itself: when the second poll's fails, the first poll's
    ballots are stored and answered, the second's are answered "try again", and the
    connection is dropped so the next batch starts afresh."""
    other = poll_open(world.alice, world.north, title="Otra", secrecy="secret")
    assert secret_poll.pk < other.pk
    real = casting.cast_plan

    def failing_for_other(poll_id, requests, dialect):
        if poll_id == other.pk:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return real(poll_id, requests, dialect)

    monkeypatch.setattr(casting, "cast_plan", failing_for_other)
    items = [
        casts.CastItem(session_key(world.bob), secret_poll.pk, "yes"),
        casts.CastItem(session_key(world.carol), other.pk, "no"),
    ]

    async def run() -> tuple[list[casting.CastOutcome], bool]:
        conn = await commit.connect_postgresql()
        try:
            return await casts.process_casts_async(items, conn), conn.closed
        finally:
            await conn.close()

    (first, second), closed = asyncio.run(run())
    assert first.receipt is not None
    assert second.refusal is not None and second.refusal.code == "unavailable"
    assert closed
    assert ballots(secret_poll) == 1
    assert ballots(other) == 0
    assert not Eligibility.objects.get(poll=other, person=world.carol).voted
