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
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from django.db import DatabaseError, connection
from django.http.cookie import parse_cookie
from django.utils.translation import gettext_lazy as _

from asamblea.elections.actions import ElectionReceipt
from asamblea.errors import Refused
from asamblea.lean import answers, casts, csrf, session
from asamblea.lean.commit import (
    CAST_TIMEOUT,
    AsyncCommitter,
    Committer,
    Process,
    ProcessAsync,
    Unavailable,
    connect_postgresql,
)
from asamblea.voting import casting

log = logging.getLogger(__name__)

PREFIX = "/cast/"
PATH = re.compile(r"^/cast/([0-9]{1,12})/$")
ELECTION_PATH = re.compile(r"^/cast/e/([0-9]{1,12})/$")
MAX_PENDING = 20_000  # ballots waiting for a writer before new ones are turned away


class LeanApp:
    """The raw ASGI app for ``/cast/``."""

    def __init__(
        self,
        process: Process = casts.process_casts,
        process_async: ProcessAsync = casts.process_casts_async,
        connect: Callable[[], Awaitable[Any]] = connect_postgresql,
        pages: Callable[..., Awaitable[None]] | None = None,
    ) -> None:
        self.pages = pages  # Django's ASGI app, for no-JS election ballots
        self.process = process
        self.process_async = process_async
        self.connect = connect
        self.committer: Committer | AsyncCommitter | None = None

    def _committer(self) -> Committer | AsyncCommitter:
        committer = self.committer
        if (
            isinstance(committer, AsyncCommitter)
            and committer.loop is not asyncio.get_running_loop()
        ):
            committer = None  # a new event loop (tests run one per request): start afresh
        if committer is None:
            if connection.vendor == "postgresql":
                committer = AsyncCommitter(self.process_async, self.connect)
            else:
                committer = Committer(self.process, writers=1)
            self.committer = committer
        return committer

    async def aclose(self) -> None:
        if self.committer is not None:
            committer, self.committer = self.committer, None
            await committer.aclose()

    def shutdown(self) -> None:
        """Stop from outside any event loop (tests): SQLite writers are joined; PostgreSQL
        tasks have ended with their loop, which closed their connections."""
        committer, self.committer = self.committer, None
        if isinstance(committer, Committer):
            committer.stop()

    async def __call__(
        self, scope: dict[str, Any], receive: answers.ASGIReceive, send: answers.ASGISend
    ) -> None:
        headers = answers.headers_of(scope)
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
            async with asyncio.timeout(CAST_TIMEOUT):
                result = await committer.submit(item)
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
