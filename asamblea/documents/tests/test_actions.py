"""Documents through their actions: amending, deciding by the existing votes, sending up with
backing, merging and compromises, blocks, the final vote and the ledger."""

from __future__ import annotations

import json

import pytest

from asamblea.coordination import actions as coord
from asamblea.coordination.models import Forward
from asamblea.documents import actions
from asamblea.documents.models import Amendment, Document, DocumentVersion
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.models import LedgerEntry
from asamblea.voting.actions import ballot_cast, poll_close, poll_open

pytestmark = pytest.mark.django_db


def _adopt_in_assembly(facilitator, motion, voters):
    poll = poll_open(facilitator, motion.body, motion=motion, secrecy="named")
    for person in voters:
        ballot_cast(person, poll, choice="yes")
    return poll_close(facilitator, poll)


def _kinds(body):
    return list(LedgerEntry.objects.filter(chain=body.ledger_chain).values_list("kind", flat=True))


def test_an_assembly_amends_its_own_statement_by_its_vote(congress):
    cast = congress.cast
    doc = congress.local
    amendment = actions.amendment_submit(
        cast.bob, doc, body=cast.north, op="replace", start="p2", markdown="La educación es libre."
    )
    assert amendment.state == "supported" and amendment.where == "§2"
    _adopt_in_assembly(cast.alice, amendment.motion, [cast.bob, cast.carol])
    amendment.refresh_from_db()
    doc.refresh_from_db()
    assert amendment.state == "adopted" and doc.version == 2
    text = DocumentVersion.objects.get(document=doc, number=2).text
    assert text[1].pid == "p2" and text[1].text == "La educación es libre."
    assert "document.amendment_applied" in _kinds(cast.north)


def test_a_rejected_amendment_changes_nothing(congress):
    cast = congress.cast
    doc = congress.local
    amendment = actions.amendment_submit(
        cast.bob, doc, body=cast.north, op="delete", start="p1", end="p2"
    )
    poll = poll_open(cast.alice, cast.north, motion=amendment.motion, secrecy="named")
    ballot_cast(cast.carol, poll, choice="no")
    poll_close(cast.alice, poll)
    amendment.refresh_from_db()
    doc.refresh_from_db()
    assert amendment.state == "rejected" and doc.version == 1


def test_sent_up_amendment_arrives_with_its_backing_and_is_decided_by_the_delegates(congress):
    cast = congress.cast
    doc = congress.program
    mine = actions.amendment_submit(
        cast.bob, doc, body=cast.north, op="insert_after", start="p3", markdown="Y se cumple."
    )
    assert mine.body == cast.north and mine.state == "supported"
    with pytest.raises(Conflict):
        actions.amendment_send_up(cast.alice, mine)  # not adopted by North yet
    _adopt_in_assembly(cast.alice, mine.motion, [cast.bob, cast.carol])
    mine.refresh_from_db()
    assert mine.state == "adopted"
    doc.refresh_from_db()
    assert doc.version == 1  # an assembly's adoption does not change the coordination's text
    forward = actions.amendment_send_up(cast.alice, mine)
    assert isinstance(forward, Forward)
    arrived = Amendment.objects.get(document=doc, body=congress.federation)
    assert arrived.origin == mine and arrived.state == "supported" and arrived.author == cast.bob
    vote = coord.vote_open(congress.cora, congress.federation, arrived.motion)
    coord.delegate_cast(congress.dave, vote, cast.north, choice="yes")
    coord.delegate_cast(cast.frank, vote, cast.south, choice="yes")
    coord.vote_close(congress.cora, vote)
    arrived.refresh_from_db()
    doc.refresh_from_db()
    assert arrived.state == "adopted" and doc.version == 2
    assert [p.pid for p in doc.versions.get(number=2).text] == ["p1", "p2", "p3", "a1-1", "p4"]


def test_a_delegate_tables_an_amendment_under_their_mandate(congress):
    amendment = actions.amendment_submit(
        congress.dave,
        congress.program,
        body=congress.federation,
        op="replace",
        start="p1",
        markdown="Agua para todos.",
    )
    assert amendment.tabled_for == congress.cast.north
    assert amendment.motion.state == "supported"
    with pytest.raises(NotAllowed):
        actions.amendment_submit(
            congress.cast.oscar,
            congress.program,
            body=congress.federation,
            op="delete",
            start="p1",
        )


def test_a_contested_amendment_goes_to_a_consultation_of_every_assembly(congress):
    from datetime import timedelta

    from django.utils import timezone

    cast = congress.cast
    amendment = actions.amendment_submit(
        congress.dave, congress.program, body=congress.federation, op="delete", start="p3"
    )
    consultation = coord.consultation_open(
        congress.cora,
        congress.federation,
        amendment.motion,
        rule="majority_of_bodies",
        deadline=timezone.now() + timedelta(days=2),
    )
    amendment.refresh_from_db()
    assert amendment.state == "voting"
    for row in consultation.rows.select_related("body"):
        facilitator = cast.alice if row.body == cast.north else cast.frank
        coord.consultation_record(
            facilitator, row, means="hands", yes=1, no=0, abstain=0, present=1
        )
    coord.consultation_close(congress.cora, consultation)
    amendment.refresh_from_db()
    assert amendment.state == "adopted"
    congress.program.refresh_from_db()
    assert [p.pid for p in actions.current_text(congress.program)] == ["p1", "p2", "p4"]


def test_conflicts_a_compromise_the_authors_accept_and_the_final_vote(congress):
    cast = congress.cast
    doc = congress.local
    first = actions.amendment_submit(
        cast.bob, doc, body=cast.north, op="replace", start="p3", markdown="Deciden todas."
    )
    second = actions.amendment_submit(cast.carol, doc, body=cast.north, op="delete", start="p3")
    with pytest.raises(Conflict):
        actions.block_create(cast.alice, doc, numbers=[first.number, second.number])
    proposal = actions.proposal_make(
        cast.alice,
        doc,
        kind="compromise",
        numbers=[first.number, second.number],
        op="replace",
        start="p3",
        markdown="Las asambleas deciden todo.",
    )
    assert proposal.state == "proposed" and proposal.motion is None
    with pytest.raises(NotAllowed):
        actions.consent_answer(cast.carol, proposal, first, accept=True)  # bob's to answer
    actions.consent_answer(cast.bob, proposal, first, accept=True)
    actions.consent_answer(cast.carol, proposal, second, accept=True)
    proposal.refresh_from_db()
    first.refresh_from_db()
    assert proposal.state == "supported" and first.state == "replaced"
    assert first.motion.state == "withdrawn"
    with pytest.raises(Conflict):
        actions.final_vote_open(cast.alice, doc)  # the compromise is not decided yet
    _adopt_in_assembly(cast.alice, proposal.motion, [cast.bob, cast.carol])
    motion = actions.final_vote_open(cast.alice, doc)
    with pytest.raises(Conflict):
        actions.amendment_submit(cast.bob, doc, body=cast.north, op="delete", start="p1")
    _adopt_in_assembly(cast.alice, motion, [cast.bob, cast.carol])
    doc.refresh_from_db()
    assert doc.state == "adopted" and doc.adopted_version == 2
    entry = LedgerEntry.objects.filter(chain=cast.north.ledger_chain, kind="document.adopted").get()
    assert json.loads(entry.payload)["hash"] == doc.adopted_hash
    assert doc.versions.get(number=2).hash == doc.adopted_hash
    with pytest.raises(Conflict) as refused:
        actions.amendment_submit(cast.bob, doc, body=cast.north, op="delete", start="p1")
    assert refused.value.code == "document_adopted"


def test_a_refused_compromise_leaves_the_amendments_standing(congress):
    cast = congress.cast
    doc = congress.local
    a = actions.amendment_submit(cast.bob, doc, body=cast.north, op="delete", start="p4")
    b = actions.amendment_submit(cast.carol, doc, body=cast.north, op="delete", start="p4")
    proposal = actions.proposal_make(
        cast.alice, doc, kind="merge", numbers=[a.number, b.number], op="delete", start="p4"
    )
    actions.consent_answer(cast.bob, proposal, a, accept=False)
    proposal.refresh_from_db()
    a.refresh_from_db()
    assert proposal.state == "refused" and a.state == "supported"


def test_a_merge_keeps_the_backing_of_both(congress):
    from asamblea.documents import queries

    cast = congress.cast
    doc = congress.program
    a = actions.amendment_submit(
        congress.dave, doc, body=congress.federation, op="delete", start="p4"
    )
    b = actions.amendment_submit(cast.frank, doc, body=congress.federation, op="delete", start="p4")
    merged = actions.proposal_make(
        congress.cora, doc, kind="merge", numbers=[a.number, b.number], op="delete", start="p4"
    )
    actions.consent_answer(congress.dave, merged, a, accept=True)
    actions.consent_answer(cast.frank, merged, b, accept=True)
    rows = {r.amendment.number: r for r in queries.rows_for(doc, congress.cora)}
    assert {x.body_id for x in rows[merged.number].backers} == {cast.north.pk, cast.south.pk}


def test_a_block_decides_its_amendments_together(congress):
    cast = congress.cast
    doc = congress.local
    a = actions.amendment_submit(cast.bob, doc, body=cast.north, op="delete", start="p1")
    b = actions.amendment_submit(
        cast.carol, doc, body=cast.north, op="insert_after", start="p4", markdown="Fin."
    )
    block = actions.block_create(cast.alice, doc, numbers=[a.number, b.number])
    _adopt_in_assembly(cast.alice, block.motion, [cast.bob, cast.carol])
    a.refresh_from_db()
    b.refresh_from_db()
    doc.refresh_from_db()
    assert a.state == b.state == "adopted" and doc.version == 3
    assert [p.pid for p in actions.current_text(doc)] == ["p2", "p3", "p4", "a2-1"]


def test_an_amendment_whose_text_changed_lapses(congress):
    cast = congress.cast
    doc = congress.local
    a = actions.amendment_submit(cast.bob, doc, body=cast.north, op="delete", start="p2")
    b = actions.amendment_submit(
        cast.carol, doc, body=cast.north, op="replace", start="p2", markdown="Otra."
    )
    _adopt_in_assembly(cast.alice, a.motion, [cast.bob, cast.carol])
    _adopt_in_assembly(cast.alice, b.motion, [cast.bob, cast.carol])
    b.refresh_from_db()
    doc.refresh_from_db()
    assert b.state == "lapsed" and doc.version == 2
    assert "document.amendment_lapsed" in _kinds(cast.north)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"op": "replace", "start": "p3", "end": "p1", "markdown": "x"}, "range_order"),
        ({"op": "replace", "start": "p99", "markdown": "x"}, "unknown_paragraph"),
        ({"op": "replace", "start": "p1", "markdown": ""}, "empty_text"),
        ({"op": "explode", "start": "p1"}, "refused"),
        ({"op": "delete", "start": "p1", "version": 7}, "stale_version"),
    ],
)
def test_bad_amendments_are_refused_and_change_nothing(congress, change, code):
    from asamblea.testing import db_state

    before = db_state()
    with pytest.raises(Refused) as refused:
        actions.amendment_submit(
            congress.cast.bob, congress.local, body=congress.cast.north, **change
        )
    assert refused.value.code == code
    assert db_state() == before


def test_outsiders_and_observers_cannot_amend_and_only_facilitators_open_documents(congress):
    cast = congress.cast
    for person in (cast.oscar, cast.olivia, cast.frank):
        with pytest.raises(NotAllowed):
            actions.amendment_submit(
                person, congress.local, body=cast.north, op="delete", start="p1"
            )
    with pytest.raises(NotAllowed):
        actions.document_create(cast.bob, cast.north, title="X", kind="other", text="Y")
    with pytest.raises(NotAllowed):
        actions.block_create(cast.bob, congress.local, numbers=[1, 2])
    assert Document.objects.count() == 2


def test_the_motion_of_an_amendment_cannot_be_edited_to_say_something_else(congress):
    from asamblea.motions.actions import motion_edit
    from asamblea.testing import db_state

    cast = congress.cast
    amendment = actions.amendment_submit(
        cast.bob, congress.local, body=cast.north, op="delete", start="p1"
    )
    before = db_state()
    with pytest.raises(Conflict) as refused:
        motion_edit(cast.bob, amendment.motion, title="Otra cosa", text="Otra cosa")
    assert refused.value.code == "carries_document"
    assert db_state() == before
