"""A verifiable consultation end to end through the server's pages and JSON endpoints: the
coordination opens it, chooses trustees among its delegates, they make one election key; two
base assemblies vote with verifiable polls under that key (weights carried); the close puts
each assembly's encrypted tally and their products on the consultation's board; the trustees
decrypt only these aggregates; the consultation's result, with its breakdowns, follows; and the
whole is verified from the downloaded board alone."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.coordination.models import Consultation, ConsultedBody
from asamblea.ledger.actions import verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.motions.models import Motion
from asamblea.testing import FederationCast
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core import trustees as trustees_core
from asamblea.verifiable.core.encoding import parse_point
from asamblea.verifiable.models import Record, VerifiableVote
from asamblea.verifiable.tests.play import TrusteeBrowser, VoterBrowser, post, state, url
from asamblea.verifiable.verifier import verify_board
from asamblea.voting.models import Poll


def open_consultation(fed: FederationCast, *, rule: str = "head_count") -> Consultation:
    motion = Motion.objects.create(
        body=fed.federation, number=7, title="Huelga general", text="Convocar", state="supported"
    )
    response = fed.client(fed.cora).post(
        reverse("coordination:consult", args=[fed.federation.slug, motion.number]),
        {
            "rule": rule,
            "deadline": (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "quorum_percent": 50,
            "majority": "simple",
            "verifiable": "on",
        },
    )
    assert response.status_code == 302, response.content
    consultation = Consultation.objects.get(motion=motion)
    assert consultation.verifiable
    return consultation


def ceremony(fed: FederationCast, consultation: Consultation) -> list[TrusteeBrowser]:
    people = [fed.bob, fed.carol, fed.frank]
    response = fed.client(fed.cora).post(
        url(consultation, "setup"), {"trustees": [p.pk for p in people], "threshold": 2}
    )
    assert response.status_code == 302, response.content
    browsers = [TrusteeBrowser(fed.client(p), consultation) for p in people]
    for step in ("channel", "commit", "key"):
        for b in browsers:
            response = getattr(b, step)()
            assert response.status_code == 200, response.content
    return browsers


def assembly_vote(fed: FederationCast, consultation: Consultation, body: Any, by: Any) -> Poll:
    row = ConsultedBody.objects.get(consultation=consultation, body=body)
    response = fed.client(by).post(
        reverse("coordination:consultation_decide", args=[body.slug, consultation.pk]),
        {"means": "online", "secrecy": "secret"},
    )
    assert response.status_code == 302, response.content
    row.refresh_from_db()
    assert row.poll is not None and row.poll.secrecy == Poll.Secrecy.VERIFIABLE
    return row.poll


def play_assembly(fed: FederationCast, poll: Poll, choices: dict[Any, str], by: Any) -> None:
    voters = {p: VoterBrowser(fed.client(p), poll) for p in choices}
    for v in voters.values():
        response = v.register()
        assert response.status_code == 200, response.content
    assert fed.client(by).post(url(poll, "open_voting")).status_code == 302
    for person, choice in choices.items():
        response = voters[person].cast(choice)
        assert response.status_code == 200, response.content


def board_of(fed: FederationCast, consultation: Consultation) -> dict[str, Any]:
    response = fed.client(None).get(url(consultation, "board_json"))
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.mark.django_db
def test_a_verifiable_consultation_end_to_end(fed):
    consultation = open_consultation(fed)
    north_row = ConsultedBody.objects.get(consultation=consultation, body=fed.north)
    # Before the key exists, an assembly cannot open its vote; nothing is written.
    before = Poll.objects.count()
    early = fed.client(fed.alice).post(
        reverse("coordination:consultation_decide", args=[fed.north.slug, consultation.pk]),
        {"means": "online", "secrecy": "secret"},
    )
    assert early.status_code == 409 and b"election key" in early.content
    assert Poll.objects.count() == before
    north_row.refresh_from_db()
    assert north_row.poll_id is None

    trustees = ceremony(fed, consultation)
    main = VerifiableVote.objects.get(consultation=consultation)
    assert main.phase == "open"
    assert state(fed.client(fed.carol), consultation)["me"]["trustee"] == 2

    north = assembly_vote(fed, consultation, fed.north, fed.alice)
    south = assembly_vote(fed, consultation, fed.south, fed.frank)
    # The consultation's page lists the assemblies voting; members-only North is not named to
    # the public (as on the result), public South is, with a link to its board.
    page_url = reverse("verifiable:consultation", args=[fed.federation.slug, consultation.pk])
    listing = fed.client(None).get(page_url).content.decode()
    assert "A members-only body" in listing and "North" not in listing
    assert reverse("verifiable:board", args=[fed.south.slug, south.pk]) in listing
    insider = fed.client(fed.cora).get(page_url).content.decode()
    assert reverse("verifiable:board", args=[fed.north.slug, north.pk]) in insider
    # Each assembly's board starts with the consultation's ceremony: the same fingerprint.
    for poll in (north, south):
        part = VerifiableVote.objects.get(poll=poll)
        assert part.part_of_id == main.pk and part.phase == "registration"
        assert state(fed.client(fed.alice), poll)["fingerprint"] == main.records.get(index=0).hash
    sam, sue = (m.person for m in fed.south.memberships.filter(person__username__in=["sam", "sue"]))
    play_assembly(fed, north, {fed.alice: "yes", fed.bob: "no", fed.carol: "yes"}, fed.alice)
    play_assembly(fed, south, {fed.frank: "yes", sam: "yes", sue: "abstain"}, fed.frank)

    # A trustee cannot decrypt before the close; the coordination closes.
    early = post(fed.client(fed.bob), consultation, "trustee_decrypt", {"partial": {}})
    assert early.status_code == 409 and early.json()["error"]["code"] == "wrong_phase"
    response = fed.client(fed.cora).post(
        reverse("coordination:consultation_close", args=[fed.federation.slug, consultation.pk])
    )
    assert response.status_code == 302
    consultation.refresh_from_db()
    assert consultation.state == "closed" and consultation.result is None
    main.refresh_from_db()
    assert main.phase == "closed"
    kinds = list(Record.objects.filter(vote=main).values_list("kind", flat=True))
    assert kinds.count("assembly_tally") == 2 and kinds[-1] == "aggregates"
    groups = Record.objects.get(vote=main, kind="aggregates").payload["groups"]
    assert [(g["group"], g["key"]) for g in groups] == [
        ("assembly", str(fed.north.pk)),
        ("assembly", str(fed.south.pk)),
        ("member", str(fed.north.pk)),
        ("member", str(fed.south.pk)),
        ("sector", "students"),
        ("region", "Norte"),
        ("region", "Sur"),
        ("total", ""),
    ]
    report = verify_board(board_of(fed, consultation))
    assert report.phase == "tally"

    # A partial decryption whose proof does not verify is refused; the board does not move.
    s = state(fed.client(fed.frank), consultation)
    rows = [[(parse_point(a), parse_point(b)) for a, b in row] for row in s["tally"]]
    forged = trustees_core.partial_decryption(
        bytes.fromhex(s["fingerprint"]), 3, (trustees[2].x + 1) % G.L, rows
    )
    length = main.length
    refused = post(fed.client(fed.frank), consultation, "trustee_decrypt", {"partial": forged})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad_partial"
    main.refresh_from_db()
    assert main.length == length
    assert trustees[2].decrypt().status_code == 200
    again = trustees[2].decrypt()
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_done"
    response = trustees[0].decrypt()
    assert response.status_code == 200 and response.json()["result"] is True

    consultation.refresh_from_db()
    result = consultation.result
    assert result is not None
    # Head count: North yes 2 (alice, carol), no 1 (bob); South yes 2, abstain 1.
    assert (result["total"]["yes"], result["total"]["no"], result["total"]["abstain"]) == (
        "4",
        "1",
        "1",
    )
    assert result["total"]["adopted"] is True
    by_region = {g["key"]: (g["yes"], g["no"], g["abstain"]) for g in result["by_region"]}
    assert by_region == {"Norte": ("2", "1", "0"), "Sur": ("2", "0", "1")}
    consultation.motion.refresh_from_db()
    assert consultation.motion.state == "adopted"
    rows = {r.body_id: r for r in ConsultedBody.objects.filter(consultation=consultation)}
    assert (rows[fed.north.pk].yes, rows[fed.north.pk].no) == (2, 1)
    assert rows[fed.south.pk].decided and rows[fed.south.pk].abstain == 1
    north.refresh_from_db()
    assert north.state == "closed"
    main.refresh_from_db()
    assert main.phase == "result"

    board = board_of(fed, consultation)
    assert set(board["assemblies"]) == {str(fed.north.pk), str(fed.south.pk)}
    report = verify_board(board)
    assert report.phase == "result"
    assert report.result is not None and report.result[-1] == [4, 1, 1]
    # The consultation's page shows the result with its breakdown.
    page = fed.client(None).get(
        reverse("coordination:consultation", args=[fed.federation.slug, consultation.pk])
    )
    assert b'id="total-yes">4<' in page.content and b"Norte" in page.content
    for body in (fed.federation, fed.north, fed.south):
        assert verify_chain(body).ok
    assert LedgerEntry.objects.filter(kind="consultation.result").count() == 1
    # No ballot was decrypted: the only decryptions are of the aggregates' rows.
    partial = Record.objects.filter(vote=main, kind="partial_decryption").first()
    assert partial is not None and len(partial.payload["factors"]) == len(groups)
    assert post(fed.client(fed.bob), consultation, "trustee_decrypt", {}).status_code != 200
