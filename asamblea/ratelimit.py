"""Fixed-window rate limits kept in the cache (Redis when configured, else per process).

A limit is a key (what is counted: an account, an address) and a rule name from
``settings.RATE_LIMITS``. If the cache is down the request is let through: a dead cache must
not stop a vote.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def _key(rule: str, subject: str) -> tuple[str, int]:
    limit, window = settings.RATE_LIMITS[rule]
    bucket = int(time.time() // window)
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]
    return f"rl:{rule}:{digest}:{bucket}", window


def hit(rule: str, subject: str) -> bool:
    """Count one attempt; True while the subject is within its limit."""
    if not settings.RATE_LIMITS_ENABLED:
        return True
    key, window = _key(rule, subject)
    try:
        cache.add(key, 0, timeout=window + 1)
        count = cache.incr(key)
    except Exception:  # noqa: BLE001 - the cache is optional; fail open and say so
        log.warning("rate limit cache unavailable; %s not limited", rule)
        return True
    return int(count) <= settings.RATE_LIMITS[rule][0]


def exceeded(rule: str, subject: str) -> bool:
    """Whether the subject is already over its limit, without counting an attempt."""
    if not settings.RATE_LIMITS_ENABLED:
        return False
    key, _window = _key(rule, subject)
    try:
        count = cache.get(key, 0)
    except Exception:  # noqa: BLE001
        return False
    return int(count) >= settings.RATE_LIMITS[rule][0]


def client_address(request: object) -> str:
    meta = getattr(request, "META", {})
    return str(meta.get("REMOTE_ADDR", "unknown"))
