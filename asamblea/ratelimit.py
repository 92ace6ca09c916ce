"""Fixed-window rate limits kept in the cache (Redis when configured, else per process).

A limit is a key (what is counted: an account, an address) and a rule name from
``settings.RATE_LIMITS``. If the cache is down the request is let through: a dead cache must
not stop a vote.

Without Redis the cache is Django's per-process memory cache, and the counts are kept instead
in a plain per-process table (:class:`ProcessCounts`) with the same windows: the memory cache
validates, pickles and locks every key, which cost a tenth of a worker's time in a burst of
ballots. Either way the counts are per process, as the memory cache's are.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def _hmac_key(secret: str) -> bytes:
    """A key of its own for rate limits, derived from the server's secret: a leaked Redis
    dump then says nothing about Django's signing key, and nothing about who was counted."""
    return hashlib.sha256(b"asamblea.ratelimit\0" + secret.encode("utf-8")).digest()


def subject_digest(subject: str) -> str:
    """What a cache key holds instead of the subject (a person id, a login name, an address):
    an HMAC under the server's secret. A plain hash of a person id or an address could be
    reversed by hashing every candidate; this cannot without the secret."""
    key = _hmac_key(settings.SECRET_KEY)
    return hmac.new(key, subject.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _key(rule: str, subject: str) -> tuple[str, int]:
    limit, window = settings.RATE_LIMITS[rule]
    bucket = int(time.time() // window)
    return f"rl:{rule}:{subject_digest(subject)}:{bucket}", window


class ProcessCounts:
    """Attempts per rule and subject in the current fixed window, in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: dict[str, tuple[int, dict[str, int]]] = {}  # rule -> (window no., counts)

    def _counts(self, rule: str) -> dict[str, int]:
        window = settings.RATE_LIMITS[rule][1]
        number = int(time.time() // window)
        current = self.windows.get(rule)
        if current is None or current[0] != number:  # a new window: the old counts go
            current = (number, {})
            self.windows[rule] = current
        return current[1]

    def hit(self, rule: str, subjects: list[str]) -> list[int]:
        """Count one attempt per subject (listed twice, counted twice); the counts after."""
        with self.lock:
            counts = self._counts(rule)
            after = []
            for subject in subjects:
                counts[subject] = count = counts.get(subject, 0) + 1
                after.append(count)
            return after

    def forgive(self, rule: str, subject: str) -> None:
        with self.lock:
            counts = self._counts(rule)
            if counts.get(subject, 0) > 0:
                counts[subject] -= 1

    def peek(self, rule: str, subject: str) -> int:
        with self.lock:
            return self._counts(rule).get(subject, 0)

    def clear(self) -> None:
        with self.lock:
            self.windows.clear()


_process_counts = ProcessCounts()


def _in_process() -> bool:
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    return isinstance(caches["default"], LocMemCache)


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    """New limits or another cache (tests, mostly): start counting afresh."""
    if setting in {"RATE_LIMITS", "RATE_LIMITS_ENABLED", "CACHES"}:
        _process_counts.clear()


def hit(rule: str, subject: str) -> bool:
    """Count one attempt; True while the subject is within its limit."""
    if not settings.RATE_LIMITS_ENABLED:
        return True
    if _in_process():
        return _process_counts.hit(rule, [subject])[0] <= settings.RATE_LIMITS[rule][0]
    key, window = _key(rule, subject)
    try:
        cache.add(key, 0, timeout=window + 1)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - the cache is optional; fail open and say so
        log.warning("rate limit cache unavailable; %s not limited", rule)
        return True
    return int(count) <= settings.RATE_LIMITS[rule][0]


def hit_many(rule: str, subjects: list[str]) -> list[bool]:
    """Count one attempt for each subject (a subject listed twice counts twice); one verdict
    each, as :func:`hit` would give. On Redis the whole batch is one round trip; after a cache
    failure the cache is left alone for a few seconds so a dead Redis cannot slow down a vote.
    """
    if not settings.RATE_LIMITS_ENABLED or not subjects:
        return [True] * len(subjects)
    limit = settings.RATE_LIMITS[rule][0]
    if _in_process():
        return [count <= limit for count in _process_counts.hit(rule, subjects)]
    if time.monotonic() < _cache_down_until[0]:
        return [True] * len(subjects)
    try:
        client = _redis_client()
        if client is None:
            return [hit(rule, subject) for subject in subjects]
        pipe = client.pipeline(transaction=False)
        for subject in subjects:
            key, window = _key(rule, subject)
            full = cache.make_and_validate_key(key)
            pipe.set(full, 0, ex=window + 1, nx=True)
            pipe.incr(full)
        counts = pipe.execute()[1::2]
    except Exception:  # noqa: BLE001 - the cache is optional; fail open and say so
        _cache_down_until[0] = time.monotonic() + CACHE_RETRY_SECONDS
        log.warning("rate limit cache unavailable; %s not limited", rule)
        return [True] * len(subjects)
    return [int(count) <= limit for count in counts]


CACHE_RETRY_SECONDS = 5.0
_cache_down_until = [0.0]


def _redis_client() -> Any:
    """The raw client behind Django's Redis cache (for pipelining), or None for other caches.

    Django's Redis cache stores integers as plain Redis integers, so the INCR here and
    ``cache.incr``/``cache.get`` in :func:`hit` count the same keys.
    """
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True)


def uses_network() -> bool:
    """Whether counting goes over the network (Redis), so an event loop should hand it to a
    thread; the per-process cache answers at once."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    return settings.RATE_LIMITS_ENABLED and isinstance(caches["default"], RedisCache)


def exceeded(rule: str, subject: str) -> bool:
    """Whether the subject is already over its limit, without counting an attempt."""
    if not settings.RATE_LIMITS_ENABLED:
        return False
    if _in_process():
        return _process_counts.peek(rule, subject) >= settings.RATE_LIMITS[rule][0]
    key, _window = _key(rule, subject)
    try:
        count = cache.get(key, 0)
    except Exception:  # noqa: BLE001
        return False
    return int(count) >= settings.RATE_LIMITS[rule][0]


def forgive(rule: str, subject: str) -> None:
    """Take back one attempt counted by :func:`hit` (a login that succeeded: only failures
    count against a limit, so people who log in right are never blocked by it)."""
    if not settings.RATE_LIMITS_ENABLED:
        return
    if _in_process():
        _process_counts.forgive(rule, subject)
        return
    key, _window = _key(rule, subject)
    try:
        if int(cache.get(key, 0)) > 0:
            cache.decr(key)
    except Exception:  # noqa: BLE001 - the cache is optional; a missed refund is harmless
        log.warning("rate limit cache unavailable; %s not refunded", rule)


def client_address(request: object) -> str:
    """The address a request comes from, for per-address limits: the single place that reads it.

    ``X-Forwarded-For`` is read only when ``BEHIND_TLS_PROXY`` is set, and then only the entry
    written by the nearest of ``TRUSTED_PROXY_COUNT`` proxies (counting from the right): every
    entry to its left is whatever the client chose to send. A header with fewer entries than
    trusted proxies, or an entry that is not an address, leaves the peer's own address.
    """
    meta = getattr(request, "META", {})
    remote = str(meta.get("REMOTE_ADDR") or "unknown")
    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if not getattr(settings, "BEHIND_TLS_PROXY", False) or hops < 1:
        return remote
    entries = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    entries = [entry for entry in entries if entry]
    if len(entries) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(entries[-hops]))
    except ValueError:
        return remote
