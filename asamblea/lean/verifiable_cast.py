"""Encrypted ballots at load: ``POST /b/<slug>/p/<poll>/verifiable/cast/`` (a verifiable poll)
and ``/b/<slug>/e/<election>/verifiable/cast/`` (a verifiable election), the addresses the vote
page's script posts to, served by the lean app, beside Django's view of the same address
(:func:`asamblea.verifiable.views.cast`, which answers it under WSGI and on the test server).

A request goes through three stages, each taking whatever has arrived meanwhile:

1. **admission** (one reader thread with its own connection, a batch at a time): who is asking
   (Django's session, :mod:`asamblea.lean.session`), whether they may see the poll and are in
   its electorate, the ``ballot_cast`` rate limit (the counter of every cast route), and the
   vote's phase — in the order and with the answers of Django's view, so nobody spends the
   server's verification time without being an eligible, rate-limited voter;
2. **verification** on a pool of threads sized to the cores: ``core.ballot.verify`` (shape,
   group membership of every point, every proof, the signature) through
   :func:`asamblea.verifiable.actions.ballot_verified`. libsodium's calls go through ctypes,
   which lets go of the interpreter lock, so the pool's threads use every core while the event
   loop keeps reading requests;
3. **group commit** (one writer thread): the verified ballots of each vote appended in one
   transaction under one lock of the vote's row by
   :func:`asamblea.verifiable.actions.ballots_append`, which refuses a credential that is not
   the caster's own and a replayed ballot; each request is answered only after that commit.

Nothing is stored for a request that got an error: a request that waited too long is told
``503`` (with ``Retry-After``) only while its ballot is still queued, and the writer then skips
it; once the writer has taken it, the request waits for the commit's outcome. A full queue or a
failed batch answers ``503`` with ``Retry-After``, never a 500. The answers are those of Django's
view: ``{"tracker", "index", "head"}``, or ``{"error": {"code", "message"}}`` with its status.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from asamblea import ratelimit
from asamblea.accounts.models import Person
from asamblea.bodies.queries import can_view
from asamblea.elections.models import Election
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.lean import answers, csrf, session
from asamblea.lean.casts import retrying, unavailable
from asamblea.lean.commit import CAST_TIMEOUT, Committer, Unavailable, drop_connection
from asamblea.verifiable import actions, queries
from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.models import Record, VerifiableVote
from asamblea.verifiable.subjects import Subject
from asamblea.voting import casting
from asamblea.voting.models import Poll

PATH = re.compile(r"^/b/([-a-zA-Z0-9_]+)/(p|e)/([0-9]{1,12})/verifiable/cast/$")
MAX_BODY = 256 * 1024  # as Django's view (asamblea.verifiable.views.MAX_BODY)
log = logging.getLogger(__name__)

MAX_QUEUED = 4000  # ballots admitted or being verified, per process, before 503


def _not_found() -> Refused:
    return Refused(_("There is no vote at this address."), code="not_found", status=404)


def _bad_json() -> Refused:
    return Refused(_("This request is not valid JSON."), code="bad_json")


@dataclass
class Asked:
    """A request to admit: who (session key), which vote (the body's slug, "poll" or
    "election", its id), and whether its body was readable."""

    session_key: str
    slug: str
    kind: str
    pk: int
    readable: bool

    @property
    def names(self) -> tuple[str, str, int]:
        return (self.slug, self.kind, self.pk)


@dataclass
class Admitted:
    """An eligible, rate-limited voter of an open vote, and what the ballot is checked against."""

    person_id: int
    vote: VerifiableVote
    election: B.Election | None
    language: str


@dataclass
class ToStore:
    """A verified ballot waiting for the writer. ``state`` goes from "queued" to "taken" (by the
    writer) or "dropped" (its request was answered 503 first); :data:`_CLAIMS` guards it."""

    admitted: Admitted
    ballot: dict[str, Any]
    state: str = field(default="queued")


_CLAIMS = threading.Lock()


def _claim(item: ToStore, state: str) -> bool:
    """Move ``item`` from "queued" to ``state``; False if someone else moved it first."""
    with _CLAIMS:
        if item.state != "queued":
            return False
        item.state = state
        return True


# ---------------------------------------------------------------------------------------------
# Admission: a batch of requests on the reader's connection


OPEN_VOTES_FOR = 1.0  # seconds an open vote's rows are reused by the next batches


def subject_of(slug: str, kind: str, pk: int) -> Subject | None:
    """The verifiable poll (``kind`` "poll") or election at this address, as the view's."""
    if kind == "election":
        election = (
            Election.objects.select_related("body")
            .filter(body__slug=slug, pk=pk, secrecy=Election.Secrecy.VERIFIABLE)
            .first()
        )
        return Subject(election=election) if election is not None else None
    poll = (
        Poll.objects.select_related("body")
        .filter(body__slug=slug, pk=pk, secrecy=Poll.Secrecy.VERIFIABLE)
        .first()
    )
    return Subject(poll=poll) if poll is not None else None


Found = tuple[Subject | None, VerifiableVote | None]


class OpenVotes:
    """The poll's (or election's) and the vote's rows of open votes, read once a second rather
    than once a batch (the reader's thread only). Only a vote open for voting before its
    closing time is kept; the writer checks the phase again under the vote's lock, so a vote
    closed meanwhile refuses the ballot there ("Voting is closed.")."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, int], tuple[float, Subject, VerifiableVote]] = {}

    def get(self, names: tuple[str, str, int]) -> Found:
        now = time.monotonic()
        kept = self.rows.get(names)
        if kept is not None and kept[0] > now and not kept[1].is_past_closing_time():
            return kept[1], kept[2]
        subject = subject_of(*names)
        vote = queries.vote_of(subject) if subject is not None else None
        if vote is not None:
            vote = actions.close_if_due(vote)  # as the view's _require_vote
        if len(self.rows) > 256:
            self.rows.clear()
        if subject is not None and vote is not None and vote.phase == VerifiableVote.Phase.OPEN:
            self.rows[names] = (now + OPEN_VOTES_FOR, subject, vote)
        else:
            self.rows.pop(names, None)
        return subject, vote


def admit(items: Sequence[Asked], open_votes: OpenVotes | None = None) -> list[Admitted | Refused]:
    """Stage 1 for a batch, in the order of checks of Django's view: the poll (404 for whoever
    may not see it and is not in its electorate), logged in, in the electorate, a readable
    body, the rate limit, a vote whose ballot box is open."""
    open_votes = open_votes if open_votes is not None else OpenVotes()
    dialect = casting.django_dialect()
    visitors = casting.run_plan(session.visitors_plan([i.session_key for i in items], dialect))
    found = {names: open_votes.get(names) for names in {i.names for i in items}}
    people = {v.person_id for v in visitors.values()}
    eligible: dict[tuple[str, str, int], set[int]] = {}
    for names, (subject, _vote) in found.items():
        if subject is not None:
            electorate = subject.electorate().filter(person_id__in=people)
            eligible[names] = set(electorate.values_list("person_id", flat=True))
    results: list[Admitted | Refused | None] = [None] * len(items)
    limited: list[int] = []
    for index, item in enumerate(items):
        subject, _vote = found[item.names]
        visitor = visitors.get(item.session_key)
        person_id = visitor.person_id if visitor is not None else None
        if subject is None:
            results[index] = _not_found()
        elif person_id not in eligible[item.names]:
            results[index] = _outsider(subject, person_id)
        elif not item.readable:
            results[index] = _bad_json()
        else:
            limited.append(index)
    verdicts = ratelimit.hit_many(
        "ballot_cast", [str(visitors[items[i].session_key].person_id) for i in limited]
    )
    for index, allowed in zip(limited, verdicts, strict=True):
        item = items[index]
        _subject, vote = found[item.names]
        visitor = visitors[item.session_key]
        if not allowed:
            results[index] = Refused(
                _("Too many attempts. Wait a minute and try again."), status=429
            )
        elif vote is None:
            results[index] = Conflict(
                _("This step is not possible at this stage of the vote."), code="wrong_phase"
            )
        elif vote.phase != VerifiableVote.Phase.OPEN:
            results[index] = Conflict(_("Voting is not open."), code="voting_closed")
        else:
            results[index] = Admitted(
                visitor.person_id, vote, queries.election(vote), visitor.language
            )
    return [r if r is not None else unavailable() for r in results]


def _outsider(subject: Subject, person_id: int | None) -> Refused:
    """Someone not in the electorate: "no such vote" if they may not see the vote either."""
    person = Person.objects.filter(pk=person_id).first() if person_id is not None else None
    if not can_view(person if person is not None else AnonymousUser(), subject.body):
        return _not_found()
    if person is None:
        return NotAllowed(_("Log in to vote."), code="login_required")
    return NotAllowed(_("You are not in the electorate of this vote."), code="not_eligible")


# ---------------------------------------------------------------------------------------------
# The group commit: verified ballots on the writer's connection


def store(items: Sequence[ToStore]) -> list[Record | Refused | Unavailable]:
    """Stage 3 for a batch: per vote, the ballots still wanted appended in one transaction."""
    results: list[Record | Refused | Unavailable] = [Unavailable() for _ in items]
    by_vote: dict[int, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        if _claim(item, "taken"):
            by_vote[item.admitted.vote.pk].append(index)
    for indexes in by_vote.values():
        vote = items[indexes[0]].admitted.vote
        casts = [(Person(pk=items[i].admitted.person_id), items[i].ballot) for i in indexes]
        try:
            stored = retrying(lambda vote=vote, casts=casts: actions.ballots_append(vote, casts))
        except Exception as exc:  # noqa: BLE001 - rolled back: this vote's ballots "try again"
            log.warning("verifiable cast batch of %d not recorded: %s", len(casts), exc)
            drop_connection()
            continue  # the other votes' transactions stand, with their answers
        for index, result in zip(indexes, stored, strict=True):
            results[index] = result
    return results


# ---------------------------------------------------------------------------------------------
# The endpoint


class VerifiableCasts:
    """The three stages of one worker process; started with the first ballot."""

    def __init__(self) -> None:
        self.reader: Committer | None = None
        self.writer: Committer | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.queued = 0  # admitted or waiting for admission or verification
        self.lock = threading.Lock()

    def _started(self) -> tuple[Committer, Committer, ThreadPoolExecutor]:
        with self.lock:
            if self.reader is None or self.writer is None or self.pool is None:
                open_votes = OpenVotes()
                self.reader = Committer(lambda items: admit(items, open_votes), writers=1)
                self.writer = Committer(store, writers=1)
                self.pool = ThreadPoolExecutor(
                    max_workers=os.cpu_count() or 2, thread_name_prefix="verify"
                )
            return self.reader, self.writer, self.pool

    def shutdown(self) -> None:
        with self.lock:
            reader, writer, pool = self.reader, self.writer, self.pool
            self.reader = self.writer = self.pool = None
        for one in (reader, writer):
            if one is not None:
                one.stop()
        if pool is not None:
            pool.shutdown(wait=True)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.shutdown)

    async def __call__(
        self, scope: dict[str, Any], receive: answers.ASGIReceive, send: answers.ASGISend
    ) -> None:
        headers = answers.headers_of(scope)
        language: str | None = None
        try:
            result, language = await self._cast(scope, receive, headers)
        except Refused as exc:
            result = exc
        await answers.send_reply(send, reply(result, language or answers.language(headers)))

    async def _cast(
        self, scope: dict[str, Any], receive: answers.ASGIReceive, headers: dict[str, str]
    ) -> tuple[Record | Refused, str | None]:
        match = PATH.match(scope.get("path", ""))
        if match is None:
            raise _not_found()
        if scope.get("method") != "POST":
            raise Refused(_("Send your ballot with POST."), code="method", status=405)
        csrf.check_host(scope, headers)
        cookies = parse_cookie(headers.get("cookie", ""))
        body = await answers.read_body(receive, MAX_BODY)
        csrf.check_csrf(scope, headers, cookies, "")
        ballot, readable = _ballot(body)
        kind = "election" if match.group(2) == "e" else "poll"
        asked = Asked(
            session.session_key(cookies), match.group(1), kind, int(match.group(3)), readable
        )
        reader, writer, pool = self._started()
        if self.queued >= MAX_QUEUED or reader.pending() + writer.pending() >= MAX_QUEUED:
            return unavailable(), None
        self.queued += 1
        try:
            async with asyncio.timeout(CAST_TIMEOUT):
                admitted = await reader.submit(asked)
                if isinstance(admitted, Unavailable):
                    return unavailable(), None
                language = _language(admitted, cookies, headers)
                if isinstance(admitted, Refused):
                    return admitted, language
                loop = asyncio.get_running_loop()
                try:
                    checked = await loop.run_in_executor(
                        pool, actions.ballot_verified, admitted.election, ballot
                    )
                except Refused as exc:
                    return exc, language
        except TimeoutError:
            return unavailable(), None
        finally:
            self.queued -= 1
        return await self._commit(writer, ToStore(admitted, checked)), language

    async def _commit(self, writer: Committer, item: ToStore) -> Record | Refused:
        """Hand the ballot to the writer; answer 503 after :data:`CAST_TIMEOUT` only if the
        writer has not taken it yet (it then skips it), else wait for the commit's outcome."""
        future = writer.submit(item)
        deadline = time.monotonic() + CAST_TIMEOUT
        while True:
            try:
                async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                    result = await asyncio.shield(future)
                break
            except TimeoutError:
                if _claim(item, "dropped"):
                    return unavailable()
                deadline = time.monotonic() + CAST_TIMEOUT  # taken: the commit is under way
        if isinstance(result, Unavailable):
            return unavailable()
        return result  # type: ignore[no-any-return]


def _ballot(body: bytes) -> tuple[object, bool]:
    """The request's ``ballot`` and whether the body was a JSON object (as the view's
    ``_body``)."""
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return None, False
    if not isinstance(data, dict):
        return None, False
    return data.get("ballot"), True


def _language(
    admitted: Admitted | Refused, cookies: dict[str, str], headers: dict[str, str]
) -> str | None:
    """The person's own language unless a language cookie is set (as the pages)."""
    if (
        isinstance(admitted, Admitted)
        and admitted.language
        and not cookies.get(settings.LANGUAGE_COOKIE_NAME)
    ):
        return admitted.language
    return None


def reply(result: Record | Refused, language: str) -> answers.Reply:
    """The answer of Django's view, in JSON."""
    headers = [("content-type", "application/json")]
    if isinstance(result, Refused):
        with translation.override(language):
            payload: dict[str, Any] = {
                "error": {"code": result.code, "message": str(result.message)}
            }
        if result.status == 503:
            headers.append(("retry-after", answers.RETRY_AFTER))
        if result.status == 405:
            headers.append(("allow", "POST"))
        status = result.status
    else:
        payload = {"tracker": result.tracker, "index": result.index, "head": result.hash}
        status = 200
    return answers.Reply(status, headers, json.dumps(payload).encode("utf-8"))
