"""Benchmark of the counting core (issue 6): prints each figure in seconds and the machine.

    python bench/counting.py            # the full benchmark
    python bench/counting.py --quick    # a tenth of the ballots, to try it out

1. 1,000,000 ranked ballots over 20 candidates, 5 seats, counted by Meek STV and by Scottish
   STV. The ballots are drawn (seeded) from a party model: 20 candidates in 5 parties of 4;
   a voter ranks some of one party's candidates, in an order skewed by popularity, and
   often goes on to a second and third party. Many voters therefore cast identical ballots,
   but far from all: the count works on the distinct ballots.
2. Schulze with 100 candidates over 100,000 ballots, each ranking 1-20 candidates in an
   order skewed by popularity (and, as a worst case, 100,000 full rankings of all 100).
3. All 1,100 Scottish ward elections of ../shared/data/scotland-stv, read from BLT and
   counted by the Scottish rules.

Grouping identical ballots happens once, before the count, and is timed apart; the times
of the counts include everything the count function does with the grouped ballots.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from asamblea.elections.methods import (
    RankedGroup,
    count_meek_stv,
    count_schulze,
    count_scottish_stv,
    read_blt,
)

T = TypeVar("T")

SEED = 2025
DATA = Path(__file__).resolve().parents[1].parent / "shared/data/scotland-stv"


def timed(label: str, work: Callable[[], T]) -> T:
    """Run ``work``, print its wall-clock and CPU seconds, and return its result.

    CPU time is printed too because a shared machine can stretch the wall clock.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<56} {wall:7.2f} s  (CPU {cpu:6.2f} s)", flush=True)
    return result


def machine() -> str:
    """Platform, CPU model, cores and Python version, for the record."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.platform()}; {model}; {os.cpu_count()} cores; "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def _plackett_luce(items: Sequence[int], weights: Sequence[float]) -> dict[tuple[int, ...], float]:
    """Probability of every full order of ``items`` when each next pick is by weight."""
    items = list(items)
    orders: dict[tuple[int, ...], float] = {}
    for order in itertools.permutations(range(len(items))):
        p, left = 1.0, sum(weights)
        for i in order:
            p *= weights[i] / left
            left -= weights[i]
        orders[tuple(items[i] for i in order)] = p
    return orders


def party_ballots(count: int, rng: random.Random) -> list[tuple[int, ...]]:
    """``count`` ranked ballots (strict, partial) from the party model described above.

    Each component of a ballot is drawn for all voters at once (``Random.choices`` with
    ``k=count``), which keeps generating a million ballots to a few seconds.
    """
    parties = [tuple(range(p * 4, p * 4 + 4)) for p in range(5)]
    party_weights = [0.34, 0.26, 0.2, 0.12, 0.08]
    block_weights = [0.45, 0.35, 0.2]  # how many parties a voter goes through
    sequences: dict[tuple[int, ...], float] = {}
    for length, weight in enumerate(block_weights, start=1):
        for seq, p in _plackett_luce(range(5), party_weights).items():
            sequences[seq[:length]] = sequences.get(seq[:length], 0.0) + weight * p
    popularity = [0.45, 0.3, 0.15, 0.1]
    orders = [list(_plackett_luce(members, popularity).items()) for members in parties]
    party_seq = rng.choices(list(sequences), list(sequences.values()), k=count)
    order_of = [
        rng.choices([o for o, _ in orders[p]], [w for _, w in orders[p]], k=count) for p in range(5)
    ]
    depth = rng.choices([1, 2, 3, 4], [0.3, 0.3, 0.2, 0.2], k=count)
    ballots = []
    for i, seq in enumerate(party_seq):
        ballot = [c for party in seq[:-1] for c in order_of[party][i]]
        ballot.extend(order_of[seq[-1]][i][: depth[i]])
        ballots.append(tuple(ballot))
    return ballots


def schulze_ballots(
    count: int, candidates: int, rng: random.Random, full: bool
) -> Iterator[tuple[int, ...]]:
    """Ballots ranking 1-20 candidates (or all) in an order skewed by popularity (Zipf)."""
    weights = [1.0 / (rank + 1) for rank in range(candidates)]
    for _ in range(count):
        # Exponential keys give a weighted order without replacement (Efraimidis-Spirakis).
        keys = [rng.random() ** (1.0 / w) for w in weights]
        order = sorted(range(candidates), key=keys.__getitem__, reverse=True)
        yield tuple(order if full else order[: rng.randint(1, 20)])


def group(sequences: list[tuple[int, ...]], candidates: int) -> list[RankedGroup]:
    """Group identical ballots once, then give the distinct ones the core's ranked form."""
    single = [frozenset((c,)) for c in range(candidates)]
    return [(tuple(map(single.__getitem__, seq)), n) for seq, n in Counter(sequences).items()]


def bench_stv(ballots: int) -> None:
    names = [f"Candidate {c + 1}" for c in range(20)]
    rng = random.Random(SEED)
    raw = timed(f"generate {ballots:,} ranked ballots (20 candidates)",
                lambda: party_ballots(ballots, rng))  # fmt: skip
    groups = timed("group identical ballots", lambda: group(raw, 20))
    print(f"  {len(groups):,} distinct ballots")
    meek = timed("Meek STV, 5 seats", lambda: count_meek_stv(names, groups, 5, seed="bench"))
    print(f"  elected {meek.winners}, {len(meek.rounds)} rounds, "
          f"{sum(r.iterations for r in meek.rounds)} iterations")  # fmt: skip
    scottish = timed("Scottish STV, 5 seats",
                     lambda: count_scottish_stv(names, groups, 5, seed="bench"))  # fmt: skip
    print(f"  elected {scottish.winners}, {len(scottish.stages)} stages")


def bench_schulze(ballots: int, full: bool) -> None:
    names = [f"Option {c + 1}" for c in range(100)]
    rng = random.Random(SEED)
    what = "full rankings" if full else "rankings of 1-20"
    raw = timed(f"generate {ballots:,} {what} (100 candidates)",
                lambda: list(schulze_ballots(ballots, 100, rng, full)))  # fmt: skip
    groups = timed("group identical ballots", lambda: group(raw, 100))
    print(f"  {len(groups):,} distinct ballots")
    result = timed(f"Schulze, 100 candidates, {what}",
                   lambda: count_schulze(names, groups, seed="bench"))  # fmt: skip
    print(f"  winner {result.winner}, {len(result.ranking)} tiers")


def bench_scotland() -> None:
    files = sorted(DATA.glob("*/*.blt"))
    if not files:
        print(f"Scottish data not found under {DATA}; skipped")
        return
    elections = timed(f"read {len(files):,} Scottish ward BLT files",
                      lambda: [read_blt(path) for path in files])  # fmt: skip
    timed(f"count {len(files):,} Scottish wards (Scottish STV)",
          lambda: [count_scottish_stv(e.candidates, e.ballots, e.seats, seed="")
                   for e in elections])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the ballots")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    print(machine())
    bench_stv(1_000_000 // scale)
    bench_schulze(100_000 // scale, full=False)
    bench_schulze(100_000 // scale, full=True)
    bench_scotland()


if __name__ == "__main__":
    main()
