"""An insider with the database rewrites history: ``verify-ledger`` must notice.

Each test plays what someone with write access to the database would do — edit an entry and
recompute every hash after it so that the chain verifies, delete the last entry, change a
stored result and ballots — and checks that the anchors in affiliated bodies' ledgers, a heads
file saved earlier, or the recount from the stored ballots give it away.
"""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from asamblea.coordination.anchoring import ANCHOR, anchor_due
from asamblea.elections import actions as elections
from asamblea.ledger.actions import chain_head, verify_chain
from asamblea.ledger.chain import canonical_json, entry_hash
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import make_cast, make_federation_cast
from asamblea.voting.actions import (
    ballot_cast,
    poll_close,
    poll_close_without_count,
    poll_open,
)
from asamblea.voting.models import Ballot, HandCount, Poll

pytestmark = pytest.mark.django_db


def verify(*args: str) -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("verify_ledger", *args, stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def rewrite_from(chain: str, seq: int, change: dict) -> None:
    """What an insider does: change entry ``seq``'s payload and recompute every hash after it,
    so that the chain on its own verifies again."""
    rows = list(LedgerEntry.objects.filter(chain=chain, seq__gte=seq).order_by("seq"))
    prev = LedgerEntry.objects.get(chain=chain, seq=seq - 1).hash if seq > 1 else "0" * 64
    for row in rows:
        payload = json.loads(row.payload)
        if row.seq == seq:
            payload.update(change)
        row.payload = canonical_json(payload)
        row.prev_hash = prev
        row.hash = entry_hash(row.seq, row.kind, row.at, payload, prev)
        prev = row.hash
    LedgerEntry.objects.filter(pk__in=[r.pk for r in rows]).delete()  # hash is unique
    LedgerEntry.objects.bulk_create(rows)
    assert verify_chain(chain).ok


def closed_named_poll(cast, voters_choices):
    poll = poll_open(cast.alice, cast.north, title="Huelga", secrecy=Poll.Secrecy.NAMED)
    for person, choice in voters_choices:
        ballot_cast(person, poll, choice=choice)
    return poll_close(cast.alice, poll)


@pytest.fixture
def federation(django_capture_on_commit_callbacks):
    cast = make_federation_cast()
    with django_capture_on_commit_callbacks(execute=True):
        closed_named_poll(cast, [(cast.alice, "yes"), (cast.bob, "yes"), (cast.carol, "no")])
    return cast


def test_closing_a_vote_anchors_heads_in_both_directions(federation):
    north, fed = federation.north.ledger_chain, federation.federation.ledger_chain
    own = LedgerEntry.objects.filter(chain=north, kind=ANCHOR).last()
    assert own is not None
    assert fed in {h["chain"] for h in json.loads(own.payload)["heads"]}
    theirs = LedgerEntry.objects.filter(chain=fed, kind=ANCHOR).last()
    assert json.loads(theirs.payload)["heads"] == [
        {"chain": north, "length": chain_head(north).length, "hash": chain_head(north).hash}
    ]
    assert verify()[0]


def test_an_untouched_ledger_with_closed_votes_and_elections_verifies(federation):
    election = elections.election_create(
        federation.alice, federation.north, title="Junta", method="schulze", secrecy="secret"
    )
    elections.nominate(federation.carol, election)
    elections.nominate(federation.bob, election)
    election = elections.voting_open(federation.alice, election)
    elections.ballot_cast(federation.carol, election, form={"rank_0": ["1"], "rank_1": ["2"]})
    elections.election_close(federation.alice, election)
    ok, out = verify()
    assert ok, out
    assert "2 closed votes, elections and consultations recounted" in out


def test_rewriting_an_entry_and_recomputing_the_chain_is_caught_by_the_anchors(federation):
    north = federation.north.ledger_chain
    closed = LedgerEntry.objects.get(chain=north, kind="poll.closed")
    rewrite_from(north, closed.seq, {"by": None})
    ok, out = verify("--no-recount")
    assert not ok
    assert f"BROKEN  {north}: against the anchor in {federation.federation.ledger_chain}" in out
    assert f"rewritten at or before entry {chain_head(north).length}" in out


def test_deleting_the_last_entry_is_caught_by_the_anchors(federation):
    north = federation.north.ledger_chain
    LedgerEntry.objects.filter(chain=north).order_by("-seq").first().delete()
    assert verify_chain(north).ok
    ok, out = verify("--no-recount")
    assert not ok
    assert "entries were deleted" in out


@pytest.fixture
def lone_body_heads(tmp_path):
    """A body with no affiliations (nothing anchors it) and a heads file saved from its page."""
    cast = make_cast()
    closed_named_poll(cast, [(cast.alice, "yes"), (cast.bob, "yes"), (cast.carol, "no")])
    client = Client()
    client.force_login(cast.bob)
    response = client.get(reverse("bodies:ledger_heads", args=[cast.north.slug]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    path = tmp_path / "heads.json"
    path.write_bytes(response.content)
    return cast, path


def test_a_saved_heads_file_catches_a_rewrite_nothing_else_would(lone_body_heads):
    cast, path = lone_body_heads
    north = cast.north.ledger_chain
    assert verify("--heads", str(path))[0]
    closed = LedgerEntry.objects.get(chain=north, kind="poll.closed")
    rewrite_from(north, closed.seq, {"by": None})
    assert verify("--no-recount")[0], "without the heads file the rewrite goes unseen"
    ok, out = verify("--no-recount", "--heads", str(path))
    assert not ok
    assert f"BROKEN  {north}: against the heads file" in out


def test_a_saved_heads_file_catches_a_deleted_last_entry(lone_body_heads):
    cast, path = lone_body_heads
    LedgerEntry.objects.filter(chain=cast.north.ledger_chain).order_by("-seq").first().delete()
    ok, out = verify("--no-recount", "--heads", str(path))
    assert not ok
    assert "entries were deleted" in out


def test_a_heads_file_still_holds_after_the_chain_grows(lone_body_heads):
    cast, path = lone_body_heads
    closed_named_poll(cast, [(cast.bob, "no")])
    ok, out = verify("--heads", str(path))
    assert ok, out


@pytest.mark.parametrize("content", ["not json", '{"format": "other"}', '{"format": 1}'])
def test_a_bad_heads_file_is_refused_clearly(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content)
    ok, out = verify("--heads", str(path))
    assert not ok and "cannot read the heads file" in out
    ok, out = verify("--heads", str(tmp_path / "missing.json"))
    assert not ok and "cannot read the heads file" in out


def test_changing_a_result_and_two_ballots_is_caught_by_the_recount(lone_body_heads):
    cast, _path = lone_body_heads
    poll = Poll.objects.get(body=cast.north, state=Poll.State.CLOSED)
    # The insider turns the result around and makes two ballots agree with it.
    assert Ballot.objects.filter(poll=poll, choice="yes").update(choice="no") == 2
    changed = dict(poll.result, yes="0", no="3", adopted=False, majority_met=False)
    Poll.objects.filter(pk=poll.pk).update(result=changed)
    ok, out = verify()
    assert not ok
    assert f"MISMATCH vote {poll.pk} of body:{cast.north.pk}: the stored result differs" in out


def test_changing_ballots_alone_is_caught_by_the_recount(lone_body_heads):
    cast, _path = lone_body_heads
    poll = Poll.objects.get(body=cast.north, state=Poll.State.CLOSED)
    Ballot.objects.filter(poll=poll).update(choice="abstain")
    ok, out = verify()
    assert not ok
    assert "recount gives yes = '0', the stored result '2'" in out


def test_a_vote_closed_without_a_valid_count_recounts_clean():
    """The hand-count path's "closed without a valid count" sets adopted/quorum by decision,
    not by counting: the recount must accept it, and still check the counted figures."""
    cast = make_cast()
    poll = poll_open(cast.alice, cast.north, title="Huelga", secrecy=Poll.Secrecy.NAMED)
    ballot_cast(cast.bob, poll, choice="yes")
    HandCount.objects.create(poll=poll, yes=1, no=0, abstain=0, recorded_by=cast.alice)
    closed = poll_close_without_count(cast.alice, poll, reason="the tally sheet was lost")
    assert closed.result["valid"] is False
    ok, out = verify()
    assert ok, out
    Ballot.objects.filter(poll=poll).update(choice="no")
    assert not verify()[0]


def test_close_due_anchors_every_body_daily_but_not_on_every_run(federation):
    assert anchor_due(timezone.now() + timedelta(hours=25)) == 3  # north, south, federation
    assert anchor_due() == 0  # only anchors happened since: nothing new to anchor
    closed_named_poll(federation, [(federation.bob, "no")])
    assert anchor_due() == 1  # north recorded a close: the federation anchors its new head
    assert verify()[0]
    out = StringIO()
    call_command("close_due_polls", stdout=out)
    assert "0 ledgers anchored" in out.getvalue()


def test_the_public_pages_and_the_minutes_show_the_head(federation):
    client = Client()
    client.force_login(federation.bob)
    head = chain_head(federation.north.ledger_chain)
    for name in ("bodies:detail", "bodies:ledger"):
        page = client.get(reverse(name, args=[federation.north.slug])).content.decode()
        assert head.hash in page and "ledger/heads.json" in page
    # The anchor reads as a sentence (the person's language: Spanish by default).
    ledger = client.get(reverse("bodies:ledger", args=[federation.north.slug])).content.decode()
    assert "la huella del registro de 1 organización afiliada" in ledger


def test_the_printed_minutes_carry_the_ledger_head():
    import re
    import zlib

    from asamblea.ledger.chain import Head
    from asamblea.meetings import minutes_pdf

    head = Head("body:7", 42, "ab" * 32)
    printed = minutes_pdf.render({"title": "Junio"}, "", head)
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", printed, re.DOTALL)
    text = b"".join(_inflate(zlib, s) for s in streams)
    assert head.hash.encode() in text
    assert b"42" in text


def _inflate(zlib, data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return data


def test_heads_file_round_trips():
    from asamblea.ledger.chain import Head, heads_document, parse_heads

    heads = [Head("body:1", 3, "0f" * 32)]
    assert parse_heads(json.dumps(heads_document(heads, site="x"))) == heads


def test_a_closed_consultation_is_recounted_from_the_assemblies_results():
    from asamblea.coordination.actions import consultation_close
    from asamblea.coordination.models import Consultation
    from asamblea.testing import coordination_scene, join, make_person

    cast = make_cast()
    dave = make_person("dave")
    join(dave, cast.north)
    consultation = coordination_scene(cast, delegate=dave)["consultation"]
    consultation_close(None, consultation)
    ok, out = verify()
    assert ok, out
    consultation.refresh_from_db()
    changed = dict(consultation.result, total=dict(consultation.result["total"], adopted=True))
    Consultation.objects.filter(pk=consultation.pk).update(result=changed)
    ok, out = verify()
    assert not ok
    assert f"MISMATCH consultation {consultation.pk}" in out
