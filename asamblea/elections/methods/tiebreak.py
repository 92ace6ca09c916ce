"""Seeded, reproducible drawing of lots, and the look-back tie rules built on it.

Where the rules leave a tie to lot, the count draws it from a seed fixed before counting
(the application records it in the ledger first). The draw orders the tied candidates by
``SHA-256(seed, context, candidate)``: the same seed and the same context always give the
same order, a different context (another stage, another purpose) gives an independent one,
and anyone holding the seed can recompute every draw with any SHA-256 implementation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from .results import TieBreak, TieMethod

#: Separates the fields hashed for a draw, so ("ab", "c") and ("a", "bc") never collide.
_SEPARATOR = b"\x1f"


def lot_key(seed: str, context: str, item: int) -> bytes:
    """The SHA-256 digest that places ``item`` in the draw made for ``context``."""
    message = _SEPARATOR.join((seed.encode(), context.encode(), str(item).encode()))
    return hashlib.sha256(message).digest()


def draw_order(seed: str, context: str, items: Iterable[int]) -> tuple[int, ...]:
    """All ``items`` in the order drawn by lot (the first is the one drawn)."""
    return tuple(sorted(set(items), key=lambda item: lot_key(seed, context, item)))


def draw_number(seed: str, context: str, below: int) -> int:
    """A reproducible number in ``0 .. below-1`` (the bias of the 256-bit modulo is negligible)."""
    if below < 1:
        raise ValueError("cannot draw from an empty range")
    digest = hashlib.sha256(_SEPARATOR.join((seed.encode(), context.encode()))).digest()
    return int.from_bytes(digest, "big") % below


def break_by_history(
    tied: Sequence[int],
    history: Sequence[Sequence[int]],
    *,
    pick_lowest: bool,
    backwards: bool,
    seed: str,
    purpose: str,
) -> TieBreak:
    """Resolve a tie by earlier stages, then by lot.

    ``history`` holds the votes of every candidate at the end of each earlier stage, oldest
    first. Looking ``backwards`` (Scottish rules 49(2) and 51(2)) starts at the most recent
    stage; otherwise (New Zealand "ahead at first difference") at the first. At each stage
    where the tied candidates differ, only those with the lowest (``pick_lowest``) or highest
    votes stay tied; the search goes on among them. Whoever is left is decided by lot.
    """
    remaining = sorted(set(tied))
    stages = reversed(history) if backwards else iter(history)
    for votes in stages:
        remaining = _extreme(remaining, votes.__getitem__, pick_lowest)
        if len(remaining) == 1:
            method = TieMethod.EARLIER_STAGE if backwards else TieMethod.FIRST_DIFFERENCE
            return TieBreak(purpose, tuple(sorted(tied)), remaining[0], method)
    return break_by_lot(remaining, seed=seed, purpose=purpose, tied=tied)


def break_by_lot(
    candidates: Sequence[int], *, seed: str, purpose: str, tied: Sequence[int] | None = None
) -> TieBreak:
    """Draw one of ``candidates`` by lot; ``tied`` (default: the same) is what the record shows."""
    shown = tuple(sorted(set(tied if tied is not None else candidates)))
    context = f"{purpose}|{','.join(map(str, shown))}"
    chosen = draw_order(seed, context, candidates)[0]
    return TieBreak(purpose, shown, chosen, TieMethod.LOT)


def _extreme(candidates: list[int], score: Callable[[int], int], lowest: bool) -> list[int]:
    values = [score(c) for c in candidates]
    target = min(values) if lowest else max(values)
    return [c for c, v in zip(candidates, values, strict=True) if v == target]
