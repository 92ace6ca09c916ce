"""Writes of a verifiable vote: setup, the trustees' key ceremony, registration, casting, the
tally, partial decryptions and the result (docs/verifiable-ballots.md).

Every record that goes on the bulletin board is appended by :func:`_append` under the vote row's
lock (``FOR UPDATE``), so the board is one chain in one order whoever writes at once. Every change
of phase appends ``verifiable.phase`` to the body's ledger with the board's head, which ties the
board into the ledger. Everything received is checked before anything is written: the
ballot's proofs and signature (``core.ballot.verify``, which also checks that every point is in
the group), the trustees' proofs of their coefficients, keys and partial decryptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import active_membership, require_facilitator
from asamblea.coordination.actions import consultation_close
from asamblea.coordination.models import Consultation
from asamblea.elections.actions import election_close_verified
from asamblea.elections.models import Election
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.meetings.models import Meeting
from asamblea.verifiable import queries
from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import channel
from asamblea.verifiable.core import tally as T
from asamblea.verifiable.core import trustees as TR
from asamblea.verifiable.core.board import record_hash
from asamblea.verifiable.core.encoding import canonical, hx, parse_point
from asamblea.verifiable.core.group import GroupError
from asamblea.verifiable.core.simulation import manifest
from asamblea.verifiable.models import Credential, Record, Share, Trustee, VerifiableVote
from asamblea.verifiable.subjects import Subject
from asamblea.voting.actions import poll_close_verified
from asamblea.voting.models import Poll
from asamblea.voting.rules import Tally

Phase = VerifiableVote.Phase
MAX_TRUSTEES = 12
SHARE_MAX_BYTES = 2048
REASON_MAX = 300


def _wrong_phase() -> Conflict:
    return Conflict(_("This step is not possible at this stage of the vote."), code="wrong_phase")


def _locked(vote: VerifiableVote) -> VerifiableVote:
    # Only the vote's row: the poll's (or election's) and the body's rows stay free for
    # ordinary casts and pages.
    return (
        VerifiableVote.objects.select_for_update(of=("self",))
        .select_related("poll__body", "for_election__body", "consultation__coordination")
        .get(pk=vote.pk)
    )


def _append(vote: VerifiableVote, kind: str, payload: Any, *, tracker: str | None = None) -> Record:
    """Append a record to the board of ``vote`` (locked by the caller)."""
    index, previous = vote.length, vote.head
    digest = record_hash(index, kind, previous, payload)
    row = Record.objects.create(
        vote=vote,
        index=index,
        kind=kind,
        previous=previous,
        payload=payload,
        hash=digest,
        tracker=tracker,
    )
    vote.length, vote.head = index + 1, digest
    vote.save(update_fields=["length", "head"])
    return row


def _phase(vote: VerifiableVote, phase: str, by: Person | None, **extra: Any) -> None:
    """Change phase and anchor the board's head in the body's ledger."""
    vote.phase = phase
    vote.save(update_fields=["phase"])
    subject = vote.subject
    body = subject.body
    record(
        body,
        "verifiable.phase",
        subject.ref()
        | {
            "phase": phase,
            "by": by.pk if by is not None else None,
            "board_head": vote.head,
            "board_length": vote.length,
        }
        | extra,
    )
    publish_on_commit(Body.channel_of(body.pk), "verifiable.phase", subject.ref())


def _manifest(vote: VerifiableVote, count: int) -> dict[str, object]:
    subject = vote.subject
    return manifest(vote.election_id, subject.title, [subject.question()], count, vote.threshold)


def _lock_subject(subject: Poll | Election) -> Subject:
    """The poll's or the election's row under ``FOR UPDATE``, as a :class:`Subject`."""
    if isinstance(subject, Poll):
        return Subject(
            poll=Poll.objects.select_for_update().select_related("body").get(pk=subject.pk)
        )
    return Subject(
        election=Election.objects.select_for_update().select_related("body").get(pk=subject.pk)
    )


def _close(vote: VerifiableVote, by: Person | None, counts: list[list[int]] | None) -> None:
    """Close the poll or the election with the decrypted counts (None: cancelled). A
    consultation's own vote cancelled (fewer trustees than the threshold after complaints)
    closes the consultation now: no assembly can vote without the key, so it is counted with
    no assembly decided (consultations.on_consultation_closing); its result comes otherwise
    from consultations.consultation_result."""
    if vote.consultation_id is not None:
        if counts is None:
            consultation = Consultation.objects.get(pk=vote.consultation_id)
            if consultation.is_open:
                consultation_close(None, consultation)
        return
    details = _details(vote)
    if vote.poll is not None:
        counted = None
        if counts is not None:
            yes, no, abstain = counts[0]
            counted = Tally(yes, no, abstain)
            details |= {"counts": counts}
        poll_close_verified(by, vote.poll, counted=counted, details=details)
        return
    assert vote.for_election is not None
    election_close_verified(
        by,
        vote.for_election,
        counted=counts[0] if counts is not None else None,
        ballots=details["ballots"],
        details={"board_head": vote.head, "board_length": vote.length},
    )


# -- setup ---------------------------------------------------------------------------------


@transaction.atomic
def vote_setup(
    facilitator: Person,
    subject: Poll | Election,
    *,
    trustees: Sequence[Person],
    threshold: int,
    plain_fallback: bool = False,
) -> VerifiableVote:
    """The facilitator chooses the trustees (members of the body) and the threshold ``t`` of
    ``n``; the manifest becomes record 0 of the board and the key ceremony starts. ``subject``
    is the poll, or the election (once its voting opened: its ballot and electorate are fixed)."""
    require_facilitator(facilitator, subject.body)
    locked = _lock_subject(subject)
    if not locked.is_verifiable:
        raise Refused(_("This vote is not a verifiable vote."), code="not_verifiable")
    if not locked.is_open:
        raise _wrong_phase()
    if VerifiableVote.objects.filter(**locked.vote_filter()).exists():
        raise Conflict(_("The trustees of this vote are already chosen."), code="already_done")
    people = list({p.pk: p for p in trustees}.values())
    if not 1 <= len(people) <= MAX_TRUSTEES:
        raise Refused(
            _("Choose between 1 and %(max)s trustees.") % {"max": MAX_TRUSTEES},
            code="bad_trustees",
        )
    for person in people:
        membership = active_membership(person, locked.body)
        if membership is None or not membership.can_vote:
            raise Refused(
                _("Every trustee must be an active member of this assembly."), code="bad_trustees"
            )
    if not 1 <= threshold <= len(people):
        raise Refused(
            _("The threshold is between 1 and the number of trustees."), code="bad_threshold"
        )
    if locked.plain_fallback != plain_fallback:
        locked.obj.plain_fallback = plain_fallback
        locked.obj.save(update_fields=["plain_fallback"])
    vote = VerifiableVote.objects.create(**locked.vote_filter(), threshold=threshold)
    ordered = sorted(people, key=lambda p: p.pk)
    Trustee.objects.bulk_create(
        [Trustee(vote=vote, person=p, index=i) for i, p in enumerate(ordered, start=1)]
    )
    vote = _locked(vote)
    _append(vote, "manifest", _manifest(vote, len(ordered)))
    _phase(
        vote,
        Phase.CEREMONY,
        facilitator,
        trustees=[p.pk for p in ordered],
        threshold=threshold,
        plain_fallback=plain_fallback,
    )
    return vote


@transaction.atomic
def vote_cancel(facilitator: Person, subject: Poll | Election) -> VerifiableVote:
    """Cancel a verifiable vote before its result (also before its trustees are chosen, or
    when too few trustees are left): the poll (or election) closes without a valid count."""
    require_facilitator(facilitator, subject.body)
    locked_subject = _lock_subject(subject)
    if not locked_subject.is_verifiable or not locked_subject.is_open:
        raise _wrong_phase()
    vote, _created = VerifiableVote.objects.get_or_create(**locked_subject.vote_filter())
    locked = _locked(vote)
    if locked.is_finished:
        raise _wrong_phase()
    _phase(locked, Phase.CANCELLED, facilitator)
    _close(locked, facilitator, None)
    return locked


# -- the key ceremony ----------------------------------------------------------------------


def _my_trustee(person: Person, vote: VerifiableVote) -> Trustee:
    trustee = Trustee.objects.filter(vote=vote, person=person, index__isnull=False).first()
    if trustee is None:
        raise NotAllowed(_("You are not a trustee of this vote."), code="not_trustee")
    return trustee


def _ceremony(person: Person, vote: VerifiableVote, step: str) -> tuple[VerifiableVote, Trustee]:
    locked = _locked(vote)
    trustee = _my_trustee(person, locked)
    if locked.phase != Phase.CEREMONY or queries.ceremony_step(locked) != step:
        raise _wrong_phase()
    return locked, trustee


def _point(text: object, code: str) -> bytes:
    try:
        return parse_point(text)
    except (ValueError, GroupError):
        raise Refused(_("This is not a valid group element."), code=code) from None


@transaction.atomic
def trustee_channel(
    person: Person, vote: VerifiableVote, *, channel_key: object, proof: object
) -> Trustee:
    """A trustee publishes the public key other trustees encrypt its shares to, with a proof
    that it knows the secret (Belenios specification section 4.8.3 "Channels")."""
    locked, trustee = _ceremony(person, vote, "channel")
    if trustee.channel_key:
        raise Conflict(_("You have already done this step."), code="already_done")
    payload = {"trustee": trustee.index, "channel_key": channel_key, "proof": proof}
    if not channel.check_channel_key(queries.fingerprint(locked), trustee.index or 0, payload):
        raise Refused(_("The channel key or its proof does not verify."), code="bad_key")
    trustee.channel_key = str(channel_key)
    trustee.save(update_fields=["channel_key"])
    _step_changed(locked)
    return trustee


def _step_changed(vote: VerifiableVote) -> None:
    subject = vote.subject
    publish_on_commit(Body.channel_of(subject.body_id), "verifiable.step", subject.ref())


@transaction.atomic
def trustee_commit(
    person: Person, vote: VerifiableVote, *, commitment: object, shares: object
) -> Trustee:
    """A trustee publishes its coefficients with proofs and sends, through the server, one share
    encrypted for each other trustee. Once all have, the commitments go on the board."""
    locked, trustee = _ceremony(person, vote, "commit")
    if trustee.commitment is not None:
        raise Conflict(_("You have already done this step."), code="already_done")
    i = trustee.index or 0
    fingerprint = queries.fingerprint(locked)
    if not isinstance(commitment, dict) or not TR.check_commitment(
        fingerprint, i, locked.threshold, commitment
    ):
        raise Refused(_("The coefficients or their proofs do not verify."), code="bad_commitment")
    others = {t.index: t for t in queries.trustees(locked) if t.index != i}
    bad_shares = Refused(
        _(
            "Send exactly one encrypted share, signed with your channel key, for each other "
            "trustee."
        ),
        code="bad_shares",
    )
    if not isinstance(shares, dict):
        raise bad_shares
    try:
        received = {int(k): v for k, v in shares.items()}
    except (TypeError, ValueError):
        raise bad_shares from None
    if set(received) != set(others):
        raise bad_shares
    sender_key = parse_point(trustee.channel_key)
    for j, message in received.items():
        if (
            not isinstance(message, dict)
            or len(canonical(message)) > SHARE_MAX_BYTES
            or message.get("sender") != i
            or message.get("receiver") != j
            or not channel.check_message(fingerprint, message, sender_key)
        ):
            raise bad_shares
    checked = {
        "trustee": i,
        "coefficients": commitment["coefficients"],
        "proofs": commitment["proofs"],
    }
    trustee.commitment = checked
    trustee.save(update_fields=["commitment"])
    Share.objects.bulk_create(
        [
            Share(vote=locked, sender=trustee.index, receiver=j, ciphertext=received[j])
            for j in sorted(received)
        ]
    )
    everyone = queries.trustees(locked)
    if all(t.commitment is not None for t in everyone):
        for t in everyone:
            _append(locked, "trustee_commitment", t.commitment)
        record(
            locked.subject.body,
            "verifiable.commitments",
            locked.subject.ref() | {"board_head": locked.head, "board_length": locked.length},
        )
    _step_changed(locked)
    return trustee


@transaction.atomic
def trustee_key(person: Person, vote: VerifiableVote, *, key: object) -> Trustee:
    """A trustee who checked every share it received publishes its verification key ``Y_j``
    with a proof of knowledge. Once all have, the keys and the election key go on the board."""
    locked, trustee = _ceremony(person, vote, "key")
    if trustee.key is not None:
        raise Conflict(_("You have already done this step."), code="already_done")
    j = trustee.index or 0
    everyone = queries.trustees(locked)
    commitments = [[parse_point(a) for a in t.commitment["coefficients"]] for t in everyone]
    if not isinstance(key, dict) or not TR.check_key(
        queries.fingerprint(locked), j, key, commitments
    ):
        raise Refused(_("The verification key or its proof does not verify."), code="bad_key")
    y, proof = parse_point(key["verification_key"]), key["proof"]
    trustee.key = {"trustee": j, "verification_key": hx(y), "proof": proof}
    trustee.save(update_fields=["key"])
    everyone = queries.trustees(locked)
    if all(t.key is not None for t in everyone):
        for t in everyone:
            _append(locked, "trustee_key", t.key)
        public = TR.election_key([parse_point(t.commitment["coefficients"][0]) for t in everyone])
        _append(
            locked,
            "election_key",
            {
                "public_key": hx(public),
                "verification_keys": [t.key["verification_key"] for t in everyone],
            },
        )
        if locked.consultation_id is not None:
            # A consultation's key is made: its record, then the assemblies may vote.
            _append(locked, "consultation", queries.consultation_payload(locked.consultation))
            _phase(locked, Phase.OPEN, None)
        else:
            _phase(locked, Phase.REGISTRATION, None)
    _step_changed(locked)
    return trustee


@transaction.atomic
def trustee_complaint(
    person: Person,
    vote: VerifiableVote,
    *,
    against: object,
    reason: object,
    complaint: object,
) -> VerifiableVote:
    """A trustee whose share from trustee ``against`` does not match that trustee's published
    coefficients complains, revealing the message's key with a proof (``core.channel``). The
    server judges as anyone can (:func:`asamblea.verifiable.core.channel.judge`): the one at
    fault — the sender of a bad share, or the accuser of a good one — is excluded, the
    complaint and the verdict go into the body's ledger, and the ceremony restarts with a new
    manifest (same election id, so registered credentials stay valid). With fewer trustees
    than the threshold left, the vote is cancelled (a consultation's vote: the consultation
    closes, see :func:`_close`)."""
    if vote.consultation_id is not None:
        # the lock order of a consultation's close: the consultation's row, then its vote's
        list(
            Consultation.objects.select_for_update()
            .filter(pk=vote.consultation_id)
            .values_list("pk", flat=True)
        )
    locked, trustee = _ceremony(person, vote, "key")
    everyone = {t.index: t for t in queries.trustees(locked)}
    bad = Refused(_("Name another trustee of this vote."), code="bad_complaint")
    if not isinstance(against, int) or isinstance(against, bool) or against not in everyone:
        raise bad
    if against == trustee.index or not isinstance(complaint, dict):
        raise bad
    text = reason.strip() if isinstance(reason, str) else ""
    if len(text) > REASON_MAX:
        raise Refused(_("The reason is too long (at most 300 characters)."), code="bad_complaint")
    accused = everyone[against]
    message = Share.objects.filter(vote=locked, sender=against, receiver=trustee.index).first()
    if message is None or accused.commitment is None:
        raise bad
    fingerprint = queries.fingerprint(locked)
    at_fault = channel.judge(
        fingerprint,
        complaint,
        message.ciphertext,
        accuser_key=parse_point(trustee.channel_key),
        accused_key=parse_point(accused.channel_key),
        accused_coefficients=[parse_point(a) for a in accused.commitment["coefficients"]],
    )
    excluded = everyone.get(at_fault, trustee)
    record(
        locked.subject.body,
        "verifiable.complaint",
        locked.subject.ref()
        | {
            "by": person.pk,
            "by_trustee": trustee.index,
            "against": accused.person_id,
            "against_trustee": against,
            "reason": text,
            "complaint": complaint if len(canonical(complaint)) <= SHARE_MAX_BYTES else None,
            "share": message.ciphertext,
            "at_fault_trustee": excluded.index,
            "excluded": excluded.person_id,
            "board_head": locked.head,
            "board_length": locked.length,
        },
    )
    excluded.index = None
    excluded.excluded_reason = (text or "complaint")[:REASON_MAX]
    excluded.save(update_fields=["index", "excluded_reason"])
    remaining = [t for t in everyone.values() if t.pk != excluded.pk]
    if len(remaining) < locked.threshold:
        _phase(locked, Phase.CANCELLED, None, reason="fewer trustees than the threshold")
        _close(locked, None, None)
        return locked
    _restart(locked, remaining)
    return locked


def _restart(vote: VerifiableVote, remaining: Sequence[Trustee]) -> None:
    """A new ceremony: a fresh board from a new manifest, the remaining trustees numbered 1..n."""
    Share.objects.filter(vote=vote).delete()
    Record.objects.filter(vote=vote).delete()
    Trustee.objects.filter(pk__in=[t.pk for t in remaining]).update(index=None)
    for i, t in enumerate(remaining, start=1):
        Trustee.objects.filter(pk=t.pk).update(index=i, channel_key="", commitment=None, key=None)
    vote.length, vote.head = 0, "0" * 64
    vote.ceremony_round += 1
    vote.save(update_fields=["length", "head", "ceremony_round"])
    _append(vote, "manifest", _manifest(vote, len(remaining)))
    _phase(vote, Phase.CEREMONY, None, restarted=vote.ceremony_round)


# -- members: credentials and ballots --------------------------------------------------------


@transaction.atomic
def credential_register(person: Person, vote: VerifiableVote, *, credential: object) -> Credential:
    """A member registers the public credential their browser derived from a code shown once.

    It takes the member's place in the poll's (or election's) electorate as a plain ballot
    would (the conditional flip of ``Eligibility.voted`` or ``Elector.voted``), so one member
    never has both a credential and an ordinary ballot. Its weight is the member's vote weight."""
    point = _point(credential, "bad_credential")
    locked = _locked(vote)
    if locked.phase not in (Phase.CEREMONY, Phase.REGISTRATION):
        raise Conflict(_("Registration of credentials is closed."), code="wrong_phase")
    subject = locked.subject
    electorate = subject.electorate()
    eligibility = electorate.filter(person=person).first()
    if eligibility is None:
        raise NotAllowed(_("You are not in the electorate of this vote."), code="not_eligible")
    if Credential.objects.filter(vote=locked, person=person).exists():
        raise Conflict(_("You have already registered a credential."), code="already_registered")
    if Credential.objects.filter(vote=locked, credential=hx(point)).exists():
        raise Conflict(
            _("This credential is already registered. Make a new code."), code="credential_taken"
        )
    flipped = electorate.filter(pk=eligibility.pk, voted=False).update(voted=True)
    if not flipped:
        if subject.poll is not None:
            raise Conflict(_("You have already voted in this poll."), code="already_voted")
        raise Conflict(_("You have already voted in this election."), code="already_voted")
    row = Credential.objects.create(
        vote=locked, person=person, credential=hx(point), weight=eligibility.weight
    )
    publish_on_commit(Body.channel_of(subject.body_id), *subject.progress_event())
    return row


@transaction.atomic
def voting_open(facilitator: Person, vote: VerifiableVote) -> VerifiableVote:
    """The facilitator opens voting: the registered credentials go on the board (frozen)."""
    require_facilitator(facilitator, vote.subject.body)
    locked = _locked(vote)
    if locked.phase != Phase.REGISTRATION:
        raise _wrong_phase()
    rows = Credential.objects.filter(vote=locked).order_by("credential")
    _append(
        locked,
        "credentials",
        {"credentials": [{"credential": c.credential, "weight": c.weight} for c in rows]},
    )
    _phase(locked, Phase.OPEN, facilitator, credentials=len(rows))
    return locked


def ballot_check(vote: VerifiableVote, ballot: object) -> dict[str, Any]:
    """Check a ballot's shape, every point's group membership, every proof and the signature
    (``core.ballot.verify``), outside any transaction: the costly part of a cast."""
    return ballot_verified(queries.election(vote), ballot)


def ballot_verified(election: B.Election | None, ballot: object) -> dict[str, Any]:
    """:func:`ballot_check` against the vote's ``election`` (``queries.election``) read
    beforehand: no database, so it can run on any thread (the lean endpoint's pool)."""
    if election is None or not isinstance(ballot, dict) or not B.verify(election, ballot):
        raise Refused(_("This ballot does not verify: it was not counted."), code="bad_ballot")
    return ballot


def ballot_cast(person: Person, vote: VerifiableVote, *, ballot: object) -> Record:
    """Cast an encrypted ballot: verified before anything is written, then appended to the
    board under the vote's lock. The credential must be the one this member registered;
    a later ballot of the same credential replaces the earlier one in the tally."""
    if vote.phase != Phase.OPEN:
        raise Conflict(_("Voting is not open."), code="voting_closed")
    checked = ballot_check(vote, ballot)
    (stored,) = ballots_append(vote, [(person, checked)])
    if isinstance(stored, Refused):
        raise stored
    return stored


def ballots_cast(
    vote: VerifiableVote, casts: Sequence[tuple[Person, object]]
) -> list[Record | Refused]:
    """Group commit of several casts (each ``(person, ballot)``) that arrived together: every
    ballot verified one by one outside any transaction, then the good ones appended in **one**
    transaction under one lock of the vote's row. Returns, in order, each cast's board record
    or the refusal it gets (:func:`ballot_cast`'s, for the same reasons); a caller acknowledges
    a record only after this returns, i.e. after the commit. Nothing of a refused cast is
    written; a failure of the transaction writes none of them."""
    results: list[Record | Refused | None] = []
    good: list[tuple[Person, dict[str, Any]]] = []
    for person, ballot in casts:
        try:
            if vote.phase != Phase.OPEN:
                raise Conflict(_("Voting is not open."), code="voting_closed")
            good.append((person, ballot_check(vote, ballot)))
            results.append(None)
        except Refused as refusal:
            results.append(refusal)
    stored = iter(ballots_append(vote, good) if good else [])
    return [next(stored) if r is None else r for r in results]


@transaction.atomic
def ballots_append(
    vote: VerifiableVote, casts: Sequence[tuple[Person, dict[str, Any]]]
) -> list[Record | Refused]:
    """Append ballots already verified (:func:`ballot_verified`) to the board in one
    transaction: one read of the casters' credentials, one lock of the vote's row, one read of
    the trackers already on the board, one insert of the records, one update of the board's
    head. Each cast gets its record or its refusal (not registered, not the caster's own
    credential, voting closed, replayed); a caller acknowledges only after this returns."""
    mine = dict(
        Credential.objects.filter(
            vote_id=vote.pk, person_id__in={person.pk for person, _ballot in casts}
        ).values_list("person_id", "credential")
    )
    # The vote's row locked, reading only what the append needs (no model built, no join but
    # the poll's closing time): this runs once per batch of the lean endpoint's writer.
    locked = (
        VerifiableVote.objects.select_for_update(of=("self",))
        .values("phase", "length", "head", "poll__closes_at")
        .get(pk=vote.pk)
    )
    closes_at = locked["poll__closes_at"]
    closed = locked["phase"] != Phase.OPEN or (
        closes_at is not None and closes_at <= timezone.now()
    )
    trackers = [B.tracker(ballot) for _person, ballot in casts]
    seen = set(
        Record.objects.filter(
            vote_id=vote.pk, kind="ballot", tracker__in=set(trackers)
        ).values_list("tracker", flat=True)
    )
    results: list[Record | Refused] = []
    rows: list[Record] = []
    index, head = locked["length"], locked["head"]
    for (person, ballot), tracker in zip(casts, trackers, strict=True):
        credential = mine.get(person.pk)
        if credential is None:
            results.append(
                NotAllowed(_("Register your credential before voting."), code="not_registered")
            )
        elif ballot["credential"] != credential:
            results.append(
                NotAllowed(
                    _("This ballot is signed with a credential that is not yours."),
                    code="wrong_credential",
                )
            )
        elif closed:
            results.append(Conflict(_("Voting is closed."), code="voting_closed"))
        elif tracker in seen:
            results.append(Conflict(_("This ballot is already on the board."), code="replayed"))
        else:
            seen.add(tracker)
            digest = record_hash(index, "ballot", head, ballot)
            row = Record(
                vote=vote,
                index=index,
                kind="ballot",
                previous=head,
                payload=ballot,
                hash=digest,
                tracker=tracker,
            )
            rows.append(row)
            results.append(row)
            index, head = index + 1, digest
    if rows:
        Record.objects.bulk_create(rows)
        VerifiableVote.objects.filter(pk=vote.pk).update(length=index, head=head)
        vote.length, vote.head = index, head
        subject = vote.subject
        publish_on_commit(Body.channel_of(subject.body_id), *subject.progress_event())
    return results


@transaction.atomic
def voting_close(by: Person | None, vote: VerifiableVote) -> VerifiableVote:
    """Close the ballot box and put the homomorphic tally on the board (by the facilitator, or
    ``by`` None when the poll's closing time has passed)."""
    if by is not None:
        require_facilitator(by, vote.subject.body)
    locked = _locked(vote)
    if locked.phase != Phase.OPEN:
        raise _wrong_phase()
    if by is None and not locked.subject.is_past_closing_time():
        raise _wrong_phase()
    close_box(by, locked)
    return locked


def close_box(by: Person | None, locked: VerifiableVote) -> None:
    """Put the homomorphic tally of the open ballot box of ``locked`` (its row locked) on its
    board and close it: :func:`voting_close`, and a consultation's close for its assemblies."""
    election = queries.election(locked)
    assert election is not None
    weights = {
        c["credential"]: c["weight"]
        for c in Record.objects.get(vote=locked, kind="credentials").payload["credentials"]
    }
    ballots = T.last_ballots(
        r.payload for r in Record.objects.filter(vote=locked, kind="ballot").order_by("index")
    )
    shape = [q.answers for q in election.questions]
    tally, count, total = T.accumulate(ballots, weights, shape)
    _append(locked, "tally", T.tally_payload(tally, count, total))
    _phase(locked, Phase.CLOSED, by, ballots=count, total_weight=total)


@transaction.atomic
def trustee_decrypt(person: Person, vote: VerifiableVote, *, partial: object) -> VerifiableVote:
    """A trustee's partial decryption of the tally, each factor with its proof. With ``t`` of
    them, the server combines them, puts the result on the board and closes the poll (or the
    election)."""
    locked = _locked(vote)
    trustee = _my_trustee(person, locked)
    if locked.phase != Phase.CLOSED:
        raise _wrong_phase()
    if trustee.decrypted:
        raise Conflict(_("You have already done this step."), code="already_done")
    j = trustee.index or 0
    tally = queries.tally_ciphertexts(locked)
    y = parse_point(trustee.key["verification_key"])
    fingerprint = queries.fingerprint(locked)
    if not isinstance(partial, dict) or not TR.check_partial_decryption(
        fingerprint, j, partial, y, tally
    ):
        raise Refused(_("The partial decryption does not verify."), code="bad_partial")
    factors = partial["factors"]
    _append(locked, "partial_decryption", {"trustee": j, "factors": factors})
    trustee.decrypted = True
    trustee.save(update_fields=["decrypted"])
    done = [
        r.payload
        for r in Record.objects.filter(vote=locked, kind="partial_decryption").order_by("index")
    ]
    if len(done) >= locked.threshold:
        if locked.consultation_id is not None:
            from asamblea.verifiable.consultations import consultation_result

            consultation_result(locked, done[: locked.threshold], tally)
        else:
            _result(locked, done[: locked.threshold], tally)
    else:
        _step_changed(locked)
    return locked


def _result(
    vote: VerifiableVote,
    partials: Sequence[Mapping[str, Any]],
    tally: Sequence[Sequence[tuple[bytes, bytes]]],
) -> None:
    total = Record.objects.get(vote=vote, kind="tally").payload["total_weight"]
    factors = {
        p["trustee"]: [[parse_point(f["factor"]) for f in row] for row in p["factors"]]
        for p in partials
    }
    counts = T.combine([list(row) for row in tally], factors, total)
    _append(vote, "result", {"trustees": sorted(factors), "counts": counts})
    _phase(vote, Phase.RESULT, None, counts=counts)
    _close(vote, None, counts)


def _details(vote: VerifiableVote) -> dict[str, Any]:
    tally = Record.objects.filter(vote=vote, kind="tally").first()
    return {
        "ballots": tally.payload["ballots"] if tally is not None else 0,
        "board_head": vote.head,
        "board_length": vote.length,
    }


def close_if_due(vote: VerifiableVote) -> VerifiableVote:
    """Pages call this: past the poll's closing time an open ballot box closes by itself."""
    if vote.phase == Phase.OPEN and vote.subject.is_past_closing_time():
        try:
            return voting_close(None, vote)
        except Conflict:
            vote.refresh_from_db()
    return vote


def close_due(body: Body | None = None) -> int:
    """Close every open ballot box (of ``body``, if given) whose poll's closing time has passed,
    putting its tally on the board; returns how many. No actor: ``asamblea close-due`` and the
    body's page run it, so a ballot box closes on time even when nobody opens the vote's pages."""
    due = VerifiableVote.objects.filter(
        phase=Phase.OPEN, poll__closes_at__lte=timezone.now()
    ).select_related("poll__body")
    if body is not None:
        due = due.filter(poll__body=body)
    closed = 0
    for vote in due:
        try:
            voting_close(None, vote)
        except Conflict:
            continue
        closed += 1
    return closed


def on_body_viewed(sender: Any, body: Body, **kwargs: Any) -> None:
    """``bodies.signals.body_viewed``: the body's page closes its verifiable ballot boxes that
    are due, as voting closes its ordinary polls."""
    close_due(body)


def meeting_close_blocker(sender: Any, meeting: Meeting, **kwargs: Any) -> str | None:
    """``meetings.signals.meeting_closing``: a meeting does not close while one of its
    verifiable votes still takes registrations or ballots. Once its ballot box is closed, the
    tally on its board is fixed and the meeting may close; the trustees decrypt afterwards
    and the vote's result follows on its page and in the ledger."""
    if _pending_in(meeting).exists():
        return str(
            _(
                "Close the ballot box of this meeting's verifiable vote first (on its page); "
                "its trustees can decrypt the result after the meeting."
            )
        )
    return None


def on_meeting_due(sender: Any, meeting: Meeting, **kwargs: Any) -> None:
    """``meetings.signals.meeting_due``: a meeting closes itself after 24 hours, and a
    verifiable vote must not keep it open. Its open ballot box closes (the tally goes on the
    board; the trustees decrypt after the meeting); a vote whose voting never opened is
    cancelled (the poll closes without a valid count). Each vote in its own transaction, the
    poll's row locked before the vote's, as a facilitator's cancel does. No actor."""
    for poll in _pending_in(meeting):
        try:
            with transaction.atomic():
                subject = _lock_subject(poll)
                vote, _created = VerifiableVote.objects.get_or_create(**subject.vote_filter())
                locked = _locked(vote)
                if locked.phase == Phase.OPEN:
                    close_box(None, locked)
                elif locked.phase in (Phase.SETUP, Phase.CEREMONY, Phase.REGISTRATION):
                    _phase(locked, Phase.CANCELLED, None)
                    _close(locked, None, None)
        except Conflict:
            continue


def _pending_in(meeting: Meeting) -> Any:
    """The meeting's open verifiable polls still taking registrations or ballots (also those
    whose trustees are not chosen yet, which have no vote row)."""
    polls = Poll.objects.filter(
        meeting=meeting, state=Poll.State.OPEN, secrecy=Poll.Secrecy.VERIFIABLE
    )
    boxes_closed = VerifiableVote.objects.filter(
        poll__in=polls, phase__in=(Phase.CLOSED, Phase.RESULT, Phase.CANCELLED)
    ).values("poll_id")
    return polls.exclude(pk__in=boxes_closed)


def on_poll_closing(sender: Any, poll: Poll, by: Person | None, **kwargs: Any) -> None:
    """``voting.signals.poll_closing``: a verifiable poll closes only with its result (or when
    cancelled); the facilitator closes its ballot box on the vote's own page instead."""
    if not poll.is_verifiable:
        return
    phase = VerifiableVote.objects.filter(poll=poll).values_list("phase", flat=True).first()
    if phase in (Phase.RESULT, Phase.CANCELLED):
        return
    raise Conflict(
        _(
            "A verifiable vote closes when its trustees have decrypted the tally: close its "
            "ballot box on the vote's page."
        ),
        code="verifiable_pending",
    )
