"""Publishing live events. ``live`` only publishes and streams; it never queries the domain.

Callers describe what changed in a small payload (no secret choices, no voter identities for
secret polls) and publish it with :func:`publish_on_commit`, so nobody sees a change that could
still roll back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db import transaction

Subscriber = Callable[[str, str, Mapping[str, Any]], None]
_subscribers: list[Subscriber] = []


def subscribe(callback: Subscriber) -> None:
    """Register a sink for published events (the SSE broker registers itself here).

    A sink may be called on an event loop (the lean cast endpoint publishes there when no
    Redis is configured): it must not block and must not use the ORM."""
    if callback not in _subscribers:
        _subscribers.append(callback)


def unsubscribe(callback: Subscriber) -> None:
    if callback in _subscribers:
        _subscribers.remove(callback)


def publish_now(channel: str, kind: str, data: Mapping[str, Any]) -> None:
    for callback in list(_subscribers):
        callback(channel, kind, data)


def publish_on_commit(channel: str, kind: str, data: Mapping[str, Any]) -> None:
    """Publish after the current transaction commits (at once when there is none)."""
    payload = dict(data)
    transaction.on_commit(lambda: publish_now(channel, kind, payload), robust=True)
