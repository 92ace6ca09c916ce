"""Benchmark of conditional pledges (issue 18): prints each figure in seconds and the machine.

    python bench/pledges.py --postgres    # 100,000 commitments across 2,000 assemblies
    python bench/pledges.py               # the same on SQLite (a fresh temporary file)
    python bench/pledges.py --quick       # 200 assemblies, to try it out

A national coordination of 2,000 assemblies (60 voting members each, five sectors, ten regions)
opens a pledge: "at least 120,001 people in at least 1,000 assemblies, and 50 % of the members
of each committing assembly" (more people than members: it never triggers, so every commitment
through ``commit`` evaluates the thresholds, the worst case). 100,000 people commit (seeded,
``random.Random(2026)``; setup writes them in bulk with their keyed holders, exactly as
``commit`` does). Measured:

1. opening the pledge (walking the body graph and freezing 2,000 assemblies);
2. **evaluating every threshold with every breakdown** (people, assemblies, P % per assembly,
   by sector and by region): the two grouped queries and the pure core — the target is < 1 s;
3. the pledge page as a browser gets it (the same evaluation plus the names and the chart);
4. commitments through ``commit`` (the real path: rights, the pledge row's lock, the
   evaluation for the trigger), one transaction each, on the loaded pledge;
5. settling it at the deadline (it lapses; 100,000 commitments rewritten in random order).

The database is a fresh one: a temporary SQLite file, or the PostgreSQL database
``bench_pledges`` (dropped and created again) on 127.0.0.1.
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
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
SEED = 2026
ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/bench_pledges"
SECTORS = ("workers", "students", "rural", "residents", "women")


def timed(label: str, work: Callable[[], T]) -> T:
    """Run ``work``, print its wall-clock and CPU seconds (a shared machine stretches the
    wall clock), and return its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<66} {wall:8.3f} s  (CPU {cpu:7.3f} s)", flush=True)
    return result


def machine(database: str) -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.platform()}; {model}; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; {database}; load average {load:.1f}"
    )


def setup_django(postgres: bool) -> str:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "asamblea.settings"
    os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-pledges-")
    if postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_pledges")
            conn.execute("CREATE DATABASE bench_pledges")
        os.environ["DATABASE_URL"] = PG_BENCH
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    version = connection.pg_version
    return f"PostgreSQL {version // 10000}.{version % 10000}"


def build(assemblies: int, members: int) -> dict[str, Any]:
    """A national coordination and its assemblies with their members, in bulk (setup)."""
    from asamblea.accounts.models import Person
    from asamblea.bodies.models import Body, Membership, Sector
    from asamblea.coordination.actions import coordination_create
    from asamblea.coordination.models import Affiliation

    cora = Person.objects.create_user("cora", None, display_name="Cora")
    nation = coordination_create(
        cora, name="Nation", kind="national_coordination", visibility="public"
    )
    sectors = Sector.objects.bulk_create([Sector(slug=s, name=s) for s in SECTORS])
    bodies = Body.objects.bulk_create(
        [
            Body(
                name=f"Assembly {a}",
                slug=f"assembly-{a}",
                kind="district",
                region=f"Region {a % 10}",
                visibility="public" if a % 2 else "members",
            )
            for a in range(assemblies)
        ],
        batch_size=2000,
    )
    Body.sectors.through.objects.bulk_create(
        [
            Body.sectors.through(body_id=b.pk, sector_id=sectors[i % len(sectors)].pk)
            for i, b in enumerate(bodies)
        ],
        batch_size=5000,
    )
    Affiliation.objects.bulk_create(
        [Affiliation(member=b, coordination=nation) for b in bodies], batch_size=5000
    )
    people = Person.objects.bulk_create(
        [
            Person(username=f"p{i}", display_name=f"P{i}", password="!")
            for i in range(assemblies * members)
        ],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [Membership(person=person, body=bodies[i // members]) for i, person in enumerate(people)],
        batch_size=5000,
    )
    return {"cora": cora, "nation": nation, "bodies": bodies, "people": people}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    assemblies, members, commitments = (200, 60, 10_000) if args.quick else (2000, 60, 100_000)
    database = setup_django(args.postgres)
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from asamblea.pledges import actions
    from asamblea.pledges.models import Commitment, Pledge
    from asamblea.pledges.queries import evaluation, holder

    rng = random.Random(SEED)
    print(machine(database), flush=True)
    world = timed(
        f"setup: {assemblies:,} assemblies, {assemblies * members:,} members (bulk)",
        lambda: build(assemblies, members),
    )
    pledge = timed(
        "open the pledge: freeze every assembly (members, sectors, region)",
        lambda: actions.pledge_open(
            world["cora"],
            world["nation"],
            title="Paro nacional",
            deadline=timezone.now() + timedelta(days=3),
            # More people than there are members: it never triggers, so every commitment
            # below evaluates the thresholds (the worst case for the commit path).
            min_people=assemblies * members + 1,
            min_assemblies=assemblies // 2,
            min_percent=50,
        ),
    )
    people = world["people"]
    chosen = rng.sample(range(len(people)), commitments)
    taken = set(chosen)
    spare = [i for i in range(0, len(people), 7) if i not in taken][:200]

    def seed_commitments() -> None:
        rows = [
            Commitment(
                pledge=pledge,
                body_id=world["bodies"][i // members].pk,
                holder=holder(pledge.pk, people[i].pk),
            )
            for i in chosen
        ]
        rng.shuffle(rows)
        with transaction.atomic():
            Commitment.objects.bulk_create(rows, batch_size=5000)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE pledges_commitment")
                cursor.execute("ANALYZE pledges_pledgeassembly")

    timed(f"setup: {commitments:,} commitments with their keyed holders (bulk)", seed_commitments)
    result = None
    for run in range(3):
        result = timed(
            f"EVALUATE every threshold + breakdowns (run {run + 1}; target < 1 s)",
            lambda: evaluation(pledge),
        )
    assert result is not None
    print(
        f"    people in committing assemblies {result.people:,}, committing assemblies "
        f"{result.assemblies:,}, all commitments {result.committed:,}, "
        f"{len(result.by_sector)} sectors, {len(result.by_region)} regions",
        flush=True,
    )
    client = Client()
    url = f"/b/{world['nation'].slug}/pledges/{pledge.pk}/"
    for run in range(2):
        response = timed(f"the pledge page, anonymous GET (run {run + 1})", lambda: client.get(url))
        assert response.status_code == 200, response.status_code

    def commit_some() -> None:
        for i in spare:
            actions.commit(people[i], pledge)

    timed(f"{len(spare)} commitments through commit(), each evaluating the thresholds", commit_some)
    Pledge.objects.filter(pk=pledge.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    settled = timed(
        f"settle at the deadline: rewrite {commitments + len(spare):,} commitments",
        lambda: actions.settle(pledge),
    )
    print(f"    state after the deadline: {settled.state}", flush=True)


if __name__ == "__main__":
    main()
