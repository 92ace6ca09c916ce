"""Tokens and receipts cannot be guessed, and the rate limits on login, invitation redemption and
ballot casting hold."""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import time
import uuid
from collections import Counter

import pytest
from django.urls import reverse

from asamblea import ratelimit
from asamblea.bodies.actions import TOKEN_BYTES, invitation_create
from asamblea.testing import PASSPHRASE
from asamblea.voting.actions import RECEIPT_BYTES, ballot_cast, poll_open
from tests.security.world import build, fingerprint


def bits_per_symbol(samples: list[str]) -> float:
    """Shannon entropy of the symbols over all samples (an estimate of randomness per char)."""
    counts = Counter("".join(samples))
    total = sum(counts.values())
    return -sum(n / total * math.log2(n / total) for n in counts.values())


@pytest.mark.django_db
def test_invitation_tokens_carry_at_least_128_random_bits(cast):
    assert TOKEN_BYTES * 8 >= 128
    tokens = [invitation_create(cast.alice, cast.north)[1] for _ in range(200)]
    assert len(set(tokens)) == len(tokens)
    assert all(len(token) >= 32 for token in tokens)
    # URL-safe base64: 64 symbols, 6 bits each when uniform; anything structured falls short.
    per_symbol = bits_per_symbol(tokens)
    assert per_symbol > 5.8
    assert per_symbol * min(len(t) for t in tokens) >= 128


@pytest.mark.django_db
def test_receipts_carry_128_random_bits(cast):
    assert RECEIPT_BYTES * 8 >= 128
    from asamblea.testing import join, make_person

    people = [make_person(f"voter{i}") for i in range(150)]
    for person in people:
        join(person, cast.north)
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="secret")
    receipts = [ballot_cast(person, poll, choice="yes").receipt for person in people]
    assert len(set(receipts)) == len(receipts)
    assert all(len(r) == RECEIPT_BYTES * 2 for r in receipts)
    per_symbol = bits_per_symbol(receipts)  # hex: 4 bits per symbol when uniform
    assert per_symbol > 3.95
    assert per_symbol * RECEIPT_BYTES * 2 >= 126


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {
        "login_account": (3, 300),
        "login_address": (30, 300),
        "invitation_redeem": (3, 300),
        "ballot_cast": (3, 60),
    }


@pytest.mark.django_db
def test_login_is_rate_limited_even_with_the_right_passphrase(cast, client, limits):
    url = reverse("accounts:login")
    for _ in range(3):
        assert client.post(url, {"username": "bob", "password": "wrong passphrase"}).status_code
    response = client.post(url, {"username": "bob", "password": PASSPHRASE})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_invitation_redemption_is_rate_limited(client, limits):
    world = build()
    url = reverse("bodies:join", args=["x" * 30])
    for _ in range(3):
        assert client.post(url, {}).status_code == 400
    before = fingerprint()
    response = client.post(
        reverse("bodies:join", args=[world.token]),
        {
            "display_name": "N",
            "username": "newcomer",
            "password": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "language": "es",
        },
    )
    assert response.status_code == 429
    assert fingerprint() == before


@pytest.mark.django_db
def test_ballot_casting_is_rate_limited(limits):
    world = build()
    client = world.cast.client(world.cast.bob)
    url = reverse("voting:cast", args=[world.cast.north.slug, world.poll.pk])
    assert client.post(url, {"choice": "yes"}).status_code == 303
    assert client.post(url, {"choice": "no"}).status_code == 409
    assert client.post(url, {"choice": "no"}).status_code == 409
    assert client.post(url, {"choice": "no"}).status_code == 429


def redis_url_or_skip() -> str:
    url = os.environ.get("REDIS_TEST_URL", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("REDIS_TEST_URL is required under CI=true")
        pytest.skip("set REDIS_TEST_URL to test the Redis rate limits")
    return url


@pytest.fixture
def redis_limits(settings):  # noqa: PT004 - configures settings only
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url_or_skip(),
            "KEY_PREFIX": f"ratelimit-test-{uuid.uuid4().hex}",
        }
    }
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"ballot_cast": (3, 60)}
    ratelimit._cache_down_until[0] = 0.0
    # Keys carry a fresh prefix and expire with their window: nothing to clean in a shared Redis.


@pytest.mark.parametrize("backend", ["locmem", "redis"])
def test_batched_and_single_rate_limits_count_the_same_attempts(backend, settings, request):
    if backend == "redis":
        request.getfixturevalue("redis_limits")
    else:
        settings.RATE_LIMITS_ENABLED = True
        settings.RATE_LIMITS = settings.RATE_LIMITS | {"ballot_cast": (3, 60)}
    subject = uuid.uuid4().hex
    assert ratelimit.hit("ballot_cast", subject)
    assert ratelimit.hit_many("ballot_cast", [subject, subject, "other"]) == [True, True, True]
    assert ratelimit.hit_many("ballot_cast", [subject]) == [False]
    assert not ratelimit.hit("ballot_cast", subject)


def redis_keys(settings) -> list[str]:
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    client = ratelimit._redis_client()
    return sorted(key.decode() for key in client.scan_iter(match=f"{prefix}:*"))


def test_redis_rate_limit_keys_hold_an_hmac_under_the_secret_not_a_hash_of_the_person(
    redis_limits, settings
):
    """Whoever reads Redis must not get back who was counted by hashing every person id (or
    login name, or address): the key holds an HMAC keyed by the server's secret."""
    settings.SECRET_KEY = "first-secret-" + "x" * 50
    person = "4242"
    assert ratelimit.hit("ballot_cast", person)
    [key] = redis_keys(settings)
    assert hashlib.sha256(person.encode()).hexdigest()[:32] not in key
    derived = hashlib.sha256(b"asamblea.ratelimit\0" + settings.SECRET_KEY.encode()).digest()
    expected = hmac.new(derived, person.encode(), hashlib.sha256).hexdigest()[:32]
    assert f":rl:ballot_cast:{expected}:" in key
    # Another secret, another key: without the secret the key cannot be recomputed.
    settings.SECRET_KEY = "second-secret-" + "y" * 50
    assert ratelimit.hit("ballot_cast", person)
    keys = redis_keys(settings)
    assert len(keys) == 2 and key in keys


def test_a_dead_cache_does_not_stop_or_slow_a_vote(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    settings.RATE_LIMITS_ENABLED = True
    ratelimit._cache_down_until[0] = 0.0
    started = time.monotonic()
    assert ratelimit.hit_many("ballot_cast", ["a", "b"]) == [True, True]
    assert ratelimit.hit_many("ballot_cast", ["a"]) == [True]  # skipped: cache marked down
    assert time.monotonic() - started < 2
    ratelimit._cache_down_until[0] = 0.0
