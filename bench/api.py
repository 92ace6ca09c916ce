"""Benchmark of the REST API's reads (issue 17): prints each figure and the machine.

    python bench/api.py               # on SQLite (a temporary file)
    python bench/api.py --postgres    # on a fresh PostgreSQL database on 127.0.0.1

A public assembly with 10,000 decisions (adopted motions, each decided by a closed secret vote)
and a member with a personal access token. Each read goes through Django's whole stack (the
middleware, the API's token check, problem details, ETag) with Django's test client: what a
client of the API gets, minus the network and the HTTP server. For each read: the median and
95th percentile of 50 requests, and the queries one request takes.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/bench_api"
DECISIONS = 10_000
REPEATS = 50


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
    os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-api-")
    if postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_api")
            conn.execute("CREATE DATABASE bench_api")
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


def build() -> str:
    """The assembly, its decisions and a member's token (setup: not measured)."""
    from django.utils import timezone

    from asamblea.accounts.models import Person
    from asamblea.api.actions import token_create
    from asamblea.bodies.actions import body_create
    from asamblea.bodies.models import Membership
    from asamblea.motions.models import Motion
    from asamblea.publishing.models import Publication
    from asamblea.voting.models import Eligibility, Poll

    rosa = Person.objects.create_user("rosa", None, display_name="Rosa")
    body = body_create(rosa, name="Lima Centro", kind="district", visibility="public")
    people = Person.objects.bulk_create(
        Person(username=f"m{i}", login_skeleton=f"m{i}", display_name=f"M {i}") for i in range(50)
    )
    Membership.objects.bulk_create(Membership(person=p, body=body) for p in people)
    now = timezone.now()
    motions = Motion.objects.bulk_create(
        Motion(
            body=body,
            number=n,
            title=f"Resolución {n}",
            text="Texto de la resolución " * 20,
            state=Motion.State.ADOPTED,
            author=rosa,
            created_at=now - timedelta(minutes=DECISIONS - n),
        )
        for n in range(1, DECISIONS + 1)
    )
    result = {"yes": "30", "no": "10", "abstain": "2", "cast": "42", "electorate": "51"}
    polls = Poll.objects.bulk_create(
        Poll(
            body=body,
            motion=motion,
            title=motion.title,
            state=Poll.State.CLOSED,
            quorum_percent=50,
            majority="simple",
            electorate_size=51,
            opened_at=motion.created_at,
            closed_at=motion.created_at,
            result=result | {"adopted": True, "participants": 42, "quorum_met": True},
        )
        for motion in motions
    )
    Eligibility.objects.bulk_create(Eligibility(poll=p, person=rosa, voted=True) for p in polls)
    Publication.objects.bulk_create(
        Publication(
            body=body,
            kind="motion",
            object_id=poll.pk,
            ref=n,
            title=poll.title,
            outcome="adopted",
            data=result,
            at=poll.closed_at,
            ledger_seq=n,
            ledger_hash="0" * 64,
        )
        for n, poll in enumerate(polls, start=1)
    )
    return token_create(rosa, name="bench", scopes=["read"])[1]


def measure(label: str, client, url: str, **headers: str) -> None:
    """Median and 95th percentile of the wall clock, the median CPU time of this process
    (what the request costs Python on an idle core; the database server's time is not in
    it), and the queries one request sends."""
    from django.db import connection

    response = client.get(url, **headers)
    assert response.status_code in {200, 304}, (url, response.status_code)
    sent: list[str] = []

    def count(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url, **headers)
    times, cpu = [], []
    for _ in range(REPEATS):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url, **headers)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{label:<52} median {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
        f"CPU {statistics.median(cpu):6.1f} ms  {len(sent):2d} queries",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    database = setup_django(args.postgres)
    print(machine(database), flush=True)
    from django.test import Client

    started = time.perf_counter()
    token = build()
    print(f"setup: {DECISIONS:,} decisions in {time.perf_counter() - started:.1f} s", flush=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    slug = "lima-centro"
    measure(
        "GET /api/bodies/{slug}/resolutions (first page, 50)",
        client,
        f"/api/bodies/{slug}/resolutions",
    )
    measure(
        "GET /api/bodies/{slug}/motions (first page, 50)", client, f"/api/bodies/{slug}/motions"
    )
    measure("GET /api/bodies/{slug}/polls (first page, 50)", client, f"/api/bodies/{slug}/polls")
    measure(
        "GET .../motions?state=adopted&page=100",
        client,
        f"/api/bodies/{slug}/motions?state=adopted&page=100",
    )
    measure("GET .../motions, with a token", client, f"/api/bodies/{slug}/motions", **auth)
    etag = client.get(f"/api/bodies/{slug}/motions")["ETag"]
    measure(
        "GET .../motions, If-None-Match (304)",
        client,
        f"/api/bodies/{slug}/motions",
        HTTP_IF_NONE_MATCH=etag,
    )
    measure("GET /api/bodies/{slug}", client, f"/api/bodies/{slug}")
    measure("GET /api/bodies/{slug}/motions/{number}", client, f"/api/bodies/{slug}/motions/1")
    poll = client.get(f"/api/bodies/{slug}/polls?per_page=1").json()["items"][0]["id"]
    measure("GET /api/bodies/{slug}/polls/{id}", client, f"/api/bodies/{slug}/polls/{poll}")
    measure("GET /api/me/votes (10,000 votes, first page)", client, "/api/me/votes", **auth)


if __name__ == "__main__":
    main()
