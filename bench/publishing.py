"""Benchmark of what a body publishes (issue 17): prints each figure and the machine.

    python bench/publishing.py --postgres     # 10,000 decisions on a fresh PostgreSQL database
    python bench/publishing.py                # the same on SQLite
    python bench/publishing.py --quick        # 1,000 decisions, to try it out

A public assembly of 30 members has 10,000 decisions: votes on motions and on questions
(a third of them named, with 30 named ballots each, the rest secret), plus published
statements. Setup writes the polls and ballots in bulk and appends their ``poll.closed`` entries
to the body's hash-chained ledger (not measured as pages), then rebuilds the publications index
from the ledger with ``sources.reindex`` (measured: what an operator runs once after installing).
Then, measured as a browser asks for them (Django's test client through the whole middleware
stack, warm, the median and the worst of ``--repeat`` requests):

1. the first page of resolutions, a page deep in the list, and a filtered page;
2. the body's Atom feed (50 entries);
3. the first page of the Popolo export (50 vote events with their named votes);
   the REST API's pages of the same data (resolutions, votes, a named vote, a member's votes
   with a personal access token);
4. 100 more decisions closed through ``poll_close`` (the index row is written in the closing
   transaction: its cost per decision).

Target: each page in under 100 ms on PostgreSQL, and a number of queries that does not grow
with the number of decisions (printed beside each figure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/bench_publishing"
MEMBERS = 30


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
    os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-publishing-")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    if postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_publishing")
            conn.execute("CREATE DATABASE bench_publishing")
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


def timed(label: str, work: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<62} {wall:8.2f} s  (CPU {cpu:6.2f} s)", flush=True)
    return result


def build(decisions: int) -> tuple[Any, list[Any]]:
    """A public assembly with ``decisions`` closed polls, their ballots and ledger entries."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from asamblea.accounts.models import Person
    from asamblea.bodies.actions import body_create
    from asamblea.bodies.models import Membership
    from asamblea.ledger.chain import canonical_json, entry_hash
    from asamblea.ledger.models import LedgerEntry
    from asamblea.motions.models import Motion
    from asamblea.voting.models import Ballot, Poll

    rosa = Person.objects.create_user("rosa", None, display_name="Rosa")
    body = body_create(rosa, name="Asamblea de Villa El Salvador", kind="district",
                       visibility="public")  # fmt: skip
    people = [rosa] + [
        Person.objects.create_user(f"p{n}", None, display_name=f"Vecina {n}")
        for n in range(MEMBERS - 1)
    ]
    Membership.objects.bulk_create(
        [Membership(person=p, body=body) for p in people[1:]], ignore_conflicts=True
    )
    start = timezone.now() - timedelta(days=decisions)
    with transaction.atomic():
        motions = Motion.objects.bulk_create(
            [
                Motion(
                    body=body,
                    number=n + 1,
                    title=f"Moción {n}",
                    text="Texto de la moción",
                    state="adopted" if n % 3 else "rejected",
                    author=rosa,
                    created_at=start + timedelta(days=n),
                )  # fmt: skip
                for n in range(0, decisions, 2)
            ],
            batch_size=2000,
        )
        polls = []
        for n in range(decisions):
            yes = 20 if n % 3 else 8
            opened = start + timedelta(days=n)
            polls.append(
                Poll(
                    body=body,
                    motion=motions[n // 2] if n % 2 == 0 else None,
                    title=f"Votación {n}",
                    secrecy="named" if n % 3 == 0 else "secret",
                    state="closed",
                    quorum_percent=50,
                    majority="simple",
                    electorate_size=MEMBERS,
                    opened_by=rosa,
                    opened_at=opened,
                    closed_at=opened + timedelta(hours=2),
                    result={
                        "yes": str(yes),
                        "no": str(30 - yes - 2),
                        "abstain": "2",
                        "electorate": str(MEMBERS),
                        "adopted": yes > 14,
                        "quorum_met": True,
                    },  # fmt: skip
                )
            )
        polls = Poll.objects.bulk_create(polls, batch_size=2000)
        ballots = []
        for poll in polls:
            for i, person in enumerate(people):
                choice = "yes" if i < int(poll.result["yes"]) else "no"
                named = poll.secrecy == "named"
                ballots.append(Ballot(poll=poll, choice=choice, voter=person if named else None))
            if len(ballots) > 20_000:
                Ballot.objects.bulk_create(ballots, batch_size=5000)
                ballots = []
        Ballot.objects.bulk_create(ballots, batch_size=5000)
        head = LedgerEntry.objects.filter(chain=body.ledger_chain).order_by("-seq").first()
        seq, prev = head.seq, head.hash
        entries = []
        for poll in polls:
            seq += 1
            at = poll.closed_at.isoformat(timespec="seconds")
            payload = {"poll": poll.pk, "by": rosa.pk, "result": poll.result}
            digest = entry_hash(seq, "poll.closed", at, payload, prev)
            entries.append(LedgerEntry(chain=body.ledger_chain, seq=seq, kind="poll.closed",
                                       at=at, payload=canonical_json(payload), prev_hash=prev,
                                       hash=digest))  # fmt: skip
            prev = digest
        LedgerEntry.objects.bulk_create(entries, batch_size=2000)
    return body, people


def measure(client: Any, label: str, url: str, repeat: int, **headers: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, **headers)  # warm: templates, the connection
    times, cpu, sql = [], [], []
    for _ in range(repeat):
        began, began_cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **headers)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    median, worst = statistics.median(times), max(times)
    verdict = "met" if median < 100 else "MISSED"
    print(f"{label:<42} median {median:6.1f} ms (CPU {statistics.median(cpu):5.1f}, "
          f"SQL {statistics.median(sql):5.1f}) "
          f"worst {worst:6.1f} ms  "
          f"{len(queries):2d} queries  {len(response.content) // 1024:4d} KB  "
          f"< 100 ms: {verdict}", flush=True)  # fmt: skip


def api_reads(client: Any, body: Any, person: Any, repeat: int) -> None:
    """The REST API's reads of the same body (docs/api.md): JSON pages of 50."""
    from asamblea.api.actions import token_create
    from asamblea.voting.models import Poll

    api = f"/api/bodies/{body.slug}"
    measure(client, "API: resolutions, first page", f"{api}/resolutions", repeat)
    measure(client, "API: resolutions, page 150", f"{api}/resolutions?page=150", repeat)
    filtered = "?kind=vote&since=2000-01-01&until=2100-01-01"
    measure(client, "API: resolutions, filtered", f"{api}/resolutions{filtered}", repeat)
    measure(client, "API: votes, first page", f"{api}/polls", repeat)
    named = Poll.objects.filter(body=body, secrecy=Poll.Secrecy.NAMED).order_by("-pk").first()
    assert named is not None
    measure(client, "API: a named vote (30 named ballots)", f"{api}/polls/{named.pk}", repeat)
    token = token_create(person, name="bench", scopes=["read"])[1]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    measure(client, "API: my votes (token), first page", "/api/me/votes", repeat, **auth)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    parser.add_argument("--quick", action="store_true", help="1,000 decisions")
    parser.add_argument("--repeat", type=int, default=20, help="requests per page")
    args = parser.parse_args()
    decisions = 1000 if args.quick else 10_000
    database = setup_django(args.postgres)

    from django.test import Client
    from django.urls import reverse

    from asamblea.publishing.models import Publication
    from asamblea.publishing.sources import reindex
    from asamblea.voting.actions import ballot_cast, poll_close, poll_open

    print(machine(database))
    print(f"a public assembly of {MEMBERS} members with {decisions} decisions")
    body, people = timed(
        f"setup: bulk-create {decisions} closed votes and their ledger", lambda: build(decisions)
    )
    written = timed("index the ledger into publications (sources.reindex)", lambda: reindex([body]))
    assert written == decisions, written
    slug = body.slug
    client = Client()
    measure(
        client,
        "resolutions, first page",
        reverse("publishing:resolutions", args=[slug]),
        args.repeat,
    )
    measure(
        client,
        "resolutions, page 300",
        reverse("publishing:resolutions", args=[slug]) + "?page=300",
        args.repeat,
    )
    filtered = "?kind=vote&since=2000-01-01&until=2100-01-01"
    resolutions = reverse("publishing:resolutions", args=[slug])
    measure(client, "resolutions, filtered (kind and dates)", resolutions + filtered, args.repeat)
    measure(client, "Atom feed (50 entries)", reverse("publishing:feed", args=[slug]), args.repeat)
    measure(
        client,
        "Popolo JSON, first page (50 vote events)",
        reverse("publishing:popolo", args=[slug]),
        args.repeat,
    )
    measure(client, "site-wide feed (/feed/)", "/feed/", args.repeat)
    api_reads(client, body, people[0], args.repeat)

    def close_more() -> None:
        for n in range(100):
            poll = poll_open(people[0], body, title=f"Más {n}", quorum_percent=0)
            ballot_cast(people[1], poll, choice="yes")
            poll_close(people[0], poll)

    timed("close 100 more votes through poll_close (each indexed)", close_more)
    assert Publication.objects.filter(body=body).count() == decisions + 100
    print(json.dumps({"decisions": decisions + 100, "database": database}))


if __name__ == "__main__":
    main()
