"""What a copy of the database tells about the order of voting in a secret vote (issue 12).

    python bench/secret_leaks.py                 # 200 voters, SQLite (a temporary file)
    python bench/secret_leaks.py --postgres      # the same on a fresh PostgreSQL database
    python bench/secret_leaks.py --voters 1000

Members of one assembly vote, one by one through ``ballot_cast`` (the web form's action), in a
random order that is neither that of their ids nor its reverse; each keeps their receipt, so
the bench knows which ballot and which participation flag belong to which place in the voting
order. Then it reads the raw tables as someone holding a copy would, while the vote is open and
after it is closed, and prints for each trace the rank correlation (Kendall's tau) between
the order it gives and the order of voting: 1.00 means the trace *is* the voting order, about 0
means it says nothing. On PostgreSQL it also counts the ballots whose transaction id (``xmin``)
is shared with exactly one participation flag: each such ballot is linked to its voter.

The database is a fresh one: a temporary SQLite file, or the PostgreSQL database
``bench_secret_leaks`` (dropped and created again) on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/bench_secret_leaks"


def machine(database: str) -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.platform()}; {model}; {os.cpu_count()} cores; {database}"


def setup_django(postgres: bool) -> str:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "asamblea.settings"
    os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-secret-leaks-")
    if postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS bench_secret_leaks")
            conn.execute("CREATE DATABASE bench_secret_leaks")
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


def kendall_tau(ranks: list[int]) -> float:
    """Kendall's tau between ``ranks`` (places in the voting order, listed in the order a trace
    gives) and 0, 1, 2, ...; ties (equal keys) are broken by the trace's own listing."""
    n = len(ranks)
    if n < 2:
        return float("nan")
    concordant = sum(1 for i in range(n) for j in range(i + 1, n) if ranks[i] < ranks[j])
    pairs = n * (n - 1) // 2
    return (2 * concordant - pairs) / pairs


def rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def traces(poll: Any, place_of_person: dict[int, int], place_of_receipt: dict[str, int]) -> dict:
    """Kendall's tau of every trace, and (PostgreSQL) the ballots linked by ``xmin``."""
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    key = "ctid" if postgres else "rowid"
    found: dict[str, Any] = {}
    ballots = rows(
        f"SELECT receipt_hash FROM voting_ballot WHERE poll_id = %s ORDER BY {key}",  # noqa: S608
        [poll.pk],
    )
    found["ballots, physical order"] = kendall_tau([place_of_receipt[r] for (r,) in ballots])
    ids = rows("SELECT receipt_hash FROM voting_ballot WHERE poll_id = %s ORDER BY id", [poll.pk])
    found["ballots, id order"] = kendall_tau([place_of_receipt[r] for (r,) in ids])
    flags = rows(
        f"SELECT person_id FROM voting_eligibility WHERE poll_id = %s AND voted "  # noqa: S608
        f"ORDER BY {key}",
        [poll.pk],
    )
    found["participation flags, physical order"] = kendall_tau(
        [place_of_person[p] for (p,) in flags]
    )
    if postgres:
        by_xmin = rows(
            "SELECT receipt_hash FROM voting_ballot WHERE poll_id = %s "
            "ORDER BY xmin::text::bigint, ctid",
            [poll.pk],
        )
        found["ballots, transaction id (xmin)"] = kendall_tau(
            [place_of_receipt[r] for (r,) in by_xmin]
        )
        flag_xmin = rows(
            "SELECT person_id, xmin::text FROM voting_eligibility WHERE poll_id = %s AND voted "
            "ORDER BY xmin::text::bigint, ctid",
            [poll.pk],
        )
        found["participation flags, transaction id (xmin)"] = kendall_tau(
            [place_of_person[p] for p, _x in flag_xmin]
        )
        flags_per_xmin = Counter(x for _p, x in flag_xmin)
        ballot_xmin = rows("SELECT xmin::text FROM voting_ballot WHERE poll_id = %s", [poll.pk])
        found["ballots linked to one voter by xmin"] = sum(
            1 for (x,) in ballot_xmin if flags_per_xmin.get(x) == 1
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    parser.add_argument("--voters", type=int, default=200)
    args = parser.parse_args()
    if not 2 <= args.voters <= 5_000:
        raise SystemExit("--voters must be between 2 and 5,000")
    database = setup_django(args.postgres)

    from asamblea.bodies.actions import body_create
    from asamblea.testing import join, make_person
    from asamblea.voting.actions import ballot_cast, hash_receipt, poll_close, poll_open

    chair = make_person("chair")
    body = body_create(chair, name="Bench", kind="district", visibility="members")
    people = [make_person(f"v{i:05}") for i in range(args.voters)]
    for person in people:
        join(person, body)
    poll = poll_open(chair, body, title="Secret", secrecy="secret")
    order = random.Random(2026).sample(people, len(people))
    place_of_person, place_of_receipt = {}, {}
    for place, person in enumerate(order):
        receipt = ballot_cast(
            person, poll, choice=random.Random(place).choice(["yes", "no"])
        ).receipt
        place_of_person[person.pk] = place
        place_of_receipt[hash_receipt(receipt)] = place
    open_traces = traces(poll, place_of_person, place_of_receipt)
    poll = poll_close(chair, poll)
    closed_traces = traces(poll, place_of_person, place_of_receipt)

    print(f"{args.voters} voters, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine(database)}")
    print(f"{'trace (Kendall tau with the voting order)':<48} {'open':>8} {'closed':>8}")
    for name in open_traces:
        before, after = open_traces[name], closed_traces[name]
        if isinstance(before, int):
            print(f"{name:<48} {before:>8} {after:>8}")
        else:
            print(f"{name:<48} {before:>8.2f} {after:>8.2f}")


if __name__ == "__main__":
    main()
