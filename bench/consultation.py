"""Benchmark of a consultation (issue 3): prints each figure in seconds and the machine.

    python bench/consultation.py               # 2,000 assemblies x 50 members, on SQLite
    python bench/consultation.py --postgres    # the same on a fresh PostgreSQL database
    python bench/consultation.py --quick       # 200 assemblies, to try it out

A three-level federation (a nation, 10 regions, 100 district coordinations, 2,000 assemblies
of 50 voting members: 100,000 voters) decides one motion put to every assembly. 70 % of the
assemblies vote online (ordinary secret polls of the assembly, closing at the deadline), 20 %
record a vote in a meeting and 10 % a show of hands. Measured:

1. building the electorate: opening the consultation (walking the body graph down to the base
   and freezing each assembly's electorate, weight, sectors and region) and opening the online
   votes (each snapshots its 50 members);
2. casting: ballots of a sample of assemblies go through ``ballot_cast`` (the real cast path,
   one transaction each), timed against the same number of ballots cast in ordinary polls of
   the same assemblies; the other online ballots are bulk-inserted (not timed as casting) so
   the aggregation works on 100,000 voters;
3. live progress (by sector and region) while the votes are open;
4. closing the online votes (each counted, shuffled and settled into the consultation);
5. **aggregation**: reading every assembly's result and adding everything up with every
   breakdown (by body, member body, sector and region) under each of the three rules;
6. closing the consultation (aggregation, the motion's state and the ledger entry).

Data is seeded (``random.Random(2025)``), so every run decides the same way. The database is a
fresh one: a temporary SQLite file, or the PostgreSQL database ``bench_coordination`` (dropped
and created again) on 127.0.0.1.
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
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
SEED = 2025
ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/bench_coordination"


def timed(label: str, work: Callable[[], T]) -> T:
    """Run ``work``, print its wall-clock and CPU seconds (a shared machine stretches the
    wall clock), and return its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<66} {wall:8.2f} s  (CPU {cpu:7.2f} s)", flush=True)
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
    os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-coordination-")
    if postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_coordination")
            conn.execute("CREATE DATABASE bench_coordination")
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


def build_federation(assemblies: int, members: int, rng: random.Random) -> dict[str, Any]:
    """Nation <- 10 regions <- districts of 20 assemblies <- assemblies, in bulk (this is
    setup, not what is measured)."""
    from asamblea.accounts.models import Person
    from asamblea.bodies.models import Body, Membership, Sector
    from asamblea.coordination.actions import coordination_create
    from asamblea.coordination.models import Affiliation

    cora = Person.objects.create_user("cora", None, display_name="Cora")
    nation = coordination_create(
        cora, name="Nation", kind="national_coordination", visibility="public"
    )
    regions = [
        coordination_create(
            cora, name=f"Region {r}", kind="regional_coordination", visibility="public"
        )
        for r in range(10)
    ]
    districts = Body.objects.bulk_create(
        [
            Body(name=f"District {d}", slug=f"district-{d}", kind="district_coordination")
            for d in range(max(1, assemblies // 20))
        ]
    )
    sectors = Sector.objects.bulk_create(
        [Sector(slug=s, name=s) for s in ("workers", "students", "rural", "residents", "women")]
    )
    bodies = Body.objects.bulk_create(
        [
            Body(
                name=f"Assembly {a}",
                slug=f"assembly-{a}",
                kind="district",
                region=f"Region {a % 10}",
                visibility="members",
            )
            for a in range(assemblies)
        ],
        batch_size=2000,
    )
    through = Body.sectors.through
    through.objects.bulk_create(
        [through(body_id=b.pk, sector_id=rng.choice(sectors).pk) for b in bodies], batch_size=5000
    )
    people = Person.objects.bulk_create(
        [
            Person(username=f"p{i}", display_name=f"P{i}", password="!")  # noqa: S106
            for i in range(assemblies * members)
        ],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [
            Membership(
                person=people[a * members + m],
                body=bodies[a],
                role="facilitator" if m == 0 else "member",
            )
            for a in range(assemblies)
            for m in range(members)
        ],
        batch_size=5000,
    )
    edges = [Affiliation(member=r, coordination=nation) for r in regions]
    edges += [Affiliation(member=d, coordination=regions[i % 10]) for i, d in enumerate(districts)]
    edges += [
        Affiliation(member=b, coordination=districts[i // 20 % len(districts)])
        for i, b in enumerate(bodies)
    ]
    Affiliation.objects.bulk_create(edges, batch_size=5000)
    return {"cora": cora, "nation": nation, "bodies": bodies, "people": people}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    parser.add_argument("--quick", action="store_true", help="200 assemblies")
    parser.add_argument(
        "--sample", type=int, default=40, help="assemblies cast through the cast path"
    )
    args = parser.parse_args()
    assemblies, members = (200, 50) if args.quick else (2000, 50)
    database = setup_django(args.postgres)

    from django.db import transaction
    from django.utils import timezone

    from asamblea.coordination import actions
    from asamblea.coordination import aggregate as agg
    from asamblea.coordination import queries as coordination_queries
    from asamblea.coordination.models import ConsultedBody
    from asamblea.motions.models import Motion
    from asamblea.voting.actions import ballot_cast, poll_close, poll_open
    from asamblea.voting.models import Ballot, Eligibility

    print(machine(database))
    print(f"{assemblies} assemblies x {members} members = {assemblies * members} voters")
    rng = random.Random(SEED)
    world = timed(
        "setup: bulk-create the federation (not measured)",
        lambda: build_federation(assemblies, members, rng),
    )
    cora, nation, bodies, people = world["cora"], world["nation"], world["bodies"], world["people"]
    facilitator = {b.pk: people[i * members] for i, b in enumerate(bodies)}
    motion = Motion.objects.create(
        body=nation, number=1, title="Paro nacional", text="Convocar", state="supported"
    )

    consultation = timed(
        "1. open the consultation: freeze the electorate of every assembly",
        lambda: actions.consultation_open(
            cora, nation, motion, rule="head_count", deadline=timezone.now() + timedelta(days=7)
        ),
    )
    rows = list(ConsultedBody.objects.filter(consultation=consultation).order_by("body_id"))
    means = {row.pk: rng.choices(["online", "meeting", "hands"], [7, 2, 1])[0] for row in rows}
    online = [row for row in rows if means[row.pk] == "online"]

    def open_online() -> dict[int, Any]:
        return {
            row.body_id: actions.consultation_poll_open(
                facilitator[row.body_id], row, secrecy="secret"
            )
            for row in online
        }

    polls = timed(
        f"1. open {len(online)} online votes (snapshot {len(online) * members} electors)",
        open_online,
    )

    sample = online[: args.sample]
    plan = {
        row.body_id: [rng.choices(["yes", "no", "abstain"], [5, 4, 1])[0] for _ in range(members)]
        for row in online
    }
    ordinary = {
        row.body_id: poll_open(
            facilitator[row.body_id], row.body, title="Ordinary", secrecy="secret"
        )
        for row in sample
    }
    position = {b.pk: i for i, b in enumerate(bodies)}
    voters = {
        row.body_id: people[position[row.body_id] * members : (position[row.body_id] + 1) * members]
        for row in sample
    }

    def cast(polls_by_body: dict[int, Any]) -> int:
        n = 0
        for body_id, poll in polls_by_body.items():
            for person, choice in zip(voters[body_id], plan[body_id], strict=True):
                ballot_cast(person, poll, choice=choice)
                n += 1
        return n

    ballots = len(sample) * members
    t_ord = time.perf_counter()
    timed(f"2. cast {ballots} ballots in ordinary polls (ballot_cast)", lambda: cast(ordinary))
    t_ord = time.perf_counter() - t_ord
    t_con = time.perf_counter()
    timed(
        f"2. cast {ballots} ballots in consultation polls (ballot_cast)",
        lambda: cast({k: polls[k] for k in ordinary}),
    )
    t_con = time.perf_counter() - t_con
    print(
        f"   per ballot: ordinary {1000 * t_ord / ballots:.2f} ms, "
        f"consultation {1000 * t_con / ballots:.2f} ms"
    )

    def bulk_fill() -> None:
        rest = [row for row in online if row.body_id not in ordinary]
        with transaction.atomic():
            Eligibility.objects.filter(poll__in=[polls[r.body_id] for r in rest]).update(voted=True)
            Ballot.objects.bulk_create(
                [
                    Ballot(poll=polls[r.body_id], choice=choice)
                    for r in rest
                    for choice in plan[r.body_id]
                ],
                batch_size=5000,
            )

    timed("   bulk-insert the other online ballots (not the cast path)", bulk_fill)

    def record_in_person() -> None:
        for row in rows:
            if means[row.pk] == "online":
                continue
            present = rng.randint(members // 2, members)
            yes = rng.randint(0, present)
            no = rng.randint(0, present - yes)
            actions.consultation_record(
                facilitator[row.body_id],
                row,
                means=means[row.pk],
                yes=yes,
                no=no,
                abstain=present - yes - no,
                present=present,
            )

    timed(f"   record {len(rows) - len(online)} meetings and shows of hands", record_in_person)
    progress = timed(
        "3. live progress by sector and region",
        lambda: (
            agg.progress_by(
                (s, e, d, t)
                for s, _r, e, d, t in coordination_queries.progress_counts(consultation)
            ),
            agg.progress_by(
                ([r], e, d, t)
                for _s, r, e, d, t in coordination_queries.progress_counts(consultation)
            ),
        ),
    )
    print(f"   {sum(p.people_voted for p in progress[1].values())} people have taken part so far")

    def close_polls() -> None:
        for poll in polls.values():
            poll_close(None, poll)

    timed(f"4. close and count the {len(polls)} online votes", close_polls)
    for rule in agg.Rule:
        consultation.rule = rule.value
        result = timed(
            f"5. AGGREGATE every result with every breakdown ({rule.value})",
            lambda: coordination_queries.consultation_aggregate(consultation),
        )
        total = result.total
        print(
            f"   {total.outcome.tally.yes} yes, {total.outcome.tally.no} no, "
            f"{total.outcome.tally.abstain} abstain of {total.outcome.electorate}; "
            f"{len(result.by_body)} bodies, {len(result.by_member)} member bodies, "
            f"{len(result.by_sector)} sectors, {len(result.by_region)} regions"
        )
    consultation.rule = "head_count"
    rows_pure = coordination_queries.consultation_rows(consultation)
    quorum = Fraction(consultation.quorum_percent, 100)
    majority = agg.Majority(consultation.majority)
    timed(
        "   of which the pure aggregation alone (head count)",
        lambda: agg.aggregate(rows_pure, agg.Rule.HEAD_COUNT, quorum, majority),
    )
    closed = timed(
        "6. close the consultation (aggregate, settle, ledger)",
        lambda: actions.consultation_close(cora, consultation),
    )
    print(f"   adopted: {closed.result['total']['adopted']}")


if __name__ == "__main__":
    main()
