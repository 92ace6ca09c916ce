"""The cast path of a verifiable poll at load (issue 15): how many encrypted ballots per second the
server accepts, each verified (every proof, group membership, signature) before it is
acknowledged, then appended to the board under the vote's lock.

    python bench/verifiable_cast.py [--ballots 2000] [--processes 2] [--batch 100] [--profile 200]

On SQLite (default, a temporary database) or PostgreSQL (``DATABASE_URL``). Ballots are
encrypted beforehand (that is the browsers' work); the figures are the server's: the core's
verification alone, then the whole cast action (``asamblea.verifiable.actions.ballot_cast``: check,
lock, append, commit) one by one, then the group commit (``ballots_cast``: ``--batch`` ballots
verified, then appended in one transaction) from one process and from ``--processes`` processes
at once. ``--profile N`` first prints the queries of a cast and a CPU profile of N casts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "asamblea.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _encrypt(job: tuple[bytes, bytes, tuple[Any, ...], str, str, int]) -> dict[str, Any]:
    from asamblea.verifiable.core import ballot as B
    from asamblea.verifiable.core import credentials

    fingerprint, public_key, shape, election_id, code, choice = job
    election = B.Election(fingerprint, public_key, tuple(B.Question(*q) for q in shape))
    picked = [[int(e == choice) for e in range(3)]]
    payload, _opening = B.encrypt(election, credentials.secret(election_id, code), picked)
    return payload


def _cast_share(
    job: tuple[int, list[tuple[int, dict[str, Any]]]],
) -> tuple[int, float, float]:
    """In a worker process: cast these ballots one by one through the action."""
    _django()
    from django.db import connection

    from asamblea.accounts.models import Person
    from asamblea.verifiable import actions
    from asamblea.verifiable.models import VerifiableVote

    vote_pk, work, batch = job
    vote = VerifiableVote.objects.select_related("poll__body").get(pk=vote_pk)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[pid for pid, _ in work])}
    c0, t0 = time.process_time(), time.perf_counter()
    if batch <= 1:
        for pid, ballot in work:
            actions.ballot_cast(people[pid], vote, ballot=ballot)
    else:
        for k in range(0, len(work), batch):
            group = [(people[pid], ballot) for pid, ballot in work[k : k + batch]]
            answers = actions.ballots_cast(vote, group)
            assert not any(isinstance(a, Exception) for a in answers), answers
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    connection.close()
    return len(work), elapsed, cpu


def _profile(vote_pk: int, work: list[tuple[int, dict[str, Any]]]) -> None:
    """cProfile (CPU) and the queries of one-by-one casts, in this process."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from asamblea.accounts.models import Person
    from asamblea.verifiable import actions
    from asamblea.verifiable.models import VerifiableVote

    vote = VerifiableVote.objects.select_related("poll__body").get(pk=vote_pk)
    people = {p.pk: p for p in Person.objects.filter(pk__in=[pid for pid, _ in work])}
    profiler = cProfile.Profile(time.process_time)
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        for pid, ballot in work:
            actions.ballot_cast(people[pid], vote, ballot=ballot)
        profiler.disable()
    print(f"queries per cast: {len(queries.captured_queries) / len(work):.1f}")
    for q in queries.captured_queries[: len(queries.captured_queries) // len(work)]:
        print("   ", q["sql"][:150])
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballots", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100, help="ballots per group commit")
    parser.add_argument("--profile", type=int, default=0, help="profile this many casts first")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["ASAMBLEA_DATA_DIR"] = tempfile.mkdtemp(prefix="asamblea-bench-")
    _django()
    from django.core.management import call_command
    from django.db import connection

    from asamblea.accounts.models import Person
    from asamblea.bodies.actions import body_create
    from asamblea.bodies.models import Membership
    from asamblea.verifiable import actions, queries
    from asamblea.verifiable.core import ballot as B
    from asamblea.verifiable.core import channel, credentials, trustees
    from asamblea.verifiable.core.encoding import hx
    from asamblea.verifiable.models import Credential, Record
    from asamblea.voting.actions import poll_open
    from asamblea.voting.models import Eligibility

    call_command("migrate", verbosity=0)
    n = args.ballots
    print(
        f"{connection.vendor}; {os.cpu_count()} cores; load average "
        f"{os.getloadavg()[0]:.1f}; {n:,} ballots",
        flush=True,
    )
    suffix = os.getpid()
    facilitator = Person.objects.create_user(f"vbench-{suffix}", "x" * 12, display_name="F")
    body = body_create(facilitator, name=f"VBench {suffix}", kind="district", visibility="public")
    voters = Person.objects.bulk_create(
        [Person(username=f"vb{suffix}-{i}", display_name=f"V{i}") for i in range(n)],
        batch_size=5000,
    )
    Membership.objects.bulk_create([Membership(person=p, body=body) for p in voters], 5000)
    poll = poll_open(facilitator, body, title="Bench", secrecy="verifiable")
    vote = actions.vote_setup(facilitator, poll, trustees=[facilitator], threshold=1)
    fingerprint = queries.fingerprint(vote)
    c, poly = trustees.derive(vote.election_id, credentials.new_code(), 1)
    key = channel.channel_key_payload(fingerprint, 1, c)
    actions.trustee_channel(facilitator, vote, channel_key=key["channel_key"], proof=key["proof"])
    actions.trustee_commit(
        facilitator, vote, commitment=trustees.commitment_payload(fingerprint, 1, poly), shares={}
    )
    actions.trustee_key(
        facilitator, vote, key=trustees.key_payload(fingerprint, 1, trustees.evaluate(poly, 1))
    )
    codes = [credentials.new_code() for _ in voters]
    Credential.objects.bulk_create(
        [
            Credential(
                vote=vote,
                person=p,
                credential=hx(credentials.public(credentials.secret(vote.election_id, code))),
            )
            for p, code in zip(voters, codes, strict=True)
        ],
        batch_size=5000,
    )
    Eligibility.objects.filter(poll=poll).update(voted=True)
    vote = actions.voting_open(facilitator, vote)
    election = queries.election(vote)
    assert election is not None
    shape = tuple((q.answers, q.min, q.max) for q in election.questions)
    jobs = [
        (fingerprint, election.public_key, shape, vote.election_id, code, i % 3)
        for i, code in enumerate(codes)
    ]
    t0 = time.perf_counter()
    with multiprocessing.Pool(args.processes) as pool:
        ballots = pool.map(_encrypt, jobs, chunksize=64)
    print(f"encrypted beforehand (the browsers' work) in {time.perf_counter() - t0:.1f} s")

    sample = ballots[: min(500, n)]
    c0, t0 = time.process_time(), time.perf_counter()
    assert all(B.verify(election, b) for b in sample)
    cpu = time.process_time() - c0
    print(
        f"core.ballot.verify alone, 1 process: {cpu / len(sample) * 1000:.2f} ms CPU per ballot "
        f"({len(sample) / (time.perf_counter() - t0):.0f} ballots/s)",
        flush=True,
    )

    pairs = list(zip([p.pk for p in voters], ballots, strict=True))
    if args.profile:
        _profile(vote.pk, pairs[: args.profile])
        pairs = pairs[args.profile :]
    third = len(pairs) // 3
    single, grouped, rest = pairs[:third], pairs[third : 2 * third], pairs[2 * third :]
    count, elapsed, cpu = _cast_share((vote.pk, single, 1))
    print(
        f"cast action one by one (verify, lock, append, commit), 1 process: {count} ballots in "
        f"{elapsed:.1f} s = {count / elapsed:.0f} ballots/s; {cpu / count * 1000:.2f} ms CPU "
        f"per ballot in the Django process (so at most {count / cpu:.0f} ballots/s per free "
        "core, the database's own work aside)",
        flush=True,
    )
    count, elapsed, cpu = _cast_share((vote.pk, grouped, args.batch))
    print(
        f"group commit (actions.ballots_cast: {args.batch} verified one by one, appended in one "
        f"transaction), 1 process: {count} ballots in {elapsed:.1f} s = "
        f"{count / elapsed:.0f} ballots/s; {cpu / count * 1000:.2f} ms CPU per ballot "
        f"(at most {count / cpu:.0f} ballots/s per free core)",
        flush=True,
    )
    shares = [(vote.pk, rest[k :: args.processes], args.batch) for k in range(args.processes)]
    connection.close()
    t0 = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        results = pool.map(_cast_share, shares)
    wall = time.perf_counter() - t0
    done = sum(r[0] for r in results)
    slowest = max(r[1] for r in results)
    cpu = sum(r[2] for r in results)
    print(
        f"group commit, {args.processes} processes at once: {done} ballots in {slowest:.1f} s "
        f"(casting; {wall:.1f} s with the processes' start) = {done / slowest:.0f} ballots/s; "
        f"{cpu / done * 1000:.2f} ms CPU per ballot; load average now {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    assert Record.objects.filter(vote=vote, kind="ballot").count() == n
    vote.refresh_from_db()
    board = queries.board(vote)
    assert board["records"][-1]["hash"] == vote.head


if __name__ == "__main__":
    main()
