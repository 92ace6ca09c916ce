"""A verifiable consultation off its main path, through the server's pages and endpoints, each
ending with its file checked by both verifiers: an assembly with a member whose vote weight is
above 1 (and one whose count exceeds its electorate), the key ceremony restarted by a
complaint (a bad share, and a good share falsely accused), a ceremony left with fewer trustees
than the threshold, and a consultation closed by its deadline rather than by its facilitator
(``asamblea close-due``, or its page read after the deadline)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from asamblea.coordination.models import Consultation, ConsultedBody
from asamblea.ledger.actions import verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import FederationCast, join, make_person
from asamblea.verifiable.models import Record, VerifiableVote
from asamblea.verifiable.tests.play import TrusteeBrowser, VoterBrowser, post, state, url
from asamblea.verifiable.tests.test_consultation_flow import (
    assembly_vote,
    board_of,
    ceremony,
    open_consultation,
    play_assembly,
)
from asamblea.verifiable.tests.test_node_verifier import run_node
from asamblea.verifiable.verifier import Report, verify_board
from asamblea.voting.models import Eligibility, Poll


def both_verify(tmp_path: Path, board: dict[str, Any]) -> tuple[Report, dict[str, Any]]:
    """Both verifiers accept the file with the same verdict."""
    report = verify_board(board)
    (verdict,) = run_node(tmp_path, board)
    assert verdict["ok"] is True, verdict
    assert (verdict["phase"], verdict["head"]) == (report.phase, report.head)
    assert verdict["result"] == report.result
    assert verdict.get("outcome") == report.outcome
    assert verdict.get("not_counted") == report.not_counted
    return report, verdict


def south_people(fed: FederationCast) -> tuple[Any, Any]:
    sam, sue = (m.person for m in fed.south.memberships.filter(person__username__in=["sam", "sue"]))
    return sam, sue


def totals(consultation: Consultation) -> tuple[str, str, str, str]:
    total = (consultation.result or {})["total"]
    return total["yes"], total["no"], total["abstain"], total["electorate"]


# -- vote weights ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_weighing_3_is_counted_and_a_count_above_the_electorate_is_not(fed, tmp_path):
    """Alice weighs 3 in North's vote: North's weighted count (yes 4, no 1) exceeds its 3
    people but not its electorate in vote weights (3 + 2), so it is counted, by the server and
    by both verifiers. Nina joined South after the opening and votes too: South's 4 ballots of
    weight 1 exceed its electorate of 3 frozen at opening, so South is not counted, and both
    verifiers say so."""
    consultation = open_consultation(fed)
    trustees = ceremony(fed, consultation)
    nina = make_person("nina")
    join(nina, fed.south)
    north = assembly_vote(fed, consultation, fed.north, fed.alice)
    south = assembly_vote(fed, consultation, fed.south, fed.frank)
    Eligibility.objects.filter(poll=north, person=fed.alice).update(weight=3)
    sam, sue = south_people(fed)
    play_assembly(fed, north, {fed.alice: "yes", fed.bob: "no", fed.carol: "yes"}, fed.alice)
    play_assembly(fed, south, {fed.frank: "yes", sam: "yes", sue: "no", nina: "yes"}, fed.frank)
    close = reverse("coordination:consultation_close", args=[fed.federation.slug, consultation.pk])
    assert fed.client(fed.cora).post(close).status_code == 302
    assert trustees[0].decrypt().status_code == 200
    assert trustees[1].decrypt().json()["result"] is True

    rows = {r.body_id: r for r in ConsultedBody.objects.filter(consultation=consultation)}
    assert rows[fed.north.pk].electorate == 3 and rows[fed.south.pk].electorate == 3
    north_row = rows[fed.north.pk]
    assert north_row.decided and (north_row.yes, north_row.no, north_row.abstain) == (4, 1, 0)
    assert north_row.extra_weight == 2
    assert not rows[fed.south.pk].decided
    skipped = LedgerEntry.objects.get(
        kind="consultation.result_not_counted", chain=fed.federation.ledger_chain
    )
    assert json.loads(skipped.payload)["counts"] == [3, 1, 0]
    assert json.loads(skipped.payload)["electorate"] == 3
    decided = LedgerEntry.objects.get(
        kind="consultation.assembly_decided", chain=fed.federation.ledger_chain
    )
    assert json.loads(decided.payload)["extra_weight"] == 2
    north.refresh_from_db()
    assert (north.result["yes"], north.result["no"], north.result["electorate"]) == ("4", "1", "5")

    consultation.refresh_from_db()
    # head count: North yes 4, no 1 of 5 in vote weights; South decided nothing, of 3
    assert totals(consultation) == ("4", "1", "0", "8")
    assert consultation.result["total"]["adopted"] is True
    by_body = {g["key"]: g for g in consultation.result["by_body"]}
    assert by_body[str(fed.north.pk)]["electorate"] == "5"
    assert by_body[str(fed.south.pk)]["decided"] == 0

    report, _verdict = both_verify(tmp_path, board_of(fed, consultation))
    assert report.phase == "result" and report.not_counted == [fed.south.pk]
    assert report.outcome is not None
    total = report.outcome[0]
    assert (total["yes"], total["no"], total["electorate"], total["adopted"]) == (4, 1, 8, True)
    for body in (fed.federation, fed.north, fed.south):
        assert verify_chain(body).ok
    out = StringIO()
    call_command("verify_ledger", stdout=out)  # raises when a recount disagrees
    assert "3 closed votes, elections and consultations recounted" in out.getvalue()
    # A stored result that is not what the ledger published is found.
    changed = consultation.result | {"total": consultation.result["total"] | {"yes": "5"}}
    Consultation.objects.filter(pk=consultation.pk).update(result=changed)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=out)
    assert "the stored result differs from the one the ledger recorded" in out.getvalue()


# -- the key ceremony restarted by a complaint -----------------------------------------------


def choose_trustees(
    fed: FederationCast, consultation: Consultation, threshold: int
) -> list[TrusteeBrowser]:
    people = [fed.bob, fed.carol, fed.frank]
    response = fed.client(fed.cora).post(
        url(consultation, "setup"), {"trustees": [p.pk for p in people], "threshold": threshold}
    )
    assert response.status_code == 302, response.content
    return [TrusteeBrowser(fed.client(p), consultation) for p in people]


def channels_and_commits(browsers: list[TrusteeBrowser]) -> None:
    for step in ("channel", "commit"):
        for b in browsers:
            response = getattr(b, step)()
            assert response.status_code == 200, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["bad share", "good share falsely accused"])
def test_a_complaint_restarts_the_consultations_ceremony(fed, tmp_path, case):
    """Bob complains about a share: Frank's bad share excludes Frank; Carol's good share
    excludes Bob, the accuser. The ceremony restarts with a new manifest among the two left;
    the assemblies' polls open under the new key; the consultation completes and both
    verifiers accept its file."""
    consultation = open_consultation(fed)
    bob, carol, frank = browsers = choose_trustees(fed, consultation, threshold=2)
    frank.cheat = case == "bad share"
    channels_and_commits(browsers)
    main = VerifiableVote.objects.get(consultation=consultation)
    first_manifest = main.records.get(index=0).hash
    # Before the key is made, no assembly can open its vote.
    early = fed.client(fed.alice).post(
        reverse("coordination:consultation_decide", args=[fed.north.slug, consultation.pk]),
        {"means": "online", "secrecy": "secret"},
    )
    assert early.status_code == 409 and b"election key" in early.content

    accused, excluded = (3, fed.frank) if case == "bad share" else (2, fed.bob)
    response = bob.complain(accused)
    assert response.status_code == 200, response.content
    entry = LedgerEntry.objects.get(kind="verifiable.complaint", chain=fed.federation.ledger_chain)
    assert json.loads(entry.payload)["excluded"] == excluded.pk
    main.refresh_from_db()
    assert main.phase == "ceremony" and main.ceremony_round == 2
    manifest = main.records.get(index=0)
    assert main.length == 1 and manifest.hash != first_manifest
    assert manifest.payload["trustees"] == {"count": 2, "threshold": 2}
    people = (fed.bob, fed.carol, fed.frank)
    left = [b for b, p in zip(browsers, people, strict=True) if p != excluded]
    s = state(fed.client(fed.carol), consultation)
    assert [t["index"] for t in s["trustees"]] == [1, 2]
    # The excluded trustee can no longer act; nothing moves.
    gone = bob if excluded == fed.bob else frank
    refused = post(gone.client, consultation, "trustee_channel", {"channel_key": "00" * 32})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_trustee"
    main.refresh_from_db()
    assert main.length == 1

    frank.cheat = False
    for step in ("channel", "commit", "key"):
        for b in left:
            response = getattr(b, step)()
            assert response.status_code == 200, response.content
    main.refresh_from_db()
    assert main.phase == "open"
    north = assembly_vote(fed, consultation, fed.north, fed.alice)
    south = assembly_vote(fed, consultation, fed.south, fed.frank)
    for poll in (north, south):  # under the new key: the new manifest's fingerprint
        assert state(fed.client(fed.alice), poll)["fingerprint"] == manifest.hash
    sam, sue = south_people(fed)
    play_assembly(fed, north, {fed.alice: "no", fed.bob: "no", fed.carol: "yes"}, fed.alice)
    play_assembly(fed, south, {fed.frank: "yes", sam: "yes", sue: "yes"}, fed.frank)
    close = reverse("coordination:consultation_close", args=[fed.federation.slug, consultation.pk])
    assert fed.client(fed.cora).post(close).status_code == 302
    assert left[0].decrypt().status_code == 200
    assert left[1].decrypt().json()["result"] is True

    consultation.refresh_from_db()
    assert totals(consultation) == ("4", "2", "0", "6")
    consultation.motion.refresh_from_db()
    assert consultation.motion.state == "adopted"
    report, _verdict = both_verify(tmp_path, board_of(fed, consultation))
    assert report.phase == "result" and report.result is not None
    assert report.result[-1] == [4, 2, 0]
    assert verify_chain(fed.federation).ok


@pytest.mark.django_db
def test_fewer_trustees_than_the_threshold_cancels_and_counts_the_consultation(fed, tmp_path):
    """Three of three: a complaint excludes Frank, two are left. The consultation's vote is
    cancelled and, since no assembly can vote without the key, the consultation closes now and
    is counted with no assembly decided; an assembly that tries to vote is told it is closed."""
    consultation = open_consultation(fed)
    bob, _carol, frank = browsers = choose_trustees(fed, consultation, threshold=3)
    frank.cheat = True
    channels_and_commits(browsers)
    assert bob.complain(3).status_code == 200
    main = VerifiableVote.objects.get(consultation=consultation)
    assert main.phase == "cancelled"
    consultation.refresh_from_db()
    assert consultation.state == "closed" and consultation.result is not None
    assert consultation.result["total"]["decided"] == 0
    assert totals(consultation) == ("0", "0", "0", "6")
    assert consultation.result["total"]["adopted"] is False
    consultation.motion.refresh_from_db()
    assert consultation.motion.state == "rejected"
    assert Poll.objects.filter(body__in=[fed.north, fed.south]).count() == 0
    late = fed.client(fed.alice).post(
        reverse("coordination:consultation_decide", args=[fed.north.slug, consultation.pk]),
        {"means": "online", "secrecy": "secret"},
    )
    assert late.status_code == 409
    assert "This consultation is closed." in late.content.decode()
    assert Poll.objects.filter(body__in=[fed.north, fed.south]).count() == 0
    # In Spanish too.
    spanish = fed.client(fed.alice, language="es").post(
        reverse("coordination:consultation_decide", args=[fed.north.slug, consultation.pk]),
        {"means": "online", "secrecy": "secret"},
    )
    assert spanish.status_code == 409 and "Esta consulta está cerrada." in spanish.content.decode()
    # A trustee left cannot go on; the facilitator cannot close it again.
    refused = post(bob.client, consultation, "trustee_key", {"key": {}})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "wrong_phase"
    close = reverse("coordination:consultation_close", args=[fed.federation.slug, consultation.pk])
    again = fed.client(fed.cora).post(close)
    assert again.status_code == 409
    entry = LedgerEntry.objects.filter(
        kind="verifiable.phase", chain=fed.federation.ledger_chain
    ).last()
    assert entry is not None and json.loads(entry.payload)["phase"] == "cancelled"
    assert (
        LedgerEntry.objects.filter(
            kind="consultation.closed", chain=fed.federation.ledger_chain
        ).count()
        == 1
    )
    report, _verdict = both_verify(tmp_path, board_of(fed, consultation))
    assert report.phase == "key ceremony"
    assert verify_chain(fed.federation).ok
    call_command("verify_ledger", stdout=StringIO())  # raises when a recount disagrees


# -- closed by its deadline ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["close-due", "page read"])
def test_a_consultation_closed_by_its_deadline(fed, tmp_path, how):
    """The deadline passes with North's ballot box open and South still registering. Closed by
    ``asamblea close-due`` (or by reading the consultation's page): North's ballot box closes
    with its tally, South's vote is cancelled (it did not decide), the consultation's board
    gets the aggregates, the trustees decrypt, the consultation is counted, and both verifiers
    accept the file."""
    consultation = open_consultation(fed)
    trustees = ceremony(fed, consultation)
    north = assembly_vote(fed, consultation, fed.north, fed.alice)
    south = assembly_vote(fed, consultation, fed.south, fed.frank)
    play_assembly(fed, north, {fed.alice: "yes", fed.bob: "yes", fed.carol: "no"}, fed.alice)
    assert VoterBrowser(fed.client(fed.frank), south).register().status_code == 200
    main = VerifiableVote.objects.get(consultation=consultation)
    # Before the deadline nothing closes by itself.
    call_command("close_due_polls", stdout=StringIO())
    consultation.refresh_from_db()
    assert consultation.state == "open"
    past = timezone.now() - timedelta(minutes=1)
    Consultation.objects.filter(pk=consultation.pk).update(deadline=past)
    Poll.objects.filter(pk__in=[north.pk, south.pk]).update(closes_at=past)
    if how == "close-due":
        out = StringIO()
        call_command("close_due_polls", stdout=out)
        assert "1 delegates' votes and consultations closed" in out.getvalue()
    else:
        page = fed.client(None).get(
            reverse("coordination:consultation", args=[fed.federation.slug, consultation.pk])
        )
        assert page.status_code == 200
    consultation.refresh_from_db()
    assert consultation.state == "closed" and consultation.result is None
    parts = {p.poll_id: p for p in VerifiableVote.objects.filter(part_of=main)}
    assert parts[north.pk].phase == "closed"
    assert Record.objects.filter(vote=parts[north.pk], kind="tally").count() == 1
    assert parts[south.pk].phase == "cancelled"
    south.refresh_from_db()
    assert south.state == "closed" and south.result["void_reason"] == "verifiable_cancelled"
    main.refresh_from_db()
    assert main.phase == "closed"
    kinds = list(Record.objects.filter(vote=main).values_list("kind", flat=True))
    assert kinds.count("assembly_tally") == 1 and kinds[-1] == "aggregates"
    entry = LedgerEntry.objects.get(kind="consultation.closed", chain=fed.federation.ledger_chain)
    assert json.loads(entry.payload)["by"] is None
    # Running it again changes nothing.
    length = main.length
    call_command("close_due_polls", stdout=StringIO())
    main.refresh_from_db()
    assert main.length == length

    assert trustees[1].decrypt().status_code == 200
    assert trustees[2].decrypt().json()["result"] is True
    consultation.refresh_from_db()
    # North: yes 2, no 1 of 3; South did not decide, of 3.
    assert totals(consultation) == ("2", "1", "0", "6")
    assert consultation.result["total"]["adopted"] is True
    rows = {r.body_id: r for r in ConsultedBody.objects.filter(consultation=consultation)}
    assert rows[fed.north.pk].decided and not rows[fed.south.pk].decided
    north.refresh_from_db()
    assert north.state == "closed" and north.result["yes"] == "2"
    report, _verdict = both_verify(tmp_path, board_of(fed, consultation))
    assert report.phase == "result" and report.result is not None
    assert report.result[-1] == [2, 1, 0]
    assert set(board_of(fed, consultation)["assemblies"]) == {str(fed.north.pk)}
    for body in (fed.federation, fed.north, fed.south):
        assert verify_chain(body).ok
    call_command("verify_ledger", stdout=StringIO())  # raises when a recount disagrees
