"""The turnout a vote page shows ("N of M have voted"), remembered for a second per worker.

Counting it is the one read of a vote page that grows with the assembly: every electorate row
of the vote (0.5 ms of the database's time for 2,000 members, per batch of pages). Under the
voter's path it was a third of the database's work per voter (``bench/voter_flow.py``). Each
worker keeps a count for :data:`SECONDS` and forgets it as soon as a ballot committed in this
worker changes it (the ``poll.progress`` and ``election.progress`` live events, sent after every
committed cast, whichever path cast it). A count changed by another worker shows at most
:data:`SECONDS` late: the cadence of the live turnout ticks that update the page in place.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from typing import Any

from asamblea.live import events

SECONDS = 1.0
SUBJECTS = ("poll", "election")  # what a count belongs to: a poll's or an election's electorate

_known: dict[tuple[str, int], tuple[float, tuple[int, int]]] = {}


def fresh(subject: str, ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """The remembered counts (voted, electorate) of these polls or elections that are fresh."""
    now = time.monotonic()
    found = {}
    for pk in ids:
        known = _known.get((subject, pk))
        if known is not None and known[0] > now:
            found[pk] = known[1]
    return found


def remember(subject: str, counts: Mapping[int, tuple[int, int]]) -> None:
    until = time.monotonic() + SECONDS
    if len(_known) > 10_000:
        _known.clear()  # bounded: start again rather than track ages
    for pk, count in counts.items():
        _known[(subject, pk)] = (until, count)


def forget(subject: str, pk: int) -> None:
    """A ballot of this poll or election committed: its count is no longer known."""
    _known.pop((subject, pk), None)


def clear() -> None:
    _known.clear()


def _on_event(_channel: str, kind: str, data: Mapping[str, Any]) -> None:
    subject = kind.removesuffix(".progress")
    if subject in SUBJECTS and subject in data:
        with contextlib.suppress(TypeError, ValueError):
            forget(subject, int(data[subject]))


events.subscribe(_on_event)
