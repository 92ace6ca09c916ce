"""Benchmark of a congress (issue 16): prints each figure and the machine.

    python bench/congress.py               # on SQLite
    python bench/congress.py --postgres    # on a fresh PostgreSQL database (the target)

A 60-paragraph program drafted by a Federation of 300 assemblies (20 voting members each):
2,000 amendments put in the assemblies, 400 of them adopted there and sent up, each backed by
one to six assemblies, so 400 amendments stand before the Federation (some in conflict, as
several touch the same paragraph). Measured, as a delegate's browser asks for them (the test
client through every middleware), each page 7 times:

1. the synopsis (paragraph, amendment, backing with member counts, conflicts, status);
2. the text with every amendment inline (word diffs, line numbers);
3. the consolidated text.

The target (issue 16): the synopsis and the inline view under 300 ms each on PostgreSQL, in a
bounded number of queries (printed here; asserted in asamblea/documents/tests/test_queries.py).
Data is seeded (``random.Random(2016)``) and built in bulk (setup, not measured). The database
is fresh: a temporary SQLite file, or ``bench_congress`` on 127.0.0.1 (dropped and created).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SEED = 2016
ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/bench_congress"
WORDS = [
    "agua",
    "tierra",
    "trabajo",
    "salario",
    "educación",
    "pública",
    "salud",
    "vivienda",
    "asamblea",
    "barrio",
    "comunidad",
    "derecho",
    "pueblo",
    "mandato",
    "revocable",
    "delegado",
    "justicia",
    "memoria",
    "territorio",
    "organización",
    "democracia",
    "participación",
    "transparencia",
    "soberanía",
    "alimentaria",
    "energía",
    "transporte",
]


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
    os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-congress-")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    if postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_congress")
            conn.execute("CREATE DATABASE bench_congress")
        os.environ["DATABASE_URL"] = PG_BENCH
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    version = connection.pg_version
    return f"PostgreSQL {version // 10000}.{version % 10000}"


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def build(rng: random.Random, assemblies: int, members: int) -> dict[str, Any]:
    """The Federation, its assemblies and members, the program and its amendments, in bulk."""
    from asamblea.accounts.models import Person
    from asamblea.bodies.models import Body, Membership
    from asamblea.coordination.actions import coordination_create
    from asamblea.coordination.models import Affiliation, Backing, Delegation, Forward
    from asamblea.documents import core
    from asamblea.documents.actions import document_create, paragraph_label
    from asamblea.documents.models import Amendment, splice_diff
    from asamblea.motions.models import Motion

    cora = Person.objects.create_user("cora", None, display_name="Cora")
    federation = coordination_create(
        cora, name="Federación", kind="regional_coordination", visibility="public"
    )
    bodies = Body.objects.bulk_create(
        [
            Body(name=f"Asamblea {a}", slug=f"asamblea-{a}", kind="district", visibility="public")
            for a in range(assemblies)
        ]
    )
    people = Person.objects.bulk_create(
        [
            Person(username=f"p{i}", display_name=f"P{i}", password="!")
            for i in range(assemblies * members)
        ],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [
            Membership(person=people[a * members + m], body=bodies[a], role="member")
            for a in range(assemblies)
            for m in range(members)
        ],
        batch_size=5000,
    )
    Affiliation.objects.bulk_create(
        [Affiliation(member=b, coordination=federation) for b in bodies], batch_size=5000
    )
    from datetime import timedelta

    from django.utils import timezone

    delegate = people[0]
    Delegation.objects.create(
        body=bodies[0],
        coordination=federation,
        person=delegate,
        term_ends=timezone.now() + timedelta(days=365),
    )
    text = "\n\n".join(
        " ".join(sentence(rng, 8, 20) for _ in range(rng.randint(2, 5))) for _ in range(60)
    )
    program = document_create(cora, federation, title="Programa", kind="program", text=text)
    base = core.initial_text(text)
    ops = ("replace", "insert_after", "delete")
    motions, rows = [], []
    numbers_by_body: dict[int, int] = {}
    for n in range(1, 2001):
        body = bodies[rng.randrange(assemblies)]
        numbers_by_body[body.pk] = numbers_by_body.get(body.pk, 0) + 1
        op = rng.choice(ops)
        i = rng.randrange(60)
        j = min(59, i + rng.choice((0, 0, 0, 1)))
        start, end = base[i].pid, base[j].pid
        markdown = ""
        if op != "delete":
            old = base[i].text.split()
            cut = rng.randrange(len(old))
            markdown = " ".join(old[:cut] + sentence(rng, 3, 8).split() + old[cut + 2 :])
        change = core.Change(core.Op(op), start, end, markdown, key=f"a{n}")
        splice = core.compile_change(base, change)
        sent = n <= 400
        motions.append(
            Motion(
                body=body,
                number=numbers_by_body[body.pk],
                title=f"Enmienda {n}",
                text=markdown or "-",
                state="adopted" if sent else "supported",
            )
        )
        rows.append((n, body, op, start, end, markdown, splice, sent))
    Motion.objects.bulk_create(motions, batch_size=2000)
    amendments = Amendment.objects.bulk_create(
        [
            Amendment(
                document=program,
                number=n,
                body=body,
                motion=motion,
                op=op,
                start=start,
                end=end if op != "insert_after" else "",
                markdown=markdown,
                base_version=1,
                splice=splice.to_json(),
                diff=splice_diff(splice),
                where=paragraph_label(base, op, start, end),
                state="adopted" if sent else "supported",
            )
            for (n, body, op, start, end, markdown, splice, sent), motion in zip(
                rows, motions, strict=True
            )
        ],
        batch_size=2000,
    )
    sent_up = [a for a in amendments if a.number <= 400]
    agenda = Motion.objects.bulk_create(
        [
            Motion(
                body=federation, number=k, title=f"Enmienda {a.number}", text="-", state="supported"
            )
            for k, a in enumerate(sent_up, 1)
        ]
    )
    forwards = Forward.objects.bulk_create(
        [
            Forward(origin_id=a.motion_id, coordination=federation, agenda_motion=m)
            for a, m in zip(sent_up, agenda, strict=True)
        ]
    )
    backings = []
    for forward, a in zip(forwards, sent_up, strict=True):
        backers = {a.body_id} | {
            bodies[rng.randrange(assemblies)].pk for _ in range(rng.randint(0, 5))
        }
        backings += [Backing(forward=forward, body_id=b) for b in backers]
    Backing.objects.bulk_create(backings, batch_size=5000)
    Amendment.objects.bulk_create(
        [
            Amendment(
                document=program,
                number=2000 + k,
                body=federation,
                motion=m,
                op=a.op,
                start=a.start,
                end=a.end,
                markdown=a.markdown,
                base_version=1,
                splice=a.splice,
                diff=a.diff,
                where=a.where,
                state="supported",
                origin=a,
            )
            for k, (a, m) in enumerate(zip(sent_up, agenda, strict=True), 1)
        ],
        batch_size=2000,
    )
    return {"federation": federation, "program": program, "delegate": delegate}


def measure(client: Any, url: str, repeat: int) -> tuple[float, float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpu = [], []
    queries = 0
    size = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 200, response.status_code
        queries, size = len(captured), len(response.content)
    return statistics.median(times), min(times), statistics.median(cpu), queries, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    database = setup_django(args.postgres)
    from django.test import Client
    from django.urls import reverse

    print(machine(database))
    rng = random.Random(SEED)
    start = time.perf_counter()
    world = build(rng, assemblies=300, members=20)
    print(
        f"setup (300 assemblies, 2,000 amendments, 400 sent up): "
        f"{time.perf_counter() - start:.1f} s"
    )
    client = Client()
    client.force_login(world["delegate"])
    slug, number = world["federation"].slug, world["program"].number
    for page in ("synopsis", "detail", "text"):
        url = reverse(f"documents:{page}", args=[slug, number])
        median, best, cpu, queries, size = measure(client, url, args.repeat)
        print(
            f"GET {page:<9} median {median * 1000:7.1f} ms  best {best * 1000:7.1f} ms  "
            f"(this process's CPU {cpu * 1000:6.1f} ms)  {queries:3d} queries  "
            f"{size / 1024:7.1f} KiB"
        )


if __name__ == "__main__":
    main()
