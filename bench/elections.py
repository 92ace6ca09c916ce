"""Benchmark of closing an election in the application (issue 6): prints seconds and the machine.

    python bench/elections.py                 # 100,000 ballots, SQLite in a temporary directory
    python bench/elections.py --ballots 10000
    DATABASE_URL=postgres://... python bench/elections.py   # on PostgreSQL (a scratch database)

An assembly of ``--ballots`` members elects 5 of 12 candidates by Scottish STV in a secret
election. To measure closing, not casting, the electorate and ballots are written in bulk
(the cast path, one transaction per ballot, has its own measurements). Then it times:

1. ``election_close``: shuffle the secret ballots with fresh ids, hash the ballot box, write
   the seed to the ledger, read and check every stored ballot, count, record the result;
2. a recount of the stored ballots (what the reproducibility check does);
3. the BLT download (grouping identical ballots and writing the file);
4. rendering the result page.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def timed(label: str, work: Callable[[], T]) -> T:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<52} {wall:7.2f} s  (CPU {cpu:6.2f} s)", flush=True)
    return result


def machine(vendor: str) -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.platform()}; {model}; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; database {vendor}"
    )


def ranking(rng: random.Random, candidates: int) -> list[list[int]]:
    """A partial ranking skewed towards popular candidates (lower numbers)."""
    weights = [1.0 / (c + 2) for c in range(candidates)]
    pool = list(range(candidates))
    order: list[list[int]] = []
    for _ in range(rng.randint(1, 6)):
        pick = rng.choices(pool, [weights[c] for c in pool])[0]
        pool.remove(pick)
        order.append([pick])
    return order


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=100_000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="asamblea-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from asamblea.accounts.models import Person
    from asamblea.bodies.actions import body_create
    from asamblea.bodies.models import Membership
    from asamblea.elections import actions as elections
    from asamblea.elections import queries as election_queries
    from asamblea.elections.core import count as election_count
    from asamblea.elections.core.ballots import canonical
    from asamblea.elections.methods import write_blt
    from asamblea.elections.models import ElectionBallot, Elector

    call_command("migrate", verbosity=0)
    print(machine(connection.vendor))
    n = args.ballots
    suffix = random.SystemRandom().randrange(10**9)
    facilitator = Person.objects.create_user(f"bench-fac-{suffix}", "x" * 12, display_name="F")
    body = body_create(facilitator, name=f"Bench {suffix}", kind="district", visibility="public")
    people = Person.objects.bulk_create(
        [Person(username=f"b{suffix}-{i}", display_name=f"B{i}") for i in range(n - 1)],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [Membership(person=p, body=body) for p in people], batch_size=5000
    )
    election = elections.election_create(
        facilitator, body, title="Bench", method="scottish_stv", seats=5
    )
    for i in range(12):
        elections.option_add(facilitator, election, name=f"Candidate {i:02d}")
    election = elections.voting_open(facilitator, election)
    rng = random.Random(2026)
    ElectionBallot.objects.bulk_create(
        [
            ElectionBallot(election=election, content=canonical({"ranks": ranking(rng, 12)}))
            for _ in range(n)
        ],
        batch_size=5000,
    )
    Elector.objects.filter(election=election).update(voted=True)
    print(f"{n:,} secret ballots, 12 candidates, 5 seats, Scottish STV")
    closed = timed(
        "close: shuffle, hash, seed to ledger, count, record",
        lambda: elections.election_close(facilitator, election),
    )
    recount = timed("recount of the stored ballots", lambda: election_queries.recount(closed))
    assert recount["trace"] == closed.result["trace"]
    timed(
        "BLT download (group and write)",
        lambda: write_blt(
            election_count.to_blt(
                closed.title,
                election_queries.ballot_names(closed),
                closed.seats,
                closed.method,
                election_queries.stored_ballots(closed),
            )
        ),
    )
    client = Client()
    page = timed("result page", lambda: client.get(f"/b/{body.slug}/e/{closed.pk}/result/"))
    assert page.status_code == 200
    print("winners:", [w.name for w in election_queries.winners(closed)])


if __name__ == "__main__":
    main()
