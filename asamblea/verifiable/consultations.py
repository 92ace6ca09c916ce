"""Verifiable consultations (docs/verifiable-ballots.md, "Verifiable consultations").

One key ceremony for the whole consultation, among trustees the coordination chooses from its
current delegates. Every base assembly's online vote in it is a verifiable poll whose board
starts with the consultation's ceremony records (the same manifest, trustees' keys and election
key, so the same fingerprint) and goes on with its own credentials, ballots and tally. At the
close, the consultation's board receives each assembly's encrypted tally (tied to the head of
that assembly's board) and their homomorphic products by member body, sector, region and in
total; the trustees decrypt these aggregates only, never a ballot. The consultation's rule
then counts the decrypted aggregates, as coordination counts any consultation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.coordination.actions import consultation_result_verified
from asamblea.coordination.models import Consultation, ConsultedBody
from asamblea.coordination.queries import active_delegations, require_facilitator_of_coordination
from asamblea.errors import Conflict, Refused
from asamblea.verifiable import queries
from asamblea.verifiable.actions import (
    MAX_TRUSTEES,
    Phase,
    _append,
    _details,
    _locked,
    _manifest,
    _phase,
    _wrong_phase,
    close_box,
)
from asamblea.verifiable.core import tally as T
from asamblea.verifiable.core.encoding import hx, parse_point
from asamblea.verifiable.models import Record, Trustee, VerifiableVote
from asamblea.voting.actions import poll_close_verified
from asamblea.voting.models import Poll
from asamblea.voting.rules import Tally

GROUPS = ("assembly", "member", "sector", "region", "total")


@transaction.atomic
def consultation_setup(
    facilitator: Person, consultation: Consultation, *, trustees: Sequence[Person], threshold: int
) -> VerifiableVote:
    """A facilitator of the coordination chooses the trustees among its current delegates and
    the threshold ``t`` of ``n``; the manifest becomes record 0 of the consultation's board and
    the key ceremony starts (the same ceremony as a poll's, from the trustees' browsers)."""
    require_facilitator_of_coordination(facilitator, consultation.coordination)
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if not locked.verifiable:
        raise Refused(_("This consultation is not verifiable."), code="not_verifiable")
    if not locked.is_open or locked.is_past_deadline():
        raise Conflict(_("This consultation is closed."), code="consultation_closed")
    if VerifiableVote.objects.filter(consultation=locked).exists():
        raise Conflict(_("The trustees of this vote are already chosen."), code="already_done")
    people = list({p.pk: p for p in trustees}.values())
    if not 1 <= len(people) <= MAX_TRUSTEES:
        raise Refused(
            _("Choose between 1 and %(max)s trustees.") % {"max": MAX_TRUSTEES},
            code="bad_trustees",
        )
    delegates = set(
        active_delegations(coordination=locked.coordination, person__in=people).values_list(
            "person_id", flat=True
        )
    )
    if any(p.pk not in delegates for p in people):
        raise Refused(
            _("Every trustee must be a current delegate to this coordination."),
            code="bad_trustees",
        )
    if not 1 <= threshold <= len(people):
        raise Refused(
            _("The threshold is between 1 and the number of trustees."), code="bad_threshold"
        )
    vote = VerifiableVote.objects.create(consultation=locked, threshold=threshold)
    ordered = sorted(people, key=lambda p: p.pk)
    Trustee.objects.bulk_create(
        [Trustee(vote=vote, person=p, index=i) for i, p in enumerate(ordered, start=1)]
    )
    vote = _locked(vote)
    _append(vote, "manifest", _manifest(vote, len(ordered)))
    _phase(vote, Phase.CEREMONY, facilitator, trustees=[p.pk for p in ordered], threshold=threshold)
    return vote


def on_consultation_poll_opened(
    sender: Any, row: ConsultedBody, poll: Poll, by: Person, **kwargs: Any
) -> None:
    """``coordination.signals.consultation_poll_opened``: the assembly's new poll becomes a
    verifiable vote under the consultation's election key, its board starting with the
    consultation's ceremony records; registration of credentials opens at once. Refused (and
    the poll with it) until the trustees have made the key."""
    main = VerifiableVote.objects.filter(consultation_id=row.consultation_id).first()
    if main is None or main.phase != Phase.OPEN:
        raise Conflict(
            _(
                "The trustees have not made the consultation's election key yet: the "
                "assemblies can vote once they have."
            ),
            code="key_not_ready",
        )
    main = _locked(main)
    if main.phase != Phase.OPEN:
        raise _wrong_phase()
    prefix = list(
        Record.objects.filter(vote=main, kind__in=queries.CEREMONY_KINDS).order_by("index")
    )
    part = VerifiableVote.objects.create(
        poll=poll,
        part_of=main,
        threshold=main.threshold,
        ceremony_round=main.ceremony_round,
    )
    Record.objects.bulk_create(
        [
            Record(
                vote=part,
                index=r.index,
                kind=r.kind,
                previous=r.previous,
                payload=r.payload,
                hash=r.hash,
            )
            for r in prefix
        ]
    )
    part.length, part.head = len(prefix), prefix[-1].hash
    part.save(update_fields=["length", "head"])
    part = _locked(part)
    _phase(part, Phase.REGISTRATION, by, consultation=row.consultation_id, key_head=part.head)


def on_consultation_closing(
    sender: Any, consultation: Consultation, by: Person | None, **kwargs: Any
) -> None:
    """``coordination.signals.consultation_closing`` (the consultation is locked): close every
    assembly's ballot box (one never opened is cancelled: that assembly did not decide), put
    each encrypted tally and their products on the consultation's board for the trustees to
    decrypt. With nothing to decrypt, the consultation is counted at once (nobody decided)."""
    main = VerifiableVote.objects.filter(consultation=consultation).first()
    if main is not None:
        main = _locked(main)
    if main is None or main.phase != Phase.OPEN:
        if main is not None and not main.is_finished:
            _phase(main, Phase.CANCELLED, by, reason="no election key before the close")
        _count_now(consultation)
        return
    tallied: list[VerifiableVote] = []
    for part in queries.parts(main):
        part = _locked(part)
        if part.phase == Phase.OPEN:
            close_box(by, part)
        elif part.phase in (Phase.SETUP, Phase.CEREMONY, Phase.REGISTRATION):
            _phase(part, Phase.CANCELLED, by, reason="consultation closed before voting opened")
            poll_close_verified(None, part.poll, counted=None, details=_details(part))
            continue
        if part.phase == Phase.CLOSED:
            tallied.append(part)
    if not tallied:
        _phase(main, Phase.CANCELLED, by, reason="no assembly voted")
        _count_now(consultation)
        return
    assemblies = Record.objects.get(vote=main, kind="consultation").payload["assemblies"]
    ids = []
    tallies: dict[int, list[list[tuple[bytes, bytes]]]] = {}
    for part in tallied:
        tally = Record.objects.get(vote=part, kind="tally")
        body = part.poll.body_id
        ids.append(body)
        tallies[body] = queries.tally_ciphertexts(part)
        _append(
            main,
            "assembly_tally",
            {
                "assembly": body,
                "head": tally.hash,
                "length": part.length,
                "ballots": tally.payload["ballots"],
                "total_weight": tally.payload["total_weight"],
                "ciphertexts": tally.payload["ciphertexts"],
            },
        )
    groups = aggregate_groups(assemblies, ids)
    ciphertexts = [
        [[hx(a), hx(b)] for a, b in T.merge([tallies[i] for i in g["assemblies"]])[0]]
        for g in groups
    ]
    _append(main, "aggregates", {"groups": groups, "ciphertexts": ciphertexts})
    _phase(main, Phase.CLOSED, by, assemblies=len(ids))


def _count_now(consultation: Consultation) -> None:
    consultation_result_verified(consultation)


def aggregate_groups(
    assemblies: Sequence[Mapping[str, Any]], tallied: Sequence[int]
) -> list[dict[str, Any]]:
    """The aggregates decrypted for a consultation, in their board order: each assembly that
    has a tally (in the order of its ``assembly_tally`` record), then by member body, by
    sector (an assembly without a sector under ""), by region (each sorted by key), and the
    total; each with the sorted list of the tallied assemblies it multiplies."""
    known = {a["assembly"]: a for a in assemblies}
    buckets: dict[str, dict[str, list[int]]] = {g: defaultdict(list) for g in GROUPS[1:4]}
    for body in tallied:
        a = known[body]
        buckets["member"][str(a["member_of"])].append(body)
        for sector in a["sectors"] or [""]:
            buckets["sector"][sector].append(body)
        buckets["region"][a["region"]].append(body)
    groups = [{"group": "assembly", "key": str(b), "assemblies": [b]} for b in tallied]
    for name in GROUPS[1:4]:
        groups += [
            {"group": name, "key": key, "assemblies": sorted(buckets[name][key])}
            for key in sorted(buckets[name])
        ]
    groups.append({"group": "total", "key": "", "assemblies": sorted(tallied)})
    return groups


def consultation_result(
    main: VerifiableVote,
    partials: Sequence[Mapping[str, Any]],
    rows: Sequence[Sequence[tuple[bytes, bytes]]],
) -> None:
    """With ``t`` partial decryptions of the aggregates: combine them, close each assembly's
    poll with its decrypted counts (its ConsultedBody row decides), count the consultation by
    its rule, and put the result with its breakdowns on the board (``main`` is locked)."""
    aggregates = Record.objects.get(vote=main, kind="aggregates").payload
    bound = sum(
        r.payload["total_weight"] for r in Record.objects.filter(vote=main, kind="assembly_tally")
    )
    factors = {
        p["trustee"]: [[parse_point(f["factor"]) for f in row] for row in p["factors"]]
        for p in partials
    }
    counts = T.combine([list(row) for row in rows], factors, bound)
    by_body = {
        int(g["key"]): c
        for g, c in zip(aggregates["groups"], counts, strict=True)
        if g["group"] == "assembly"
    }
    for part in queries.parts(main):
        if part.poll.body_id not in by_body or part.phase != Phase.CLOSED:
            continue
        part = _locked(part)
        yes, no, abstain = by_body[part.poll.body_id]
        _phase(part, Phase.RESULT, None, counts=[[yes, no, abstain]], consultation_head=main.head)
        poll_close_verified(
            None,
            part.poll,
            counted=Tally(yes, no, abstain),
            details=_details(part) | {"counts": [[yes, no, abstain]], "consultation": True},
        )
    consultation = consultation_result_verified(main.consultation)
    _append(
        main,
        "result",
        {
            "trustees": sorted(factors),
            "counts": counts,
            "outcome": outcome_payload(consultation.result or {}),
        },
    )
    _phase(main, Phase.RESULT, None, adopted=(consultation.result or {})["total"]["adopted"])


def _group_outcome(group: str, g: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "group": group,
        "key": g["key"],
        "yes": int(g["yes"]),
        "no": int(g["no"]),
        "abstain": int(g["abstain"]),
        "electorate": int(g["electorate"]),
        "quorum_met": g["quorum_met"],
        "majority_met": g["majority_met"],
        "adopted": g["adopted"],
    }


def outcome_payload(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The consultation's count by its rule, for the board: the total, then every breakdown
    (by member body, sector, region, assembly), each with the rule's yes / no / abstain, its
    electorate and whether the quorum, the majority and the motion were met."""
    out = [_group_outcome("total", result["total"])]
    for group, key in (
        ("member", "by_member"),
        ("sector", "by_sector"),
        ("region", "by_region"),
        ("assembly", "by_body"),
    ):
        out += [_group_outcome(group, g) for g in result[key]]
    return out
