"""No voter data in SQL text (issue 12.1). PostgreSQL shows a statement's text to anyone who
reads ``pg_stat_activity`` and writes it to its log on a lock wait, a slow statement or an
error; so every value of a cast — the voter's id, name, choice, receipt, ranking — must travel
as a bound parameter, on every path: the vote page's form (the lean endpoint's routine, as
Django serves it), the old form address, the lean ASGI app, and election ballots.

Every statement text handed to the driver is captured: on PostgreSQL where psycopg builds the
text it sends (with client-side binding that text has the values merged in), on SQLite where
Django hands it to the sqlite3 module (which binds separately). Both hooks are on classes, so
the lean endpoint's writer threads and connections are captured too.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from asamblea.elections.models import ElectionBallot
from asamblea.elections.tests.election_helpers import voting_election
from asamblea.lean.app import LeanApp
from asamblea.testing import cast_receipt, join, make_cast, make_person
from asamblea.voting.casting import hash_receipt
from asamblea.voting.models import Ballot
from tests.lean_client import call, choice_body, csrf_pair, request_scope

pytestmark = pytest.mark.django_db(transaction=True)

# Voters whose id and name cannot turn up in SQL text by chance.
VOTERS = {
    "zacarias": 970013571,
    "yupanqui": 970013572,
    "xochitl": 970013573,
    "wayra": 970013574,
    "valentina": 970013575,
}


@contextmanager
def statements():
    """Every SQL text sent to the database while the block runs, from any thread."""
    sent: list[str] = []
    if connection.vendor == "postgresql":
        from psycopg import _queries

        def recording(original):
            def convert(self, query, vars):
                original(self, query, vars)
                sent.append(bytes(self.query).decode("utf-8", "replace"))

            return convert

        with (
            mock.patch.object(
                _queries.PostgresQuery, "convert", recording(_queries.PostgresQuery.convert)
            ),
            mock.patch.object(
                _queries.PostgresClientQuery,
                "convert",
                recording(_queries.PostgresClientQuery.convert),
            ),
        ):
            yield sent
    else:
        from django.db.backends.sqlite3.base import SQLiteCursorWrapper

        def recording(original):
            def execute(self, query, *args):
                sent.append(query)
                return original(self, query, *args)

            return execute

        with (
            mock.patch.object(
                SQLiteCursorWrapper, "execute", recording(SQLiteCursorWrapper.execute)
            ),
            mock.patch.object(
                SQLiteCursorWrapper, "executemany", recording(SQLiteCursorWrapper.executemany)
            ),
        ):
            yield sent


def voters(cast):
    people = {}
    for name, pk in VOTERS.items():
        people[name] = make_person(name, id=pk, display_name=f"{name.capitalize()} Ñusta")
        join(people[name], cast.north)
    return people


def secrets_in(text: str, needles: list[str]) -> list[str]:
    return [n for n in needles if n and re.search(re.escape(n), text, re.IGNORECASE)]


def test_no_voter_id_name_choice_receipt_or_ranking_in_any_statement_text():
    cast = make_cast()
    people = voters(cast)
    from asamblea.voting.actions import poll_open

    secret = poll_open(cast.alice, cast.north, title="Huelga", secrecy="secret")
    named = poll_open(cast.alice, cast.north, title="Marcha", secrecy="named")
    election = voting_election(cast)  # opened after the voters joined: they are electors
    needles = [str(pk) for pk in VOTERS.values()]
    needles += [p.display_name for p in people.values()] + list(VOTERS)
    app = LeanApp()
    try:
        with statements() as sent:
            # The vote page's form, as Django serves /cast/ (no JavaScript, then JavaScript).
            page = Client()
            page.force_login(people["zacarias"])
            answer = page.post(
                f"/cast/{secret.pk}/", {"choice": "abstain"}, HTTP_ACCEPT="text/html"
            )
            codes = [cast_receipt(answer)]
            page.post(f"/cast/{named.pk}/", {"choice": "abstain"}, HTTP_ACCEPT="application/json")
            # The old form address.
            old = Client()
            old.force_login(people["yupanqui"])
            url = reverse("voting:cast", args=[cast.north.slug, secret.pk])
            codes.append(cast_receipt(old.post(url, {"choice": "no"})))
            old.post(reverse("voting:cast", args=[cast.north.slug, named.pk]), {"choice": "no"})
            # The lean ASGI app.
            for name, poll in (("xochitl", secret), ("wayra", named)):
                client = Client()
                client.force_login(people[name])
                key = client.cookies["sessionid"].value
                scope = request_scope(poll.pk, session_key=key, csrf=csrf_pair())
                answer = asyncio.run(call(app, scope, choice_body("abstain")))
                assert answer.status == 200, answer.body
                codes.append(answer.body["receipt"])
            # An election ballot, ranked.
            voter = Client()
            voter.force_login(people["valentina"])
            voter.post(
                reverse("elections:cast", args=[cast.north.slug, election.pk]),
                {"rank_2": "1", "rank_0": "2", "rank_1": "3"},
            )
    finally:
        app.shutdown()
    assert Ballot.objects.filter(poll=secret).count() == 3
    assert Ballot.objects.filter(poll=named).count() == 3
    ballot = ElectionBallot.objects.get(election=election)
    receipts = list(Ballot.objects.filter(poll=secret).values_list("receipt_hash", flat=True))
    needles += [h for h in receipts if h] + [c for c in codes if c]
    needles += [ballot.content, ballot.receipt_hash or ""]
    assert len(sent) > 20  # the hook saw the casts
    leaked = {text: found for text in sent if (found := secrets_in(text, needles))}
    assert not leaked, leaked
    choices = re.compile(r"'(yes|no|abstain)'", re.IGNORECASE)
    assert not [text for text in sent if choices.search(text)]


def test_the_hook_would_see_a_value_written_into_the_text():
    """The check above is only as good as its hook: a literal in the text is caught."""
    make_cast()
    with statements() as sent, connection.cursor() as cursor:
        cursor.execute("SELECT 970013571 AS id, 'abstain' AS choice")
    assert secrets_in(" ".join(sent), ["970013571"])
    assert hash_receipt("x")  # the receipts searched for are hashes of this form
