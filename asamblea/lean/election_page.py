"""The election ballot page while voting is open, served by the lean app: ``GET
/b/<body>/e/<election>/`` for a logged-in person who may see it, as the poll's vote page is
(:mod:`asamblea.lean.pages`, whose fill-in, headers and cache it shares).

The page is the same for everyone but their name, CSRF token, the progress count, which form
they get (the ballot, "your ballot is recorded", not in the electorate, the facilitator's close
button) and the receipt shown once after a cast without JavaScript. Django's own template is
rendered once per election state, candidates on the ballot, language and variant; the cache key
holds the election's row, its body's shown fields and every candidate's row, so any change to
them gives a new key in every worker.

Django answers everything else, as for the poll page: anonymous visitors, nominations or a
closed election, a verifiable election (its page shows the verifiable ballot's parts), an
election the person may not see, pending messages, no CSRF cookie yet, a query string, HEAD.
``asamblea/lean/tests/test_election_page.py`` compares this page with Django's, byte for byte
but the CSRF token's mask.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.template.loader import get_template
from django.utils import translation
from django.utils.translation import get_language_bidi

from asamblea.bodies.models import Body, Membership
from asamblea.elections.models import Candidate, Election, Elector
from asamblea.lean import pages, session
from asamblea.lean.casts import postgresql_dialect, run_plan_async
from asamblea.voting import casting, receipt_flash
from asamblea.voting.forms import ReceiptForm

ELECTION_PAGE = re.compile(r"^/b/([-a-zA-Z0-9_]+)/e/([0-9]{1,12})/$")
TEMPLATE = "elections/election_detail.html"


@dataclass(frozen=True)
class ElectionItem:
    session_key: str
    election_id: int


@dataclass(frozen=True)
class ElectionRow:
    """What the page shows of the election, its body and its candidates; the cache key."""

    values: tuple[Any, ...]
    slug: str
    public: bool
    body_id: int
    voting: bool
    verifiable: bool  # its page shows the verifiable ballot's parts: Django's


@dataclass(frozen=True)
class ElectionFacts:
    """What one request's page depends on, read in its batch."""

    visitor: session.Visitor
    election: ElectionRow | None
    membership: tuple[str, str] | None  # (role, status)
    elector: bool | None  # None: not in the electorate; else whether they voted
    progress: tuple[int, int]  # (voted, electorate)


# Every column but the JSON ones (the result, written at closing: not shown while voting).
_COLUMNS = [
    field.column
    for field in Election._meta.concrete_fields
    if not isinstance(field, models.JSONField)
]
_SQL = (
    "SELECT "  # noqa: S608 - table and column names from the models
    + ", ".join(f"e.{column}" for column in _COLUMNS)
    + ", b.slug, b.visibility, b.name, b.kind, b.region "
    f"FROM {Election._meta.db_table} AS e JOIN {Body._meta.db_table} AS b ON b.id = e.body_id "
    "WHERE "
)
_CANDIDATE_COLUMNS = [field.column for field in Candidate._meta.concrete_fields]
_ELECTION = _CANDIDATE_COLUMNS.index("election_id")
_PHASE = _COLUMNS.index("phase")
_BODY_ID = _COLUMNS.index("body_id")
_SECRECY = _COLUMNS.index("secrecy")


def facts_plan(
    items: Sequence[ElectionItem], dialect: casting.Dialect
) -> casting.Plan[list[ElectionFacts | None]]:
    """The facts of each request's page (None: not logged in, so Django's page)."""
    visitors = yield from session.visitors_plan([item.session_key for item in items], dialect)
    wanted = [item for item in items if item.session_key in visitors]
    if not wanted:
        return [None] * len(items)
    election_ids = sorted({item.election_id for item in wanted})
    person_ids = sorted({visitors[item.session_key].person_id for item in wanted})
    condition, params = casting.among("e.id", election_ids, dialect)
    rows = list((yield (_SQL + condition, params)))
    elections: dict[int, ElectionRow] = {}
    memberships: dict[tuple[int, int], tuple[str, str]] = {}
    electors: dict[tuple[int, int], bool] = {}
    progress: dict[int, tuple[int, int]] = {}
    if rows:
        found_ids = sorted(row[0] for row in rows)
        among, among_params = casting.among("election_id", found_ids, dialect)
        candidates: dict[int, list[tuple[Any, ...]]] = {pk: [] for pk in found_ids}
        for row in (
            yield (
                f"SELECT {', '.join(_CANDIDATE_COLUMNS)} "  # noqa: S608 - from the models
                f"FROM {Candidate._meta.db_table} WHERE {among} ORDER BY id",
                among_params,
            )
        ):
            candidates[row[_ELECTION]].append(tuple(row))
        elections = {row[0]: _election_row(row, candidates[row[0]]) for row in rows}
        body_ids = sorted({election.body_id for election in elections.values()})
        memberships, electors, progress = yield from pages.voters_plan(
            Elector, "election_id", found_ids, body_ids, person_ids, dialect
        )
    answers: list[ElectionFacts | None] = []
    for item in items:
        visitor = visitors.get(item.session_key)
        if visitor is None:
            answers.append(None)
            continue
        election = elections.get(item.election_id)
        person = visitor.person_id
        answers.append(
            ElectionFacts(
                visitor=visitor,
                election=election,
                membership=memberships.get((election.body_id, person)) if election else None,
                elector=electors.get((item.election_id, person)),
                progress=progress.get(item.election_id, (0, 0)),
            )
        )
    return answers


def read_facts(items: Sequence[ElectionItem]) -> list[ElectionFacts | None]:
    """:func:`facts_plan` on Django's connection (SQLite's reader thread)."""
    return casting.run_plan(facts_plan(items, casting.django_dialect()))


async def read_facts_async(items: Sequence[ElectionItem], conn: Any) -> list[ElectionFacts | None]:
    """:func:`facts_plan` on an asynchronous psycopg connection (PostgreSQL)."""
    return await run_plan_async(facts_plan(items, postgresql_dialect()), conn)


def _election_row(row: Sequence[Any], candidates: list[tuple[Any, ...]]) -> ElectionRow:
    columns = len(_COLUMNS)
    return ElectionRow(
        values=(*(str(value) for value in row), *(str(c) for c in candidates)),
        slug=str(row[columns]),
        public=row[columns + 1] == Body.Visibility.PUBLIC,
        body_id=int(row[_BODY_ID]),
        voting=row[_PHASE] == Election.Phase.VOTING,
        verifiable=row[_SECRECY] == Election.Secrecy.VERIFIABLE,
    )


@dataclass(frozen=True)
class Variant:
    """The few ways the open ballot page differs between people (the rest is filled in)."""

    language: str
    member: bool  # an active membership of the body
    facilitator: bool
    elector: bool | None  # None: not in the electorate; else whether they voted
    receipt: bool  # a receipt shown once, back from a cast without JavaScript


def variant(
    facts: ElectionFacts, slug: str, cookies: dict[str, str], headers: dict[str, str]
) -> Variant | None:
    """The page's variant, or None when Django must answer."""
    election = facts.election
    if election is None or election.slug != slug or not election.voting:
        return None
    if election.verifiable:
        return None  # its page shows the verifiable ballot's parts (asamblea.verifiable)
    visitor = facts.visitor
    if not visitor.hash_current or visitor.session_keys & pages.DJANGO_ONLY_SESSION_KEYS:
        return None
    active = facts.membership is not None and facts.membership[1] == Membership.Status.ACTIVE
    if not (election.public or active):
        return None  # Django answers 404
    facilitator = active and facts.membership is not None and facts.membership[0] == "facilitator"
    return Variant(
        language=pages.language(cookies, headers, visitor),
        member=active,
        facilitator=facilitator,
        elector=facts.elector,
        receipt=False,
    )


def flash_receipt(cookies: dict[str, str], election_id: int, facts: ElectionFacts) -> str | None:
    """The receipt to show once (as ``election_detail``: a fresh flash for this election, and
    the person has voted), or None."""
    flash = receipt_flash.take(pages.cookie_request(cookies), "election", election_id)
    if flash is None or not facts.elector or not flash["receipt"]:
        return None
    return str(flash["receipt"])


def render(election_id: int, page: Variant) -> str | None:
    """Render the variant with Django's template and markers for the per-request bits, from
    the election as it is now (None: gone or no longer voting; Django answers). What lands
    between the batch's read and this render is as for the poll page
    (:func:`asamblea.lean.pages.render`)."""
    election = Election.objects.select_related("body").filter(pk=election_id).first()
    if election is None or not election.is_voting:
        return None
    body = election.body
    candidates = list(
        election.candidates.select_related("nominated_by").order_by("position", "name")
    )
    on_ballot = [c for c in candidates if c.on_ballot]
    membership = SimpleMembership(page.facilitator) if page.member else None
    elector = None if page.elector is None else SimpleElector(page.elector)
    with translation.override(page.language):
        context: dict[str, Any] = {
            # Django's context processors (settings.TEMPLATES), as a logged-in request has them
            **pages.request_context(f"/b/{body.slug}/e/{election.pk}/"),
            "LANGUAGES": settings.LANGUAGES,
            "LANGUAGE_CODE": translation.get_language(),
            "LANGUAGE_BIDI": get_language_bidi(),
            # the ballot page's own (asamblea.elections.views.election_detail)
            "body": body,
            "election": election,
            "membership": membership,
            "candidates": candidates,
            "on_ballot": on_ballot,
            "mine": [],  # shown while nominating only
            "elector": elector,
            "progress": {"voted": pages.VOTED, "electorate": pages.ELECTORATE},
            "receipt_form": ReceiptForm(),
            "ballot_rows": [
                {
                    "candidate": c,
                    "pos": c.position,
                    "rank": "",
                    "marked": False,
                    "score": "",
                    "stance": "consent",
                    "reason": "",
                }
                for c in on_ballot
            ],
            "rank_choices": [str(i) for i in range(1, len(on_ballot) + 1)],
            "score_choices": [str(i) for i in range(0, election.max_score + 1)],
        }
        if page.receipt:
            context["just_cast"] = {"receipt": pages.RECEIPT}
        html = get_template(TEMPLATE).render(context)
    return html


@dataclass(frozen=True)
class SimpleMembership:
    is_facilitator: bool


@dataclass(frozen=True)
class SimpleElector:
    voted: bool
