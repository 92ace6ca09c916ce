"""Rate limits on login (per account and per address, one neutral message), invitation
redemption and ballot casting. The clock is frozen so a window never ends mid-test."""

import contextlib
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse

from asamblea import ratelimit
from asamblea.accounts.forms import NEUTRAL_LOGIN_ERROR
from asamblea.bodies.actions import invitation_create
from asamblea.motions.actions import motion_submit
from asamblea.testing import PASSPHRASE, db_state
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Ballot

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    now = SimpleNamespace(value=1_800_000_000.0)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now.value))
    return now


@pytest.fixture(autouse=True)
def limits(settings, clock):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {
        "login_account": (3, 300),
        "login_address": (5, 300),
        "invitation_redeem": (3, 300),
        "ballot_cast": (3, 60),
    }
    cache.clear()
    yield
    with contextlib.suppress(Exception):  # one test points the cache at a dead server
        cache.clear()


def login(cast, username, password, address="10.0.0.1"):
    client = cast.client(None)
    response = client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )
    return response, client


def errors(response):
    return [str(e) for e in response.context["form"].non_field_errors()]


def test_login_per_account_blocks_even_the_right_passphrase(cast):
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        response, _client = login(cast, "bob", "wrong passphrase", address)
        assert response.status_code == 400
    response, client = login(cast, "bob", PASSPHRASE, "10.0.0.9")
    assert response.status_code == 400
    assert errors(response) == [str(NEUTRAL_LOGIN_ERROR)]
    assert "_auth_user_id" not in client.session
    # Another account is not affected.
    response, client = login(cast, "carol", PASSPHRASE, "10.0.0.9")
    assert response.status_code == 302


def test_login_per_address_blocks_other_accounts_from_that_address(cast):
    for name in ("u1", "u2", "u3", "u4", "u5"):
        response, _client = login(cast, name, "wrong passphrase", "10.0.0.7")
        assert response.status_code == 400
    response, client = login(cast, "carol", PASSPHRASE, "10.0.0.7")
    assert response.status_code == 400
    assert errors(response) == [str(NEUTRAL_LOGIN_ERROR)]
    assert "_auth_user_id" not in client.session
    response, client = login(cast, "carol", PASSPHRASE, "10.0.0.8")
    assert response.status_code == 302


def test_the_limited_message_is_the_wrong_passphrase_message(cast):
    for _ in range(3):
        wrong, _client = login(cast, "bob", "wrong passphrase")
    limited, _client = login(cast, "bob", PASSPHRASE)
    assert errors(wrong) == errors(limited) == [str(NEUTRAL_LOGIN_ERROR)]


def test_login_works_again_after_the_window(cast, clock):
    for _ in range(3):
        login(cast, "bob", "wrong passphrase")
    assert login(cast, "bob", PASSPHRASE)[0].status_code == 400
    clock.value += 301
    assert login(cast, "bob", PASSPHRASE)[0].status_code == 302


def test_invitation_redemption_is_limited_per_address(cast):
    _invitation, token = invitation_create(cast.alice, cast.north, max_uses=10)
    for _ in range(3):
        response = cast.client(None).post(
            reverse("bodies:join", args=["guess" * 8]), {}, REMOTE_ADDR="10.0.0.5"
        )
        assert response.status_code == 400
    client = cast.client(cast.oscar)
    before = db_state()
    response = client.post(reverse("bodies:join", args=[token]), {}, REMOTE_ADDR="10.0.0.5")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert db_state() == before
    response = client.post(reverse("bodies:join", args=[token]), {}, REMOTE_ADDR="10.0.0.6")
    assert response.status_code == 302


def test_ballot_casting_is_limited_per_person(cast):
    motion = motion_submit(cast.carol, cast.north, title="Olla", text="Cocinar")
    poll = poll_open(cast.alice, cast.north, motion=motion)
    url = reverse("voting:cast", args=[cast.north.slug, poll.pk])
    bob = cast.client(cast.bob)
    for _ in range(3):
        assert bob.post(url, {"choice": "maybe"}).status_code == 400
    before = db_state()
    response = bob.post(url, {"choice": "yes"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert db_state() == before
    # Others still vote.
    assert cast.client(cast.carol).post(url, {"choice": "yes"}).status_code == 303
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_limits_are_off_when_disabled(cast, settings):
    settings.RATE_LIMITS_ENABLED = False
    for _ in range(10):
        login(cast, "bob", "wrong passphrase")
    assert login(cast, "bob", PASSPHRASE)[0].status_code == 302


@pytest.fixture
def redis_cache(settings):
    """The production cache: Redis at REDIS_TEST_URL (set by .ci/run). Without it the test is
    skipped, except under CI=true where a missing Redis is a failure."""
    import os

    url = os.environ.get("REDIS_TEST_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("REDIS_TEST_URL is not set under CI=true")
        pytest.skip("REDIS_TEST_URL not set: the Redis pass of the rate limits is skipped")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"asamblea-test-{os.getpid()}",
        }
    }
    cache.clear()
    yield
    cache.clear()


def test_login_limits_hold_with_redis_as_the_cache(cast, redis_cache):
    for _ in range(3):
        login(cast, "bob", "wrong passphrase")
    response, client = login(cast, "bob", PASSPHRASE)
    assert response.status_code == 400
    assert errors(response) == [str(NEUTRAL_LOGIN_ERROR)]
    assert login(cast, "carol", PASSPHRASE)[0].status_code == 302


def test_a_dead_cache_lets_people_in_rather_than_locking_everyone_out(cast, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    for _ in range(5):
        login(cast, "bob", "wrong passphrase")
    assert login(cast, "bob", PASSPHRASE)[0].status_code == 302


def test_counts_in_process_follow_the_windows_and_the_settings(clock, settings):
    """Without Redis the counts live in this process: each rule has its own window, a new
    window starts from zero, and new limits start counting afresh."""
    assert ratelimit.hit_many("ballot_cast", ["7", "7", "8"]) == [True, True, True]
    assert ratelimit.hit("ballot_cast", "7") is True  # the third attempt; the limit is 3
    assert ratelimit.hit("ballot_cast", "7") is False
    assert ratelimit.exceeded("ballot_cast", "7")
    assert not ratelimit.exceeded("ballot_cast", "8")
    assert ratelimit.hit("login_account", "7")  # another rule, its own count
    clock.value += 60  # ballot_cast's window is 60 s, login_account's 300 s
    assert not ratelimit.exceeded("ballot_cast", "7")
    assert ratelimit.hit_many("ballot_cast", ["7"]) == [True]
    assert [ratelimit.hit("login_account", "7") for _ in range(3)] == [True, True, False]
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"login_account": (3, 300)}
    assert ratelimit.hit("login_account", "7")
