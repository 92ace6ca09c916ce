"""The ASGI app of the lean endpoint, :class:`LeanApp`: ``POST /cast/<poll>/`` and
``POST /cast/e/<election>/``, in every worker process beside Django (:mod:`asamblea.asgi`).

What it checks, per request and per batch: the host and the CSRF token and ``Origin``
(:mod:`asamblea.lean.csrf`); the person of Django's session cookie
(:mod:`asamblea.lean.session`); the ``ballot_cast`` rate limit; and it answers only after the
transaction holding the ballot has committed. If the database cannot be reached the answer is
``503`` with ``Retry-After``, never a 500 and never a hang.

Election ballots are answered here for the page's script (the election's own routine on a
thread: ranked ballots are few and heavier); a ballot sent without JavaScript is handed to
Django's view at the same address (:mod:`asamblea.lean.views`), which runs the same routine and
can show the ballot again with the marks kept when it is refused for its content.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from django.db import DatabaseError, connection
from django.http.cookie import parse_cookie
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from asamblea.elections.actions import ElectionReceipt
from asamblea.errors import Refused
from asamblea.lean import answers, casts, csrf, election_page, session, verifiable_cast
from asamblea.lean import pages as vote_page
from asamblea.lean.commit import (
    CAST_TIMEOUT,
    AsyncCommitter,
    Committer,
    Process,
    ProcessAsync,
    Unavailable,
    connect_postgresql,
    within,
)
from asamblea.voting import casting

log = logging.getLogger(__name__)

# On PostgreSQL, per worker: two writers, so one batch commits (a WAL flush) while the next
# gathers; one reader per kind of page, so the pages asked for while a read is out go together
# in the next one (the read's statements cost the same for one page or fifty; two readers
# halved the batches and doubled the statements per page).
WRITERS = 2
READERS = 1
# A page read waits 2 ms for company before it starts: on a quiet machine pages
# came one or two to a read (five statements each); at 256 voters at a time this raised the
# no-JS flow from 1,113 to ~1,470 flows/s and cut its p99 from 370 to ~240-280 ms.
GATHER = 0.002

PREFIX = "/cast/"
PATH = re.compile(r"^/cast/([0-9]{1,12})/$")
ELECTION_PATH = re.compile(r"^/cast/e/([0-9]{1,12})/$")
MAX_PENDING = 20_000  # ballots waiting for a writer before new ones are turned away


@dataclasses.dataclass(frozen=True)
class PageKind:
    """A page the lean app serves from a cached render: how to read a batch of its requests'
    facts, pick the variant, find the receipt to show once and render it."""

    name: str
    pattern: re.Pattern[str]
    item: Callable[[str, int], Any]
    read: Process
    read_async: ProcessAsync
    variant: Callable[..., Any]
    flash: Callable[[dict[str, str], int, Any], str | None]
    row: Callable[[Any], Any]
    render: Callable[[int, Any], str | None]


PAGE_KINDS = (
    PageKind(
        "poll",
        vote_page.VOTE_PAGE,
        vote_page.PageItem,
        vote_page.read_facts,
        vote_page.read_facts_async,
        vote_page.variant,
        vote_page.flash_receipt,
        lambda facts: facts.poll,
        vote_page.render,
    ),
    PageKind(
        "election",
        election_page.ELECTION_PAGE,
        election_page.ElectionItem,
        election_page.read_facts,
        election_page.read_facts_async,
        election_page.variant,
        election_page.flash_receipt,
        lambda facts: facts.election,
        election_page.render,
    ),
)


class LeanApp:
    """The raw ASGI app for ``/cast/``."""

    def __init__(
        self,
        process: Process = casts.process_casts,
        process_async: ProcessAsync = casts.process_casts_async,
        connect: Callable[[], Awaitable[Any]] = connect_postgresql,
        pages: Callable[..., Awaitable[None]] | None = None,
    ) -> None:
        self.pages = pages  # Django's ASGI app: no-JS election ballots, pages Django answers
        self.process = process
        self.process_async = process_async
        self.connect = connect
        self.committer: Committer | AsyncCommitter | None = None
        self.readers: dict[str, Committer | AsyncCommitter] = {}  # the pages' reads, by kind
        self.rendered = vote_page.Cache()
        self.rendering: dict[tuple[Any, ...], asyncio.Future[vote_page.Split | None]] = {}
        self.verifiable = verifiable_cast.VerifiableCasts()  # encrypted ballots

    def _committer(self) -> Committer | AsyncCommitter:
        self.committer = self._started(self.committer, self.process, self.process_async)
        return self.committer

    def _reader(self, kind: PageKind) -> Committer | AsyncCommitter:
        reader = self._started(
            self.readers.get(kind.name), kind.read, kind.read_async, tasks=READERS, gather=GATHER
        )
        self.readers[kind.name] = reader
        return reader

    def _started(
        self,
        current: Committer | AsyncCommitter | None,
        process: Process,
        aprocess: ProcessAsync,
        *,
        tasks: int = WRITERS,
        gather: float = 0.0,
    ) -> Committer | AsyncCommitter:
        if isinstance(current, AsyncCommitter) and current.loop is not asyncio.get_running_loop():
            current = None  # a new event loop (tests run one per request): start afresh
        if current is None:
            if connection.vendor == "postgresql":
                current = AsyncCommitter(aprocess, self.connect, writers=tasks, gather=gather)
            else:
                current = Committer(process, writers=1)
        return current

    async def aclose(self) -> None:
        readers, self.readers = list(self.readers.values()), {}
        committer, self.committer = self.committer, None
        for one in [committer, *readers]:
            if one is not None:
                await one.aclose()
        await self.verifiable.aclose()

    def shutdown(self) -> None:
        """Stop from outside any event loop (tests): SQLite writers are joined; PostgreSQL
        tasks have ended with their loop, which closed their connections."""
        readers, self.readers = list(self.readers.values()), {}
        committer, self.committer = self.committer, None
        for one in [committer, *readers]:
            if isinstance(one, Committer):
                one.stop()
        self.verifiable.shutdown()

    async def __call__(
        self, scope: dict[str, Any], receive: answers.ASGIReceive, send: answers.ASGISend
    ) -> None:
        if verifiable_cast.PATH.match(scope.get("path", "")):
            await self.verifiable(scope, receive, send)
            return
        headers = answers.headers_of(scope)
        for kind in PAGE_KINDS:
            if kind.pattern.match(scope.get("path", "")):
                await self._page(scope, receive, send, headers, kind)
                return
        if ELECTION_PATH.match(scope.get("path", "")):
            if answers.wants_html(headers) and self.pages is not None:
                # Without JavaScript a refused ballot must come back as the ballot page with
                # the person's marks and what to fix: Django's view renders it, running the
                # same routine (election_cast) and answering the same way otherwise.
                await self.pages(scope, receive, send)
            else:
                await self._election(scope, receive, send, headers)
            return
        poll_id, fields, result = await self._outcome(scope, receive, headers)
        page = None
        if answers.wants_html(headers) and poll_id is not None and answers.page_may_show(result):
            page = await self._vote_page(poll_id)
        reply = answers.build_reply(result, headers, fields, page, scope.get("path", ""))
        await answers.send_reply(send, reply)

    async def _page(
        self,
        scope: dict[str, Any],
        receive: answers.ASGIReceive,
        send: answers.ASGISend,
        headers: dict[str, str],
        kind: PageKind,
    ) -> None:
        """The open vote page or ballot page (:mod:`asamblea.lean.pages`,
        :mod:`asamblea.lean.election_page`), or Django's answer."""
        match = kind.pattern.match(scope.get("path", ""))
        assert match is not None
        slug, pk = match.group(1), int(match.group(2))
        cookies = parse_cookie(headers.get("cookie", ""))
        key = session.session_key(cookies)
        if not key or not vote_page.may_serve(scope, headers, cookies):
            await self._django(scope, receive, send)
            return
        try:
            reader = self._reader(kind)
            if reader.pending() > MAX_PENDING:
                raise Unavailable
            facts = await within(reader.submit(kind.item(key, pk)), CAST_TIMEOUT)
            if isinstance(facts, Unavailable):
                raise facts
        except (Unavailable, TimeoutError):
            await answers.send_reply(send, busy_page())
            return
        variant = None if facts is None else kind.variant(facts, slug, cookies, headers)
        if facts is None or variant is None:
            await self._django(scope, receive, send)
            return
        receipt = kind.flash(cookies, pk, facts)
        if receipt is not None:
            variant = dataclasses.replace(variant, receipt=True)
        row = kind.row(facts)
        try:
            html = await self._rendered(kind, row.values, pk, variant)
        except Exception:  # noqa: BLE001 - Django's page, with Django's answer to the failure
            log.warning("%s page %s not rendered", kind.name, pk, exc_info=True)
            html = None
        if html is None:
            await self._django(scope, receive, send)
            return
        secret = vote_page.csrf_secret(cookies)
        assert secret is not None
        body = vote_page.fill(
            html, facts, vote_page.masked_token(secret), receipt, variant.language
        )
        status, out, content = vote_page.response(
            body,
            secret,
            variant.language,
            headers,
            scope.get("path", ""),
            forget_flash=receipt_flash_sent(cookies),
        )
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": content})

    async def _rendered(
        self, kind: PageKind, values: tuple[Any, ...], pk: int, variant: Any
    ) -> vote_page.Split | None:
        """The page rendered for this row and variant: from the cache, else rendered once on a
        thread however many requests wait for it."""
        key = (kind.name, values, variant)
        html = self.rendered.get(key)
        if html is not None:
            return html
        waiting = self.rendering.get(key)
        if waiting is not None:
            return await asyncio.shield(waiting)
        future: asyncio.Future[vote_page.Split | None] = asyncio.get_running_loop().create_future()
        self.rendering[key] = future
        try:
            rendered = await asyncio.to_thread(_render_on_thread, kind.render, pk, variant)
            html = None if rendered is None else vote_page.split(rendered)
            if html is not None:
                self.rendered.put(key, html)
            future.set_result(html)
        except Exception as exc:
            future.set_exception(exc)
            raise
        finally:
            del self.rendering[key]
        return html

    async def _django(
        self, scope: dict[str, Any], receive: answers.ASGIReceive, send: answers.ASGISend
    ) -> None:
        if self.pages is None:
            reply = answers.Reply(404, [("content-type", "text/plain; charset=utf-8")], b"")
            await answers.send_reply(send, reply)
            return
        await self.pages(scope, receive, send)

    async def _outcome(
        self, scope: dict[str, Any], receive: answers.ASGIReceive, headers: dict[str, str]
    ) -> tuple[int | None, dict[str, str], casting.CastReceipt | Refused]:
        """The poll asked for (None if the address names none), the submitted fields, and
        the receipt of the stored ballot or the refusal."""
        match = PATH.match(scope.get("path", ""))
        poll_id = int(match.group(1)) if match else None
        fields: dict[str, str] = {}
        try:
            item, fields = await self._read(scope, receive, headers)
            committer = self._committer()
            if committer.pending() > MAX_PENDING:
                raise Unavailable
            result = await within(committer.submit(item), CAST_TIMEOUT)
        except Refused as exc:
            return poll_id, fields, exc
        except (Unavailable, TimeoutError):
            return poll_id, fields, casts.unavailable()
        return poll_id, fields, casts.outcome_result(result)

    async def _read(
        self, scope: dict[str, Any], receive: answers.ASGIReceive, headers: dict[str, str]
    ) -> tuple[casts.CastItem, dict[str, str]]:
        match = PATH.match(scope.get("path", ""))
        if match is None:
            raise Refused(_("There is no vote at this address."), code="not_found", status=404)
        if scope.get("method") != "POST":
            raise Refused(_("Send your ballot with POST."), code="method", status=405)
        csrf.check_host(scope, headers)
        cookies = parse_cookie(headers.get("cookie", ""))
        body = await answers.read_body(receive)
        content_type = headers.get("content-type", "")
        fields = answers.fields(content_type, body)
        csrf.check_csrf(scope, headers, cookies, answers.form_token(content_type, body))
        return casts.cast_item(int(match.group(1)), cookies, fields), fields

    async def _vote_page(self, poll_id: int) -> str | None:
        page = answers.VOTE_PAGES.get(poll_id)
        if page is not None:
            return page
        try:
            return await asyncio.to_thread(answers.vote_page_on_thread, poll_id)
        except Exception:  # noqa: BLE001 - no way back is a plain answer, not a failure
            log.warning("vote page of poll %s not found", poll_id, exc_info=True)
            return None

    async def _election(
        self,
        scope: dict[str, Any],
        receive: answers.ASGIReceive,
        send: answers.ASGISend,
        headers: dict[str, str],
    ) -> None:
        """An election ballot: read and checked here as a poll's ballot is, then cast by the
        election's own routine (:func:`asamblea.lean.casts.election_cast`) on a thread with
        Django's connection (one ballot, one transaction: ranked ballots are few and heavier
        than a yes or no)."""
        match = ELECTION_PATH.match(scope.get("path", ""))
        assert match is not None
        election_id = int(match.group(1))
        form: dict[str, list[str]] = {}
        result: ElectionReceipt | Refused
        try:
            if scope.get("method") != "POST":
                raise Refused(_("Send your ballot with POST."), code="method", status=405)
            csrf.check_host(scope, headers)
            cookies = parse_cookie(headers.get("cookie", ""))
            body = await answers.read_body(receive, answers.ELECTION_MAX_BODY)
            content_type = headers.get("content-type", "")
            form = answers.form_lists(content_type, body)
            csrf.check_csrf(scope, headers, cookies, answers.form_token(content_type, body))
            key = session.session_key(cookies)
            result = await asyncio.to_thread(_election_cast_on_thread, election_id, key, form)
        except Refused as exc:
            result = exc
        page = None
        if answers.wants_html(headers) and answers.page_may_show(result):
            page = await asyncio.to_thread(_election_page_on_thread, election_id)
        fields = {k: v[0] for k, v in form.items() if len(v) == 1}
        reply = answers.build_reply(result, headers, fields, page, scope.get("path", ""))
        await answers.send_reply(send, reply)


def receipt_flash_sent(cookies: dict[str, str]) -> bool:
    return vote_page.receipt_flash.COOKIE in cookies


def busy_page() -> answers.Reply:
    """``503`` with ``Retry-After``: a page that reloads by itself."""
    body = render_to_string("503.html", {"reload": True}).encode("utf-8")
    headers = [("content-type", "text/html; charset=utf-8"), ("retry-after", answers.RETRY_AFTER)]
    return answers.Reply(503, headers, body)


def _render_on_thread(
    render: Callable[[int, Any], str | None], pk: int, variant: Any
) -> str | None:
    try:
        return render(pk, variant)
    finally:
        connection.close()


def _election_cast_on_thread(
    election_id: int, session_key: str, form: dict[str, list[str]]
) -> ElectionReceipt | Refused:
    try:
        return casts.election_cast(election_id, session_key, form)
    except DatabaseError:
        return casts.unavailable()
    finally:
        connection.close()  # back to the pool: this thread may not come back soon


def _election_page_on_thread(election_id: int) -> str | None:
    try:
        return answers.election_page(election_id)
    finally:
        connection.close()
