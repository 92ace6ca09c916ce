"""The open vote page, served by the lean app: ``GET /b/<body>/p/<poll>/`` for a logged-in person
who may see it, at a fraction of a Django request's cost.

The page of an open vote is the same for every voter but for a few bits: their name in the
header, their CSRF token, the progress count, and which of a few forms they get (the ballot,
"your vote is recorded", not in the electorate; the facilitator's close button), plus the
receipt shown once after a cast without JavaScript. So the page is rendered by Django's own
template once per poll state, language and variant, with markers where the per-request bits go,
and each request fills them in (:func:`fill`). The cache key holds every column of the poll row,
the body's and the motion's shown fields: any change to the poll gives a new key, in every
worker process, without any message between them.

What a request costs is a share of one batch of reads (:func:`facts_plan`): all the page
requests that arrived while the previous batch was read are answered together — their sessions
(two queries, as a cast's), the polls, the people's memberships and eligibilities, and the
progress counts (one query each) — on the lean app's own connections, like its casts.

Anything else goes to Django, which answers as always: anonymous visitors, a session with
pending messages or fresh recovery codes, a session whose hash was made with an old secret key
(Django rotates it), no valid CSRF cookie yet (Django sets one), a query string, a closed vote
or one past its closing time (Django closes it), a poll the person may not see (Django's 404),
HEAD and every other method. ``asamblea/lean/tests/test_pages.py`` compares this page with
Django's for every variant, byte for byte but the CSRF token's mask.
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape as html_escape
from types import SimpleNamespace
from typing import Any

from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.db import models
from django.http import HttpResponse
from django.middleware.csrf import CSRF_TOKEN_LENGTH
from django.middleware.gzip import GZipMiddleware
from django.template.loader import get_template
from django.utils import formats, timezone, translation
from django.utils.text import compress_string
from django.utils.translation import get_language_bidi

from asamblea.accounts.context import FRESH_CODES
from asamblea.bodies.models import Body, Membership
from asamblea.lean import csrf, session, turnout
from asamblea.lean.casts import postgresql_dialect, run_plan_async
from asamblea.lean.conf import conf
from asamblea.middleware import CONTENT_SECURITY_POLICY
from asamblea.motions.models import Motion
from asamblea.voting import casting, receipt_flash
from asamblea.voting.forms import BallotForm, ReceiptForm
from asamblea.voting.models import Eligibility, Poll

VOTE_PAGE = re.compile(r"^/b/([-a-zA-Z0-9_]+)/p/([0-9]{1,12})/$")
TEMPLATE = "voting/poll_detail.html"
CACHE_SIZE = 512  # rendered variants kept per process

# Session keys that change what Django's page shows (or what Django does on the request).
DJANGO_ONLY_SESSION_KEYS = {FRESH_CODES, SessionStorage.session_key}


@dataclass(frozen=True)
class PageItem:
    session_key: str
    poll_id: int


@dataclass(frozen=True)
class PollRow:
    """What the page shows of the poll, its body and its motion; the cache key."""

    values: tuple[Any, ...]
    slug: str
    public: bool
    body_id: int
    open: bool
    closes_at: datetime | None


@dataclass(frozen=True)
class Facts:
    """What one request's page depends on, read in its batch."""

    visitor: session.Visitor
    poll: PollRow | None
    membership: tuple[str, str] | None  # (role, status)
    eligibility: bool | None  # None: not in the electorate; else whether they voted
    progress: tuple[int, int]  # (voted, electorate)


_POLL_COLUMNS = [field.column for field in Poll._meta.concrete_fields]
_POLL_SQL = (
    "SELECT "  # noqa: S608 - table and column names from the models
    + ", ".join(f"p.{column}" for column in _POLL_COLUMNS)
    + ", b.slug, b.visibility, b.name, b.kind, b.region, m.number "
    f"FROM {Poll._meta.db_table} AS p JOIN {Body._meta.db_table} AS b ON b.id = p.body_id "
    f"LEFT JOIN {Motion._meta.db_table} AS m ON m.id = p.motion_id WHERE "
)
_STATE = _POLL_COLUMNS.index("state")
_CLOSES_AT = _POLL_COLUMNS.index("closes_at")
_BODY_ID = _POLL_COLUMNS.index("body_id")
_SECRECY = _POLL_COLUMNS.index("secrecy")


Voters = tuple[
    dict[tuple[int, int], tuple[str, str]], dict[tuple[int, int], bool], dict[int, tuple[int, int]]
]


def voters_plan(
    electorate: type[models.Model],
    column: str,
    ids: Sequence[int],
    body_ids: Sequence[int],
    person_ids: Sequence[int],
    dialect: casting.Dialect,
) -> casting.Plan[Voters]:
    """What a vote page says of its voters, for the polls' or elections' ``ids`` (``column`` of
    the ``electorate`` table: Eligibility's ``poll_id``, Elector's ``election_id``), in three
    queries: each person's membership (role, status) of each body, whether they are in the
    electorate and have voted, and the turnout of each (not asked again for a count
    :mod:`asamblea.lean.turnout` remembers)."""
    bodies, body_params = casting.among("body_id", body_ids, dialect)
    people, people_params = casting.among("person_id", person_ids, dialect)
    rows = yield (
        f"SELECT body_id, person_id, role, status FROM {Membership._meta.db_table} "  # noqa: S608
        f"WHERE {bodies} AND {people}",
        [*body_params, *people_params],
    )
    memberships = {(body, person): (role, status) for body, person, role, status in rows}
    table = electorate._meta.db_table
    among, among_params = casting.among(column, ids, dialect)
    rows = yield (
        f"SELECT {column}, person_id, voted FROM {table} "  # noqa: S608 - from the models
        f"WHERE {among} AND {people}",
        [*among_params, *people_params],
    )
    voters = {(pk, person): bool(voted) for pk, person, voted in rows}
    subject = column.removesuffix("_id")
    progress = turnout.fresh(subject, ids)
    missing = [pk for pk in ids if pk not in progress]
    if missing:
        among, among_params = casting.among(column, missing, dialect)
        rows = yield (
            f"SELECT {column}, SUM(CASE WHEN voted THEN 1 ELSE 0 END), COUNT(*) "  # noqa: S608
            f"FROM {table} WHERE {among} GROUP BY {column}",
            among_params,
        )
        counted = dict.fromkeys(missing, (0, 0))
        counted.update({pk: (int(voted or 0), int(total)) for pk, voted, total in rows})
        turnout.remember(subject, counted)
        progress.update(counted)
    return memberships, voters, progress


def facts_plan(
    items: Sequence[PageItem], dialect: casting.Dialect
) -> casting.Plan[list[Facts | None]]:
    """The facts of each request's page (None: not logged in, so Django's page)."""
    visitors = yield from session.visitors_plan([item.session_key for item in items], dialect)
    wanted = [item for item in items if item.session_key in visitors]
    if not wanted:
        return [None] * len(items)
    poll_ids = sorted({item.poll_id for item in wanted})
    person_ids = sorted({visitors[item.session_key].person_id for item in wanted})
    condition, params = casting.among("p.id", poll_ids, dialect)
    polls = {row[0]: _poll_row(row) for row in (yield (_POLL_SQL + condition, params))}
    body_ids = sorted({poll.body_id for poll in polls.values()})
    memberships: dict[tuple[int, int], tuple[str, str]] = {}
    eligibility: dict[tuple[int, int], bool] = {}
    progress: dict[int, tuple[int, int]] = {}
    if polls:
        memberships, eligibility, progress = yield from voters_plan(
            Eligibility, "poll_id", sorted(polls), body_ids, person_ids, dialect
        )
    found: list[Facts | None] = []
    for item in items:
        visitor = visitors.get(item.session_key)
        if visitor is None:
            found.append(None)
            continue
        poll = polls.get(item.poll_id)
        person = visitor.person_id
        found.append(
            Facts(
                visitor=visitor,
                poll=poll,
                membership=memberships.get((poll.body_id, person)) if poll else None,
                eligibility=eligibility.get((item.poll_id, person)),
                progress=progress.get(item.poll_id, (0, 0)),
            )
        )
    return found


def read_facts(items: Sequence[PageItem]) -> list[Facts | None]:
    """:func:`facts_plan` on Django's connection (SQLite's reader thread)."""
    return casting.run_plan(facts_plan(items, casting.django_dialect()))


async def read_facts_async(items: Sequence[PageItem], conn: Any) -> list[Facts | None]:
    """:func:`facts_plan` on an asynchronous psycopg connection (PostgreSQL)."""
    return await run_plan_async(facts_plan(items, postgresql_dialect()), conn)


def _poll_row(row: Sequence[Any]) -> PollRow:
    columns = len(_POLL_COLUMNS)
    closes_at = row[_CLOSES_AT]
    if isinstance(closes_at, str):  # SQLite hands back text
        closes_at = datetime.fromisoformat(closes_at)
    if closes_at is not None and timezone.is_naive(closes_at):
        closes_at = timezone.make_aware(closes_at, UTC)
    return PollRow(
        values=tuple(row),
        slug=str(row[columns]),
        public=row[columns + 1] == Body.Visibility.PUBLIC,
        body_id=int(row[_BODY_ID]),
        open=row[_STATE] == Poll.State.OPEN,
        closes_at=closes_at,
    )


# ---------------------------------------------------------------------------------------------
# Which page a request gets


@dataclass(frozen=True)
class Variant:
    """The few ways the open vote page differs between people (the rest is filled in)."""

    language: str
    member: bool  # an active membership of the body
    facilitator: bool
    eligibility: bool | None  # None: not in the electorate; else whether they voted
    receipt: bool  # a receipt shown once, back from a cast without JavaScript


def variant(
    facts: Facts, slug: str, cookies: dict[str, str], headers: dict[str, str]
) -> Variant | None:
    """The page's variant, or None when Django must answer (see the module's docstring)."""
    poll = facts.poll
    if poll is None or poll.slug != slug or not poll.open:
        return None
    if poll.values[_SECRECY] == Poll.Secrecy.VERIFIABLE:
        return None  # its page shows the verifiable ballot's parts (asamblea.verifiable)
    if poll.closes_at is not None and poll.closes_at <= timezone.now():
        return None  # Django's page closes it
    visitor = facts.visitor
    if not visitor.hash_current or visitor.session_keys & DJANGO_ONLY_SESSION_KEYS:
        return None
    active = facts.membership is not None and facts.membership[1] == Membership.Status.ACTIVE
    if not (poll.public or active or facts.eligibility is not None):
        return None  # Django answers 404
    facilitator = active and facts.membership is not None and facts.membership[0] == "facilitator"
    return Variant(
        language=language(cookies, headers, visitor),
        member=active,
        facilitator=facilitator,
        eligibility=facts.eligibility,
        receipt=False,
    )


def language(cookies: dict[str, str], headers: dict[str, str], visitor: session.Visitor) -> str:
    """What ``LocaleMiddleware`` then ``PersonLanguageMiddleware`` choose: the person's own
    language unless a language cookie is set, else the cookie's or the browser's."""
    if not cookies.get(conf().LANGUAGE_COOKIE_NAME):
        return visitor.language
    request = SimpleNamespace(
        COOKIES=cookies, META={"HTTP_ACCEPT_LANGUAGE": headers.get("accept-language", "")}
    )
    return translation.get_language_from_request(request)  # type: ignore[arg-type]


def may_serve(scope: dict[str, Any], headers: dict[str, str], cookies: dict[str, str]) -> bool:
    """Whether the request itself is one this page takes (before any database read)."""
    if scope.get("method") != "GET" or scope.get("query_string"):
        return False
    if csrf.good_host(scope, headers) is None:
        return False
    if CookieStorage.cookie_name in cookies:
        return False  # messages waiting: Django shows them
    return csrf_secret(cookies) is not None


def csrf_secret(cookies: dict[str, str]) -> str | None:
    """The CSRF cookie's secret, as Django's middleware reads it; None: Django must set one."""
    secret = cookies.get(conf().CSRF_COOKIE_NAME)
    if secret is None:
        return None
    if not csrf.well_formed(secret):
        return None
    return csrf.unmask(secret) if len(secret) == CSRF_TOKEN_LENGTH else secret


# ---------------------------------------------------------------------------------------------
# Rendering once, filling in per request

_MARK = secrets.token_hex(6)
NAME = f"leanname{_MARK}"
TOKEN = f"leantoken{_MARK}"
VOTED = f"leanvoted{_MARK}"
ELECTORATE = f"leanelectorate{_MARK}"
RECEIPT = f"leanreceipt{_MARK}"


class Cache:
    """Rendered pages by (poll row, variant): the least recently used goes first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.pages: OrderedDict[tuple[Any, ...], Split] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Split | None:
        with self.lock:
            html = self.pages.get(key)
            if html is not None:
                self.pages.move_to_end(key)
            return html

    def put(self, key: tuple[Any, ...], html: Split) -> None:
        with self.lock:
            self.pages[key] = html
            self.pages.move_to_end(key)
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


def render(poll_id: int, page: Variant) -> str | None:
    """Render the variant with Django's template and markers for the per-request bits, from
    the poll as it is now. None: the poll is gone or no longer open (Django answers).

    The page is cached under the poll row its request read; a change that lands between that
    read and this render is shown to the requests that read the row before the change (which
    could have seen either), and the next read has a new key."""
    poll = Poll.objects.select_related("body", "motion").filter(pk=poll_id).first()
    if poll is None or not poll.is_open:
        return None
    body = poll.body
    membership = SimpleNamespace(is_facilitator=page.facilitator) if page.member else None
    eligibility = None if page.eligibility is None else SimpleNamespace(voted=page.eligibility)
    with translation.override(page.language):
        context: dict[str, Any] = {
            # Django's context processors (settings.TEMPLATES), as a logged-in request has them
            **request_context(f"/b/{body.slug}/p/{poll.pk}/"),
            "LANGUAGES": conf().LANGUAGES,
            "LANGUAGE_CODE": translation.get_language(),
            "LANGUAGE_BIDI": get_language_bidi(),
            # the vote page's own (asamblea.voting.views.poll_detail)
            "body": body,
            "poll": poll,
            "membership": membership,
            "eligibility": eligibility,
            "progress": {"voted": VOTED, "electorate": ELECTORATE},
            "form": BallotForm(),
            "receipt_form": ReceiptForm(),
        }
        if page.receipt:
            context["just_cast"] = {"receipt": RECEIPT}
        html = get_template(TEMPLATE).render(context)
    return html


def request_context(path: str) -> dict[str, Any]:
    """What Django's context processors give a logged-in request's template, with markers for
    the person's name and CSRF token."""
    return {
        "request": SimpleNamespace(get_full_path=lambda: path),
        "user": SimpleNamespace(is_authenticated=True, is_anonymous=False, display_name=NAME),
        "messages": [],
        "csrf_token": TOKEN,
    }


def cookie_request(cookies: dict[str, str]) -> Any:
    """Enough of a request for :func:`asamblea.voting.receipt_flash.take`."""
    return SimpleNamespace(COOKIES=cookies)


@dataclass(frozen=True)
class Split:
    """A rendered page cut at its markers: the text between them (encoded once) and which
    marker comes after each piece."""

    pieces: tuple[bytes, ...]
    markers: tuple[str, ...]


_MARKERS = re.compile(f"({NAME}|{TOKEN}|{VOTED}|{ELECTORATE}|{RECEIPT})")


def split(html: str) -> Split:
    parts = _MARKERS.split(html)
    return Split(tuple(part.encode() for part in parts[0::2]), tuple(parts[1::2]))


def fill(page: Split, facts: Any, token: str, receipt: str | None, language_code: str) -> bytes:
    """The page of one request: its person's name, CSRF token, the progress, the receipt, put
    in the page's places in one pass (what a person typed is never searched for markers)."""
    thousands = conf().USE_THOUSAND_SEPARATOR
    values = {
        NAME: html_escape(facts.visitor.display_name).encode(),  # as Django's escape
        TOKEN: token.encode(),
        VOTED: localized(facts.progress[0], language_code, thousands).encode(),
        ELECTORATE: localized(facts.progress[1], language_code, thousands).encode(),
        RECEIPT: (RECEIPT if receipt is None else html_escape(receipt)).encode(),
    }
    out = [page.pieces[0]]
    for marker, piece in zip(page.markers, page.pieces[1:], strict=True):
        out.append(values[marker])
        out.append(piece)
    return b"".join(out)


@functools.lru_cache(maxsize=8192)
def localized(number: int, language_code: str, _thousands: bool) -> str:
    """A count as the template shows it in ``language_code`` (remembered: a vote's counts
    repeat from one page to the next)."""
    with translation.override(language_code):
        return str(formats.localize(number))


def flash_receipt(cookies: dict[str, str], poll_id: int, facts: Facts) -> str | None:
    """The receipt to show once (as ``poll_detail``: a fresh flash for this poll, and the
    person has voted), or None."""
    flash = receipt_flash.take(cookie_request(cookies), "poll", poll_id)
    if flash is None or not facts.eligibility or not flash["receipt"]:
        return None
    return str(flash["receipt"])


# ---------------------------------------------------------------------------------------------
# The answer, with the headers Django's middleware would add


def response(
    content: bytes,
    secret: str,
    language_code: str,
    headers: dict[str, str],
    path: str,
    forget_flash: bool,
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    vary = "Cookie, Accept-Language"
    encoding: list[tuple[bytes, bytes]] = []
    if len(content) >= 200:
        vary += ", Accept-Encoding"
        if _GZIP.search(headers.get("accept-encoding", "")):
            compressed = compress_string(content, max_random_bytes=GZipMiddleware.max_random_bytes)
            if len(compressed) < len(content):
                content = compressed
                encoding = [(b"content-encoding", b"gzip")]
    out = [
        (b"content-type", b"text/html; charset=utf-8"),
        *_STATIC_HEADERS,
        (b"vary", vary.encode()),
        (b"content-language", language_code.encode()),
        *encoding,
        (b"content-length", str(len(content)).encode()),
        # CsrfViewMiddleware: the page used the token, so the cookie is sent again (its age
        # renewed).
        (b"set-cookie", csrf_cookie(secret).encode()),
    ]
    if forget_flash:
        out.append((b"set-cookie", forget_flash_cookie(path).encode()))
    return 200, out, content


def csrf_cookie(secret: str) -> str:
    """The ``Set-Cookie`` of the CSRF cookie, as ``CsrfViewMiddleware`` writes it (Django's
    own ``set_cookie``, run once a second: only the expiry date changes)."""
    options = (
        conf().CSRF_COOKIE_NAME,
        conf().CSRF_COOKIE_AGE,
        conf().CSRF_COOKIE_DOMAIN,
        conf().CSRF_COOKIE_PATH,
        conf().CSRF_COOKIE_SECURE,
        conf().CSRF_COOKIE_HTTPONLY,
        conf().CSRF_COOKIE_SAMESITE,
    )
    return f"{options[0]}={secret}{_csrf_cookie_attributes(int(time.time()), options)}"


@functools.lru_cache(maxsize=4)
def _csrf_cookie_attributes(_second: int, options: tuple[Any, ...]) -> str:
    name, age, domain, path, secure, httponly, samesite = options
    answer = HttpResponse()
    answer.set_cookie(
        name,
        "x",
        max_age=age,
        domain=domain,
        path=path,
        secure=secure,
        httponly=httponly,
        samesite=samesite,
    )
    return answer.cookies[name].OutputString()[len(name) + 2 :]


@functools.lru_cache(maxsize=1024)
def forget_flash_cookie(path: str) -> str:
    """The ``Set-Cookie`` deleting the receipt's flash on ``path`` (``receipt_flash.forget``)."""
    answer = HttpResponse()
    answer.delete_cookie(receipt_flash.COOKIE, path=path, samesite="Lax")
    return answer.cookies[receipt_flash.COOKIE].OutputString()


_GZIP = re.compile(r"\bgzip\b")
_STATIC_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (
        b"permissions-policy",
        b"camera=(), microphone=(), geolocation=(), interest-cohort=()",
    ),
]


def masked_token(secret: str) -> str:
    """A fresh mask of the CSRF secret, as every page Django renders carries."""
    return csrf.mask(secret)
