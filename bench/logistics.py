"""Benchmark of the logistics matcher (issue 18): prints each figure in seconds and the machine.

    python bench/logistics.py            # 5,000 needs x 5,000 offers
    python bench/logistics.py --board    # also the board page's path on a fresh SQLite database
    python bench/logistics.py --quick    # 500 x 500, to try it out

Measured:

1. the pure matcher (:func:`asamblea.logistics.matching.suggest`) on a realistic board: six
   kinds of help, 60 districts and cities, transport on 8 routes, dates over 60 days,
   quantities of 1 to 60, 200 pairs already tried;
2. the same numbers in the worst case for it: every need and offer of one kind in one place
   (a single group), so each need searches the same open offers;
3. with ``--board``: what a facilitator's board page does, on a fresh SQLite database holding
   the 10,000 postings of a coordination of 200 assemblies: reading the open postings and what
   was already given, then the suggestions (``asamblea.logistics.queries.suggestions``), and
   the whole page through Django's test client.

Every run checks the result: no posting is given more than it holds, and every suggestion is
compatible. Data is seeded (``random.Random(2026)``).
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
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asamblea.logistics.matching import Posting, compatible, suggest  # noqa: E402

KINDS = ("lodging", "transport", "food", "medical", "legal", "money")
START = date(2027, 3, 1)


def machine() -> str:
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
        f"Python {platform.python_version()}; load average {load:.1f}"
    )


def timed(label: str, work: Callable[[], T]) -> T:
    """Run ``work``, print its wall-clock and CPU seconds, and return its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<62} {wall:8.3f} s  (CPU {cpu:7.3f} s)", flush=True)
    return result


def board(n: int, rng: random.Random, *, one_group: bool) -> tuple[list[Posting], list[Posting]]:
    places = [f"Distrito {i}" for i in range(60)]
    origins = [f"Provincia {i}" for i in range(8)]

    def posting(pk: int) -> Posting:
        starts = rng.randrange(60)
        kind = "lodging" if one_group else rng.choice(KINDS)
        return Posting(
            id=pk,
            body=rng.randrange(200),
            kind=kind,
            place="Lima" if one_group else rng.choice(places),
            origin=rng.choice(origins) if kind == "transport" else "",
            starts=START + timedelta(days=starts),
            ends=START + timedelta(days=starts + rng.randrange(8)),
            remaining=rng.randint(1, 60),
        )

    return [posting(i) for i in range(n)], [posting(n + i) for i in range(n)]


def check(needs: list[Posting], offers: list[Posting], suggestions: list[Any]) -> None:
    by_id = {p.id: p for p in needs + offers}
    given: dict[int, int] = {}
    for s in suggestions:
        assert compatible(by_id[s.need], by_id[s.offer]) and s.quantity > 0
        given[s.need] = given.get(s.need, 0) + s.quantity
        given[s.offer] = given.get(s.offer, 0) + s.quantity
    assert all(total <= by_id[pk].remaining for pk, total in given.items())


def pure(n: int) -> None:
    for one_group, label in ((False, "realistic board"), (True, "one kind in one place")):
        rng = random.Random(2026)
        needs, offers = board(n, rng, one_group=one_group)
        tried = frozenset((rng.randrange(n), n + rng.randrange(n)) for _ in range(200))
        found = timed(
            f"matcher, {n:,} needs x {n:,} offers, {label}",
            lambda needs=needs, offers=offers, tried=tried: suggest(needs, offers, tried),
        )
        check(needs, offers, found)
        met = sum(s.quantity for s in found) / sum(p.remaining for p in needs)
        print(f"    {len(found):,} suggestions; {met:.0%} of the quantity needed is met")


def on_board(n: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "asamblea.settings"
    os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-logistics-")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from asamblea.accounts.models import Person
    from asamblea.bodies.models import Body, Membership
    from asamblea.coordination.models import Affiliation
    from asamblea.logistics import models, queries

    call_command("migrate", verbosity=0)
    rng = random.Random(2026)
    coordination = Body.objects.create(name="Nación", slug="nacion", kind="national_coordination")
    assemblies = Body.objects.bulk_create(
        [Body(name=f"Asamblea {i}", slug=f"asamblea-{i}", kind="district") for i in range(200)]
    )
    Affiliation.objects.bulk_create(
        [Affiliation(member=b, coordination=coordination) for b in assemblies]
    )
    rosa = Person.objects.create_user("rosa", "a long passphrase", display_name="Rosa")
    Membership.objects.create(person=rosa, body=assemblies[0], role="facilitator")
    today = timezone.localdate()
    needs, offers = board(n, rng, one_group=False)
    models.Posting.objects.bulk_create(
        [
            models.Posting(
                coordination=coordination,
                body=assemblies[0 if p.id % 25 == 0 else p.body],
                side="need" if p.id < n else "offer",
                kind=p.kind,
                quantity=p.remaining,
                place=p.place,
                origin=p.origin,
                starts_on=today + (p.starts - START),
                ends_on=today + (p.ends - START),
            )
            for p in needs + offers
        ]
    )
    mine = [assemblies[0]]
    found = timed(
        f"suggestions for one assembly, {n:,} + {n:,} postings in SQLite",
        lambda: queries.suggestions(coordination, mine),
    )
    print(f"    {len(found):,} suggestions involve the facilitator's assembly")
    client = Client()
    client.force_login(rosa)
    url = reverse("logistics:board", args=[coordination.slug])
    response = timed("the board page (GET, the facilitator's whole page)", lambda: client.get(url))
    assert response.status_code == 200, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--board", action="store_true")
    args = parser.parse_args()
    n = 500 if args.quick else 5_000
    print(machine())
    pure(n)
    if args.board:
        on_board(n)


if __name__ == "__main__":
    main()
