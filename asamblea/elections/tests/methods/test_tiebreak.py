"""The seeded draw: reproducible, checkable with any SHA-256, independent per context."""

from __future__ import annotations

import hashlib

from asamblea.elections.methods.results import TieMethod
from asamblea.elections.methods.tiebreak import (
    break_by_history,
    break_by_lot,
    draw_number,
    draw_order,
)


def test_the_draw_is_sha256_of_seed_context_and_candidate() -> None:
    def key(c: int) -> bytes:
        return hashlib.sha256(f"seed\x1fexclusion at stage 3\x1f{c}".encode()).digest()

    assert draw_order("seed", "exclusion at stage 3", [4, 1, 2]) == tuple(
        sorted([4, 1, 2], key=key)
    )


def test_same_seed_same_draw_and_contexts_are_independent() -> None:
    assert draw_order("s", "ctx", range(8)) == draw_order("s", "ctx", reversed(range(8)))
    orders = {draw_order("s", f"ctx {i}", range(4)) for i in range(40)}
    assert len(orders) > 10
    assert {draw_number("s", f"n{i}", 3) for i in range(40)} == {0, 1, 2}


def test_history_is_read_backwards_or_forwards_then_lot() -> None:
    history = [(5, 4, 9), (5, 6, 9)]  # candidate 0 ahead first, candidate 1 ahead last
    backwards = break_by_history([0, 1], history, pick_lowest=True, backwards=True,
                                 seed="s", purpose="p")  # fmt: skip
    forwards = break_by_history([0, 1], history, pick_lowest=True, backwards=False,
                                seed="s", purpose="p")  # fmt: skip
    assert (backwards.chosen, backwards.method) == (0, TieMethod.EARLIER_STAGE)
    assert (forwards.chosen, forwards.method) == (1, TieMethod.FIRST_DIFFERENCE)
    level = break_by_history([0, 1], [(3, 3)], pick_lowest=True, backwards=True,
                             seed="s", purpose="p")  # fmt: skip
    assert level.method is TieMethod.LOT and level == break_by_lot([0, 1], seed="s", purpose="p")
