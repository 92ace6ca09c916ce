"""Reads of a verifiable vote: its phase and step, the board, what a page or a script needs."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person, Visitor
from asamblea.coordination.models import Consultation, ConsultedBody
from asamblea.errors import Refused
from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core.encoding import PROTOCOL, parse_point
from asamblea.verifiable.core.group import GroupError
from asamblea.verifiable.models import Credential, Record, Share, Trustee, VerifiableVote
from asamblea.verifiable.subjects import Subject

Phase = VerifiableVote.Phase
# The records of the key ceremony, which begin every board (and which a consultation's
# assemblies copy from the consultation's board).
CEREMONY_KINDS = ("manifest", "trustee_commitment", "trustee_key", "election_key")


def vote_of(subject: Subject) -> VerifiableVote | None:
    """The verifiable vote of a poll or an election (None before its trustees are chosen)."""
    return (
        VerifiableVote.objects.filter(**subject.vote_filter())
        .select_related("poll__body", "for_election__body")
        .first()
    )


def phase_of(vote: VerifiableVote | None) -> str:
    return Phase.SETUP if vote is None else vote.phase


def trustees(vote: VerifiableVote) -> list[Trustee]:
    """The trustees of the current ceremony, by index (excluded ones left out)."""
    return list(
        Trustee.objects.filter(vote=vote, index__isnull=False)
        .select_related("person")
        .order_by("index")
    )


def ceremony_step(vote: VerifiableVote) -> str | None:
    """Where the key ceremony stands: "channel", "commit" or "key" (None outside it)."""
    if vote.phase != Phase.CEREMONY:
        return None
    everyone = Trustee.objects.filter(vote=vote, index__isnull=False)
    if everyone.filter(channel_key="").exists():
        return "channel"
    if everyone.filter(commitment__isnull=True).exists():
        return "commit"
    return "key"


def _record(vote: VerifiableVote, kind: str) -> Record | None:
    return Record.objects.filter(vote=vote, kind=kind).order_by("index").first()


def fingerprint(vote: VerifiableVote) -> bytes:
    """φ: the hash of the manifest record (record 0), as 32 bytes."""
    manifest = _record(vote, "manifest")
    return bytes.fromhex(manifest.hash) if manifest is not None else b""


def public_key(vote: VerifiableVote) -> str | None:
    key = _record(vote, "election_key")
    return key.payload["public_key"] if key is not None else None


_ELECTIONS: dict[tuple[str, int], B.Election] = {}


def election(vote: VerifiableVote) -> B.Election | None:
    """What ballots are checked against, once the election key is on the board. Kept per
    process once voting is open (manifest and key no longer change)."""
    cache_key = (vote.election_id, vote.ceremony_round)
    cached = _ELECTIONS.get(cache_key)
    if cached is not None:
        return cached
    manifest, key = _record(vote, "manifest"), _record(vote, "election_key")
    if manifest is None or key is None:
        return None
    questions = tuple(
        B.Question(len(q["answers"]), q["min"], q["max"]) for q in manifest.payload["questions"]
    )
    found = B.Election(
        bytes.fromhex(manifest.hash), parse_point(key.payload["public_key"]), questions
    )
    if vote.phase not in (Phase.CEREMONY, Phase.REGISTRATION):
        if len(_ELECTIONS) > 256:
            _ELECTIONS.clear()
        _ELECTIONS[cache_key] = found
    return found


def _decryptable(vote: VerifiableVote) -> Record | None:
    """What the trustees decrypt: a poll's (or election's) tally, or a consultation's
    aggregates (each assembly's tally and their products by member body, sector, region and in
    total)."""
    return _record(vote, "aggregates" if vote.consultation_id is not None else "tally")


def tally_ciphertexts(vote: VerifiableVote) -> list[list[tuple[bytes, bytes]]]:
    tally = _decryptable(vote)
    if tally is None:
        return []
    return [
        [(parse_point(a), parse_point(b)) for a, b in row] for row in tally.payload["ciphertexts"]
    ]


def board(vote: VerifiableVote) -> dict[str, Any]:
    """The whole board, as the verifiers read it."""
    records = [
        {
            "index": r.index,
            "kind": r.kind,
            "previous": r.previous,
            "payload": r.payload,
            "hash": r.hash,
        }
        for r in Record.objects.filter(vote=vote).order_by("index")
    ]
    return {"board": PROTOCOL, "records": records}


def board_rows(vote: VerifiableVote) -> list[dict[str, Any]]:
    """The board's records for its page: index, kind, hash, and a ballot's tracker."""
    return list(
        Record.objects.filter(vote=vote)
        .order_by("index")
        .values("index", "kind", "hash", "tracker")
    )


def tracker_index(vote: VerifiableVote, tracker: str) -> int | None:
    row = Record.objects.filter(vote=vote, kind="ballot", tracker=tracker.strip().lower()).first()
    return row.index if row is not None else None


def result_counts(vote: VerifiableVote) -> list[list[int]] | None:
    result = _record(vote, "result")
    return result.payload["counts"] if result is not None else None


def counts(vote: VerifiableVote | None) -> dict[str, int]:
    if vote is None:
        return {"registered": 0, "ballots": 0}
    return {
        "registered": Credential.objects.filter(vote=vote).count(),
        "ballots": Record.objects.filter(vote=vote, kind="ballot").count(),
    }


def registered_people(vote: VerifiableVote) -> list[str]:
    """Who registered a credential (shown to members: each can see whether "they" did)."""
    return sorted(
        c.person.display_name for c in Credential.objects.filter(vote=vote).select_related("person")
    )


def me(person: Visitor, subject: Subject, vote: VerifiableVote | None) -> dict[str, Any] | None:
    """What the logged-in person's page and script need about themselves."""
    if not person.is_authenticated:
        return None
    assert isinstance(person, Person)
    eligibility = subject.electorate().filter(person=person).first()
    mine = Credential.objects.filter(vote=vote, person=person).first() if vote is not None else None
    trustee = (
        Trustee.objects.filter(vote=vote, person=person, index__isnull=False).first()
        if vote is not None
        else None
    )
    shares: dict[str, Any] = {}
    if trustee is not None and vote is not None:
        shares = {
            str(s.sender): s.ciphertext
            for s in Share.objects.filter(vote=vote, receiver=trustee.index).order_by("sender")
        }
    return {
        "eligible": eligibility is not None,
        "weight": eligibility.weight if eligibility is not None else 0,
        "registered": mine is not None,
        "credential": mine.credential if mine is not None else None,
        "voted_plain": bool(eligibility is not None and eligibility.voted and mine is None),
        "trustee": trustee.index if trustee is not None else None,
        "shares": shares if trustee is not None else None,
    }


def state(person: Visitor, subject: Subject, vote: VerifiableVote | None) -> dict[str, Any]:
    """state.json (see docs/verifiable-ballots.md, "The pages and their scripts")."""
    manifest = _record(vote, "manifest") if vote is not None else None
    everyone = trustees(vote) if vote is not None else []
    tally = _decryptable(vote) if vote is not None else None
    return {
        "phase": phase_of(vote),
        "step": ceremony_step(vote) if vote is not None else None,
        "election_id": vote.election_id if vote is not None else None,
        "fingerprint": manifest.hash if manifest is not None else None,
        "manifest": manifest.payload if manifest is not None else None,
        "public_key": public_key(vote) if vote is not None else None,
        "threshold": vote.threshold if vote is not None else None,
        "trustee_count": len(everyone),
        "trustees": [
            {
                "index": t.index,
                "name": t.person.display_name,
                "channel_key": t.channel_key or None,
                "committed": t.commitment is not None,
                "keyed": t.key is not None,
                "decrypted": t.decrypted,
            }
            for t in everyone
        ],
        "commitments": {
            str(t.index): t.commitment["coefficients"] for t in everyone if t.commitment is not None
        },
        "tally": tally.payload["ciphertexts"] if tally is not None else None,
        "board_head": vote.head if vote is not None else None,
        "board_length": vote.length if vote is not None else 0,
        **counts(vote),
        "plain_allowed": subject.plain_fallback,
        "result": result_counts(vote) if vote is not None else None,
        "me": me(person, subject, vote),
    }


def audit(vote: VerifiableVote, ballot: object, opening: object) -> dict[str, Any]:
    """Cast-or-audit: check an audited ballot and its opening; return what it encrypts. Nothing
    is stored: an audited ballot is thrown away (the page encrypts the choice again)."""
    if vote.phase not in (Phase.REGISTRATION, Phase.OPEN):
        raise Refused(_("Ballots can be audited only while the vote is open."), code="wrong_phase")
    found = election(vote)
    if found is None or not isinstance(ballot, dict) or not B.verify(found, ballot):
        raise Refused(_("This ballot does not verify."), code="bad_ballot")
    bad = Refused(
        _("The opening does not match the ballot: this page did not encrypt what you chose."),
        code="bad_opening",
    )
    if not isinstance(opening, list) or not all(
        isinstance(row, list) and all(isinstance(r, str) and len(r) == 64 for r in row)
        for row in opening
    ):
        raise bad
    try:
        choices = B.check_opening(found, ballot, opening)
    except (ValueError, TypeError, GroupError):
        raise bad from None
    manifest = _record(vote, "manifest")
    assert manifest is not None
    answers = [
        [text for text, picked in zip(q["answers"], row, strict=True) if picked]
        for q, row in zip(manifest.payload["questions"], choices, strict=True)
    ]
    return {"valid": True, "choices": choices, "answers": answers}


# -- verifiable consultations ------------------------------------------------------------------


def consultation_vote(consultation: Consultation) -> VerifiableVote | None:
    """The consultation's own verifiable vote (key ceremony, tallies, decryption), if set up."""
    return (
        VerifiableVote.objects.filter(consultation=consultation)
        .select_related("consultation__coordination")
        .first()
    )


def consultation_payload(consultation: Consultation) -> dict[str, Any]:
    """The ``consultation`` record: the rule, quorum and majority, and every consulted
    assembly with what was frozen at opening (member body, electorate, weight, sectors,
    region), sorted by assembly."""
    rows = ConsultedBody.objects.filter(consultation=consultation).order_by("body_id")
    return {
        "consultation": consultation.pk,
        "rule": consultation.rule,
        "quorum_percent": consultation.quorum_percent,
        "majority": consultation.majority,
        "assemblies": [
            {
                "assembly": r.body_id,
                "member_of": r.member_of_id,
                "electorate": r.electorate,
                "weight": r.weight,
                "sectors": sorted(r.sectors),
                "region": r.region,
            }
            for r in rows
        ],
    }


def parts(vote: VerifiableVote) -> list[VerifiableVote]:
    """The assemblies' verifiable votes in a consultation, by assembly."""
    return list(
        VerifiableVote.objects.filter(part_of=vote)
        .select_related("poll__body")
        .order_by("poll__body_id")
    )


def consultation_result(vote: VerifiableVote) -> dict[str, Any] | None:
    """The ``result`` record of a consultation's board, once decrypted."""
    result = _record(vote, "result")
    return result.payload if result is not None else None


def consultation_board(vote: VerifiableVote) -> dict[str, Any]:
    """The consultation's board as the verifiers read it, with the board of every assembly
    whose encrypted tally is on it (under ``assemblies``, by assembly id)."""
    found = board(vote)
    tallied = {
        r.payload["assembly"]
        for r in Record.objects.filter(vote=vote, kind="assembly_tally").only("payload")
    }
    found["assemblies"] = {
        str(part.poll.body_id): board(part) for part in parts(vote) if part.poll.body_id in tallied
    }
    return found
