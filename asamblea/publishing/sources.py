"""What a body publishes, one small source per kind of record.

A source says which ledger entries make a public record of its kind (``index``: from the body
and the entry's payload to a :class:`Draft`, or None), where the record is read (``link``), how
it is named in the reader's language (``label``), and whether it is a decision (listed on the
resolutions page) or only news (minutes: in the feed). The receiver of
:data:`asamblea.bodies.signals.recorded` writes a :class:`Publication` row in the same
transaction as the ledger entry, so the resolutions page and the feeds read one indexed table.

To publish a new kind (an adopted document, a pledge) add one :class:`Source` to ``SOURCES``.

Only records of the ledger's own body are indexed: an entry copied into another body's ledger
(a coordination's decision in its member assemblies) never names the other body's records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body
from asamblea.publishing.models import Publication

Payload = dict[str, Any]


@dataclass(frozen=True)
class Draft:
    """What a source makes of a ledger entry: the record's id, title, outcome and figures."""

    object_id: int
    title: str
    outcome: str = ""
    ref: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Source:
    kind: str
    label: Any  # lazily translated name of the kind, plural
    ledger_kinds: tuple[str, ...]
    index: Callable[[Body, str, Payload], Draft | None]
    link: Callable[[Publication, str], str]  # (publication, body slug) -> path
    decision: bool = True
    # Ledger kinds that take the record down again (minutes withdrawn): payload -> object id.
    retract: dict[str, Callable[[Payload], int | None]] = field(default_factory=dict)


# Counts worth publishing from a yes / no / abstain result (never who voted what).
_COUNTS = ("yes", "no", "abstain", "cast", "electorate", "participants", "quorum_met", "valid")


def _counts(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        return {}
    return {key: result[key] for key in _COUNTS if key in result}


def _outcome(result: Any) -> str:
    if not isinstance(result, dict):
        return ""
    if result.get("valid") is False:
        return "void"
    return "adopted" if result.get("adopted") else "rejected"


def _int(payload: Payload, key: str) -> int | None:
    value = payload.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- Votes of an assembly (on a motion, or on a question) -------------------------------------


def _poll_draft(body: Body, payload: Payload, with_motion: bool) -> Draft | None:
    from asamblea.voting.models import Poll

    pk = _int(payload, "poll")
    poll = Poll.objects.filter(pk=pk, body=body).select_related("motion").first()
    if poll is None or (poll.motion_id is not None) != with_motion:
        return None
    data = _counts(poll.result) | {"secret": poll.is_secret, "method": poll.method}
    if poll.motion is not None:
        data["motion_title"] = poll.motion.title
    return Draft(
        object_id=poll.pk,
        title=poll.title,
        outcome=_outcome(poll.result),
        ref=poll.motion.number if poll.motion is not None else None,
        data=data,
    )


def _poll_link(pub: Publication, slug: str) -> str:
    return reverse("voting:detail", kwargs={"slug": slug, "pk": pub.object_id})


# --- Elections --------------------------------------------------------------------------------


def _election_draft(body: Body, kind: str, payload: Payload) -> Draft | None:
    from asamblea.elections.models import Election

    election = Election.objects.filter(pk=_int(payload, "election"), body=body).first()
    if election is None:
        return None
    winners = [str(w[1]) for w in payload.get("winners", []) if isinstance(w, list) and len(w) > 1]
    return Draft(
        object_id=election.pk,
        title=election.title,
        outcome="elected" if winners else "",
        data={
            "winners": winners,
            "participants": payload.get("participants"),
            "secret": election.is_secret,
            "method": election.method,
        },
    )


def _election_link(pub: Publication, slug: str) -> str:
    return reverse("elections:result", kwargs={"slug": slug, "pk": pub.object_id})


# --- A coordination's decisions -----------------------------------------------------------------


def _delegate_vote_draft(body: Body, kind: str, payload: Payload) -> Draft | None:
    from asamblea.coordination.models import CoordinationVote

    vote = (
        CoordinationVote.objects.filter(pk=_int(payload, "vote"), coordination=body)
        .select_related("motion")
        .first()
    )
    if vote is None:
        return None
    return Draft(
        object_id=vote.pk,
        title=vote.title,
        outcome=_outcome(vote.result),
        ref=vote.motion.number,
        data=_counts(vote.result) | {"weighting": vote.weighting},
    )


def _delegate_vote_link(pub: Publication, slug: str) -> str:
    return reverse("coordination:vote", kwargs={"slug": slug, "pk": pub.object_id})


def _consultation_draft(body: Body, kind: str, payload: Payload) -> Draft | None:
    from asamblea.coordination.models import Consultation

    consultation = (
        Consultation.objects.filter(pk=_int(payload, "consultation"), coordination=body)
        .select_related("motion")
        .first()
    )
    if consultation is None or not consultation.result:
        return None
    total = consultation.result.get("total", {})
    return Draft(
        object_id=consultation.pk,
        title=consultation.title,
        outcome=_outcome(total),
        ref=consultation.motion.number,
        data=_counts(total)
        | {"rule": consultation.rule, "bodies": total.get("bodies")}
        | {"decided": total.get("decided")},
    )


def _consultation_link(pub: Publication, slug: str) -> str:
    return reverse("coordination:consultation", kwargs={"slug": slug, "pk": pub.object_id})


# --- Statements and minutes -------------------------------------------------------------------


def _statement_draft(body: Body, kind: str, payload: Payload) -> Draft | None:
    from asamblea.publishing.models import Statement

    statement = Statement.objects.filter(pk=_int(payload, "statement"), body=body).first()
    if statement is None or not statement.is_published:
        return None
    return Draft(
        object_id=statement.pk,
        title=statement.title,
        outcome="published",
        ref=statement.number,
        data={
            "adopted_by": "vote"
            if statement.poll_id or statement.delegate_vote_id
            else "facilitators"
        },
    )


def _statement_link(pub: Publication, slug: str) -> str:
    return reverse("publishing:statement", kwargs={"slug": slug, "number": pub.ref})


def _minutes_draft(body: Body, kind: str, payload: Payload) -> Draft | None:
    from asamblea.meetings.models import Meeting

    meeting = Meeting.objects.filter(pk=_int(payload, "meeting"), body=body).first()
    if meeting is None or meeting.minutes_published_at is None:
        return None
    return Draft(object_id=meeting.pk, title=meeting.title, outcome="published")


def _minutes_link(pub: Publication, slug: str) -> str:
    return reverse("meetings:minutes", kwargs={"slug": slug, "pk": pub.object_id})


# --- Documents adopted as a whole (asamblea.documents) ------------------------------------------


def _document_draft(body: Body, kind: str, payload: Payload) -> Draft | None:
    from asamblea.documents.models import Document

    document = Document.objects.filter(number=_int(payload, "document"), body=body).first()
    if document is None or document.state != Document.State.ADOPTED:
        return None
    return Draft(
        object_id=document.pk,
        title=document.title,
        outcome="adopted",
        ref=document.number,
        data={
            "kind": document.kind,
            "version": document.adopted_version,
            "hash": document.adopted_hash,
        },
    )


def _document_link(pub: Publication, slug: str) -> str:
    return reverse("documents:text", kwargs={"slug": slug, "number": pub.ref})


# --- Pledges: triggered or lapsed, and the follow-through share ------------------------------


def _pledge_draft(body: Body, kind: str, payload: Payload) -> Draft | None:
    """A pledge of ``body`` that triggered or lapsed (counts only, never who committed); the
    follow-through's close adds the share of commitments kept to the same record."""
    from asamblea.pledges.models import Pledge

    pledge = Pledge.objects.filter(pk=_int(payload, "pledge"), body=body).first()
    if pledge is None or pledge.is_open or not pledge.result:
        return None
    data = {key: pledge.result.get(key) for key in ("people", "assemblies", "committed")}
    if kind == "pledge.followup_closed":
        data |= {key: payload.get(key) for key in ("kept", "commitments", "share")}
    return Draft(object_id=pledge.pk, title=pledge.title, outcome=pledge.state, data=data)


def _pledge_link(pub: Publication, slug: str) -> str:
    return reverse("pledges:detail", kwargs={"slug": slug, "pk": pub.object_id})


SOURCES: list[Source] = [
    Source(
        "motion",
        _("Motions decided"),
        ("poll.closed",),
        lambda body, kind, payload: _poll_draft(body, payload, with_motion=True),
        _poll_link,
    ),
    Source(
        "vote",
        _("Other votes"),
        ("poll.closed",),
        lambda body, kind, payload: _poll_draft(body, payload, with_motion=False),
        _poll_link,
    ),
    Source("election", _("Elections"), ("election.closed",), _election_draft, _election_link),
    Source(
        "delegate_vote",
        _("Delegates' votes"),
        ("coordination.vote_closed",),
        _delegate_vote_draft,
        _delegate_vote_link,
    ),
    Source(
        "consultation",
        _("Consultations"),
        ("consultation.closed",),
        _consultation_draft,
        _consultation_link,
    ),
    Source(
        "statement", _("Statements"), ("statement.published",), _statement_draft, _statement_link
    ),
    Source("document", _("Adopted texts"), ("document.adopted",), _document_draft, _document_link),
    Source(
        "minutes",
        _("Minutes"),
        ("minutes.published",),
        _minutes_draft,
        _minutes_link,
        decision=False,
        retract={"minutes.withdrawn": lambda payload: _int(payload, "meeting")},
    ),
    Source(
        "pledge",
        _("Pledges"),
        ("pledge.triggered", "pledge.lapsed", "pledge.followup_closed"),
        _pledge_draft,
        _pledge_link,
        decision=False,
    ),
]

BY_KIND: dict[str, Source] = {source.kind: source for source in SOURCES}
DECISION_KINDS: tuple[str, ...] = tuple(s.kind for s in SOURCES if s.decision)


def _by_ledger_kind() -> dict[str, list[Source]]:
    table: dict[str, list[Source]] = {}
    for source in SOURCES:
        for ledger_kind in (*source.ledger_kinds, *source.retract):
            table.setdefault(ledger_kind, []).append(source)
    return table


_BY_LEDGER_KIND = _by_ledger_kind()


def link(pub: Publication, slug: str) -> str:
    return BY_KIND[pub.kind].link(pub, slug)


def _moment(at: str) -> datetime:
    moment = parse_datetime(at)
    if moment is None:
        raise ValueError(f"not a ledger time: {at!r}")
    return moment


def index_entry(body: Body, kind: str, seq: int, at: str, entry_hash: str, payload: Payload) -> int:
    """Index one ledger entry of ``body``: write (or take down) the publications it makes.
    Returns how many rows it touched. Idempotent: replaying the ledger gives the same rows."""
    touched = 0
    for source in _BY_LEDGER_KIND.get(kind, ()):
        if kind in source.retract:
            object_id = source.retract[kind](payload)
            if object_id is not None:
                touched += Publication.objects.filter(
                    body=body, kind=source.kind, object_id=object_id
                ).delete()[0]
            continue
        draft = source.index(body, kind, payload)
        if draft is None:
            continue
        Publication.objects.update_or_create(
            body=body,
            kind=source.kind,
            object_id=draft.object_id,
            defaults={
                "ref": draft.ref,
                "title": draft.title,
                "outcome": draft.outcome,
                "data": draft.data,
                "at": _moment(at),
                "ledger_seq": seq,
                "ledger_hash": entry_hash,
            },
        )
        touched += 1
    return touched


def on_recorded(sender: Any, body: Body, kind: str, entry: Any, **kwargs: Any) -> None:
    """Receiver of :data:`asamblea.bodies.signals.recorded`, inside the writer's transaction:
    the publication commits or rolls back with the ledger entry it comes from. Entries of
    kinds no source reads cost a dictionary lookup."""
    if kind not in _BY_LEDGER_KIND:
        return
    index_entry(body, kind, entry.seq, entry.at, entry.hash, json.loads(entry.payload))


def reindex(bodies: Iterable[Body]) -> int:
    """Rebuild the publications of ``bodies`` from their ledgers (for records written before
    this app was installed, or after restoring a backup). Returns the rows written."""
    from asamblea.ledger.models import LedgerEntry

    written = 0
    kinds = list(_BY_LEDGER_KIND)
    for body in bodies:
        with transaction.atomic():
            entries = LedgerEntry.objects.filter(chain=body.ledger_chain, kind__in=kinds)
            for entry in entries.order_by("seq").iterator():
                written += index_entry(
                    body, entry.kind, entry.seq, entry.at, entry.hash, json.loads(entry.payload)
                )
    return written
