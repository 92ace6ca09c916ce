"""Writes on documents: drafting, amending, sending up, merging, compromises, blocks and the
final vote. Each checks rights, writes in one transaction, records in the ledger and publishes
its live event after commit. Decisions themselves are taken by the existing machinery on the
motions these functions create (see :mod:`asamblea.documents.settle`).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from asamblea.accounts.models import Person, Visitor
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import active_membership, require_facilitator, require_member
from asamblea.coordination.actions import motion_forward
from asamblea.coordination.models import Forward, ForwardVote
from asamblea.coordination.queries import active_delegations, is_member_body
from asamblea.documents import core
from asamblea.documents.models import (
    AMENDMENT_MAX,
    DOCUMENT_MAX,
    REASON_MAX,
    Amendment,
    Block,
    CommissionMember,
    Consent,
    Document,
    DocumentVersion,
    splice_diff,
)
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.motions.actions import motion_submit, set_state
from asamblea.motions.models import TEXT_MAX, TITLE_MAX, Motion, MotionVersion, StateChange

MAX_BLOCK = 500

CHANGE_ERRORS = {
    "unknown_paragraph": gettext_lazy(
        "That paragraph is not in the current text (it was changed or removed): reload the "
        "document and choose again."
    ),
    "range_order": gettext_lazy(
        "The range ends before it starts: choose the first paragraph first."
    ),
    "empty_text": gettext_lazy("Write the new text (to remove a paragraph, choose Delete)."),
    "text_with_delete": gettext_lazy("A deletion has no new text: leave it empty."),
    "id_taken": gettext_lazy("This change collides with the text's paragraph numbering."),
    "changed": gettext_lazy("The paragraph changed since this amendment was written."),
    "not_contiguous": gettext_lazy("The paragraphs of this range are no longer together."),
}


def _channel(document: Document) -> str:
    return f"body:{document.body_id}"


def change_refusal(exc: core.ChangeError) -> Refused:
    message = CHANGE_ERRORS.get(exc.code, gettext_lazy("This change cannot be made."))
    return Refused(message, code=exc.code)


def current_text(document: Document) -> core.Text:
    version = DocumentVersion.objects.get(document=document, number=document.version)
    return version.text


def is_commission(person: Visitor, document: Document) -> bool:
    """The drafting commission: its named members and the body's facilitators."""
    if person is None or not person.is_authenticated:
        return False
    membership = active_membership(person, document.body)
    if membership is not None and membership.is_facilitator:
        return True
    return CommissionMember.objects.filter(document=document, person=person).exists()


def require_commission(person: Person, document: Document) -> None:
    if not is_commission(person, document):
        raise NotAllowed(_("Only the drafting commission can do this."))


def _lock(document: Document) -> Document:
    return Document.objects.select_for_update().select_related("body").get(pk=document.pk)


def _require_drafting(document: Document) -> None:
    if document.state == Document.State.ADOPTED:
        raise Conflict(
            _("This text is adopted: it can no longer be amended."), code="document_adopted"
        )
    if document.state != Document.State.DRAFTING:
        raise Conflict(
            _("The final vote on the whole text is under way: no amendments now."),
            code="final_vote",
        )


def _new_motion(body: Body, title: str, text: str, reasons: str, author: Any, note: str) -> Motion:
    """A motion put straight on the body's agenda (``supported``): a delegate's amendment, an
    agreed merge or compromise, a block, the final vote. The body row is locked for the
    numbering, as in ``motion_submit``."""
    Body.objects.select_for_update().filter(pk=body.pk).first()
    number = (Motion.objects.filter(body=body).aggregate(n=Max("number"))["n"] or 0) + 1
    motion = Motion.objects.create(
        body=body,
        number=number,
        title=title[:TITLE_MAX],
        text=text[:TEXT_MAX],
        reasons=reasons[:TEXT_MAX],
        author=author,
        state=Motion.State.SUPPORTED,
    )
    MotionVersion.objects.create(
        motion=motion, number=1, title=motion.title, text=motion.text, reasons=motion.reasons
    )
    StateChange.objects.create(motion=motion, to_state=Motion.State.SUPPORTED, reason=note)
    record(
        body,
        "motion.submitted",
        {
            "motion": number,
            "title": motion.title,
            "author": author.pk if author is not None else None,
            "version": 1,
            "reason": note,
        },
    )
    return motion


# --- documents --------------------------------------------------------------------------------


@transaction.atomic
def document_create(person: Person, body: Body, *, title: str, kind: str, text: str) -> Document:
    """A facilitator of the body opens a document for amendments; its creator joins the
    drafting commission. The body row is locked for the numbering."""
    require_facilitator(person, body)
    title = (title or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise Refused(_("A document needs a title of at most 200 characters."))
    if kind not in Document.Kind.values:
        raise Refused(_("Choose the kind of document."))
    if len(text or "") > DOCUMENT_MAX:
        raise Refused(_("The text is too long (at most 100,000 characters)."))
    paragraphs = core.initial_text(text or "")
    if not paragraphs:
        raise Refused(_("Write the draft text: paragraphs separated by a blank line."))
    Body.objects.select_for_update().filter(pk=body.pk).first()
    number = (Document.objects.filter(body=body).aggregate(n=Max("number"))["n"] or 0) + 1
    document = Document.objects.create(
        body=body, number=number, title=title, kind=kind, created_by=person
    )
    digest = core.text_hash(title, paragraphs)
    DocumentVersion.objects.create(
        document=document,
        number=1,
        title=title,
        paragraphs=[[p.pid, p.text] for p in paragraphs],
        hash=digest,
    )
    CommissionMember.objects.create(document=document, person=person, added_by=person)
    record(
        body,
        "document.created",
        {"document": number, "title": title, "kind": kind, "version": 1, "hash": digest},
    )
    publish_on_commit(_channel(document), "document", {"document": number})
    return document


@transaction.atomic
def commission_add(facilitator: Person, document: Document, person: Person) -> CommissionMember:
    """A facilitator names someone to the drafting commission: a member of the body or, for a
    coordination, a delegate of one of its member bodies."""
    require_facilitator(facilitator, document.body)
    belongs = active_membership(person, document.body) is not None or (
        active_delegations(person=person, coordination=document.body).exists()
    )
    if not belongs:
        raise Refused(_("Only members or delegates can sit on the drafting commission."))
    try:
        with transaction.atomic():
            seat = CommissionMember.objects.create(
                document=document, person=person, added_by=facilitator
            )
    except IntegrityError as exc:
        raise Conflict(_("This person is already on the drafting commission.")) from exc
    record(document.body, "document.commission", {"document": document.number, "person": person.pk})
    return seat


# --- amendments -------------------------------------------------------------------------------


def paragraph_label(text: core.Text, op: str, start: str, end: str) -> str:
    """How people name the place: "§4", "§4–6", "after §4", "at the beginning"."""
    where = {p.pid: i for i, p in enumerate(text, 1)}
    if op == Amendment.Op.INSERT_AFTER:
        return "§0+" if start == "" else f"§{where.get(start, '?')}+"
    first, last = where.get(start, "?"), where.get(end or start, "?")
    return f"§{first}" if first == last else f"§{first}–{last}"


def _motion_text(op: str, label: str, markdown: str) -> str:
    heading = {
        "replace": _("Replace %(where)s with:"),
        "insert_after": _("Insert after %(where)s:"),
        "delete": _("Delete %(where)s."),
    }[op] % {"where": label}
    if op == "delete":
        return heading
    quoted = "\n".join(f"> {line}" if line else ">" for line in markdown.splitlines())
    return f"{heading}\n\n{quoted}"


def _check_amendment(op: str, markdown: str, reason: str) -> None:
    if op not in Amendment.Op.values:
        raise Refused(_("Choose replace, insert after or delete."))
    if len(markdown) > AMENDMENT_MAX:
        raise Refused(_("The new text is too long (at most 10,000 characters)."))
    if len(reason) > REASON_MAX:
        raise Refused(_("The reason is too long (at most 5,000 characters)."))


def _delegation_for(person: Person, coordination: Body) -> Body | None:
    delegation = (
        active_delegations(person=person, coordination=coordination)
        .select_related("body")
        .order_by("pk")
        .first()
    )
    return delegation.body if delegation is not None else None


def _next_amendment_number(document: Document) -> int:
    found = Amendment.objects.filter(document=document).aggregate(n=Max("number"))["n"]
    return (found or 0) + 1


@transaction.atomic
def amendment_submit(
    person: Person,
    document: Document,
    *,
    body: Body,
    op: str,
    start: str,
    end: str = "",
    markdown: str = "",
    reason: str = "",
    version: int | None = None,
) -> Amendment:
    """Put an amendment to ``document`` in ``body``: the document's own body (its members; in a
    coordination, a delegate tables it under their body's mandate and it goes on the agenda) or
    a member assembly of it (its members; the assembly decides it and may send it up).

    ``version`` is the version the author read: if the text changed since, the amendment is
    refused so nobody amends text they have not seen. The document row is locked for the
    numbering and so no amendment slips in after the final vote opened."""
    locked = _lock(document)
    _require_drafting(locked)
    markdown, reason = (markdown or "").strip(), (reason or "").strip()
    _check_amendment(op, markdown, reason)
    tabled_for = None
    if body.pk == locked.body_id:
        if body.is_assembly:
            require_member(person, body)
        else:
            tabled_for = _delegation_for(person, body)
            if tabled_for is None:
                raise NotAllowed(_("Only delegates of member bodies table amendments here."))
    else:
        require_member(person, body)
        if not is_member_body(body, locked.body):
            raise NotAllowed(_("This assembly is not a member of the body drafting the text."))
    if version is not None and version != locked.version:
        raise Conflict(
            _("The text changed since you opened it (now version %(v)s): reload and try again.")
            % {"v": locked.version},
            code="stale_version",
        )
    text = current_text(locked)
    number = _next_amendment_number(locked)
    change = core.Change(core.Op(op), start or "", end or "", markdown, key=f"a{number}")
    try:
        splice = core.compile_change(text, change)
    except core.ChangeError as exc:
        raise change_refusal(exc) from exc
    label = paragraph_label(text, op, start or "", end or "")
    title = _("Amendment %(n)s to «%(doc)s», %(where)s") % {
        "n": number,
        "doc": locked.title[:120],
        "where": label,
    }
    motion_text = _motion_text(op, label, markdown)
    if tabled_for is not None:
        note = f"tabled by a delegate of body {tabled_for.pk}"
        motion = _new_motion(body, title, motion_text, reason, person, note)
    else:
        motion = motion_submit(person, body, title=title, text=motion_text, reasons=reason)
    amendment = Amendment.objects.create(
        document=locked,
        number=number,
        body=body,
        motion=motion,
        op=op,
        start=start or "",
        end=(end or start or "") if op != Amendment.Op.INSERT_AFTER else "",
        markdown=markdown,
        reason=reason,
        base_version=locked.version,
        splice=splice.to_json(),
        diff=splice_diff(splice),
        where=label,
        state=motion.state,
        author=person,
        tabled_for=tabled_for,
    )
    payload = {"document": locked.number, "amendment": number, "motion": motion.number}
    record(body, "document.amendment_submitted", payload | {"where": label, "op": op})
    if body.pk != locked.body_id:
        record(locked.body, "document.amendment_submitted", payload | {"body": body.pk})
    publish_on_commit(_channel(locked), "document", {"document": locked.number})
    return amendment


@transaction.atomic
def amendment_send_up(person: Person, amendment: Amendment) -> Forward | ForwardVote:
    """Send an amendment its assembly adopted up to the body drafting the document, by the
    coordination's rule for forwarding motions (a vote of the assembly's members, or its
    facilitator at once). Its backing grows as other member bodies back it; when the
    coordination's threshold is met it reaches the agenda as an amendment of the document."""
    document = amendment.document
    if amendment.body_id == document.body_id:
        raise Conflict(_("This amendment is already before the body drafting the text."))
    if document.state != Document.State.DRAFTING:
        _require_drafting(document)
    if amendment.state != Amendment.State.ADOPTED:
        raise Conflict(_("Only an amendment the assembly adopted can be sent up."))
    return motion_forward(person, amendment.motion, document.body)


# --- merges and compromises -------------------------------------------------------------------


@transaction.atomic
def proposal_make(
    person: Person,
    document: Document,
    *,
    kind: str,
    numbers: list[int],
    op: str,
    start: str,
    end: str = "",
    markdown: str = "",
    reason: str = "",
) -> Amendment:
    """The drafting commission proposes one text in place of several amendments before the
    body: a merge (duplicates; it keeps the backing of all) or a compromise (conflicting
    amendments). It goes on the agenda once every author has consented (:func:`consent_answer`).
    Locks the document row and the amendments' rows."""
    locked = _lock(document)
    require_commission(person, locked)
    _require_drafting(locked)
    if kind not in (Amendment.Kind.MERGE, Amendment.Kind.COMPROMISE):
        raise Refused(_("Choose a merge or a compromise."))
    markdown, reason = (markdown or "").strip(), (reason or "").strip()
    _check_amendment(op, markdown, reason)
    wanted = sorted(set(numbers))
    if len(wanted) < 2:
        raise Refused(_("Choose at least two amendments."))
    replaced = list(
        Amendment.objects.select_for_update().filter(
            document=locked, body=locked.body, number__in=wanted
        )
    )
    if len(replaced) != len(wanted):
        raise Refused(_("Choose amendments that are before the body drafting the text."))
    if any(a.state not in (Amendment.State.SUBMITTED, Amendment.State.SUPPORTED) for a in replaced):
        raise Conflict(_("Only amendments waiting for a decision can be merged or replaced."))
    text = current_text(locked)
    number = _next_amendment_number(locked)
    change = core.Change(core.Op(op), start or "", end or "", markdown, key=f"a{number}")
    try:
        splice = core.compile_change(text, change)
    except core.ChangeError as exc:
        raise change_refusal(exc) from exc
    proposal = Amendment.objects.create(
        document=locked,
        number=number,
        body=locked.body,
        motion=None,
        kind=kind,
        op=op,
        start=start or "",
        end=(end or start or "") if op != Amendment.Op.INSERT_AFTER else "",
        markdown=markdown,
        reason=reason,
        base_version=locked.version,
        splice=splice.to_json(),
        diff=splice_diff(splice),
        where=paragraph_label(text, op, start or "", end or ""),
        state=Amendment.State.PROPOSED,
        author=person,
    )
    Consent.objects.bulk_create([Consent(proposal=proposal, amendment=a) for a in replaced])
    record(
        locked.body,
        "document.proposal_made",
        {"document": locked.number, "amendment": number, "kind": kind, "replaces": wanted},
    )
    publish_on_commit(_channel(locked), "document", {"document": locked.number})
    return proposal


def may_answer_for(person: Visitor, amendment: Amendment) -> bool:
    """An amendment's author answers for it; one without an author (gone) is answered by a
    facilitator of the body it came from."""
    if person is None or not person.is_authenticated:
        return False
    if amendment.author_id is not None:
        return amendment.author_id == person.pk
    source = amendment.origin.body if amendment.origin_id else amendment.tabled_for
    membership = active_membership(person, source or amendment.body)
    return membership is not None and membership.is_facilitator


@transaction.atomic
def consent_answer(
    person: Person, proposal: Amendment, amendment: Amendment, *, accept: bool
) -> Consent:
    """An author accepts or refuses a merge or compromise replacing their amendment. One
    refusal ends the proposal; when every author has accepted, the amendments it replaces are
    withdrawn in its favour and it goes on the agenda. Locks the proposal's row."""
    locked = (
        Amendment.objects.select_for_update().select_related("document__body").get(pk=proposal.pk)
    )
    consent = Consent.objects.filter(proposal=locked, amendment=amendment).first()
    if consent is None:
        raise Refused(_("This proposal does not replace that amendment."))
    if not may_answer_for(person, amendment):
        raise NotAllowed(_("Only the amendment's author can answer for it."))
    if locked.state != Amendment.State.PROPOSED:
        raise Conflict(_("This proposal was already settled."), code="settled")
    if consent.accepted is not None:
        raise Conflict(_("You already answered."), code="answered")
    consent.accepted, consent.answered_by, consent.answered_at = accept, person, timezone.now()
    consent.save(update_fields=["accepted", "answered_by", "answered_at"])
    document = locked.document
    payload = {"document": document.number, "amendment": locked.number, "for": amendment.number}
    record(document.body, "document.consent", payload | {"accepted": accept})
    if not accept:
        locked.state = Amendment.State.REFUSED
        locked.save(update_fields=["state"])
    elif not Consent.objects.filter(proposal=locked).exclude(accepted=True).exists():
        _put_proposal_on_agenda(locked, document)
    publish_on_commit(_channel(document), "document", {"document": document.number})
    return consent


def _put_proposal_on_agenda(proposal: Amendment, document: Document) -> None:
    replaced = list(
        Amendment.objects.select_for_update(of=("self",))
        .filter(pk__in=Consent.objects.filter(proposal=proposal).values("amendment"))
        .select_related("motion")
    )
    if any(a.state not in (Amendment.State.SUBMITTED, Amendment.State.SUPPORTED) for a in replaced):
        raise Conflict(_("An amendment it replaces is already being decided."))
    note = f"{proposal.kind} of amendments {', '.join(str(a.number) for a in replaced)}"
    for old in replaced:
        old.state, old.replaced_by = Amendment.State.REPLACED, proposal
        old.save(update_fields=["state", "replaced_by"])
        assert old.motion is not None  # only a proposal has no motion
        motion = Motion.objects.select_for_update().get(pk=old.motion.pk)
        set_state(
            None,
            motion,
            to_state=Motion.State.WITHDRAWN,
            reason=f"replaced by amendment {proposal.number}",
        )
    title = _("Amendment %(n)s to «%(doc)s», %(where)s") % {
        "n": proposal.number,
        "doc": document.title[:120],
        "where": proposal.where,
    }
    text = _motion_text(proposal.op, proposal.where, proposal.markdown)
    motion = _new_motion(document.body, title, text, proposal.reason, proposal.author, note)
    proposal.motion, proposal.state = motion, Amendment.State.SUPPORTED
    proposal.save(update_fields=["motion", "state"])
    record(
        document.body,
        "document.proposal_agreed",
        {
            "document": document.number,
            "amendment": proposal.number,
            "kind": proposal.kind,
            "replaces": [a.number for a in replaced],
        },
    )


# --- blocks and the final vote ----------------------------------------------------------------


@transaction.atomic
def block_create(person: Person, document: Document, *, numbers: list[int]) -> Block:
    """The drafting commission groups amendments waiting for a decision, none conflicting with
    another, so that one vote decides them together. Locks the document and amendment rows."""
    locked = _lock(document)
    require_commission(person, locked)
    _require_drafting(locked)
    wanted = sorted(set(numbers))
    if len(wanted) < 2 or len(wanted) > MAX_BLOCK:
        raise Refused(_("A block holds from 2 to 500 amendments."))
    amendments = list(
        Amendment.objects.select_for_update()
        .filter(document=locked, body=locked.body, number__in=wanted)
        .order_by("number")
    )
    if len(amendments) != len(wanted):
        raise Refused(_("Choose amendments that are before the body drafting the text."))
    if any(a.state != Amendment.State.SUPPORTED or a.block_id for a in amendments):
        raise Conflict(
            _("Only amendments waiting for a decision, outside any block, can be grouped.")
        )
    groups = core.conflict_groups([(a.number, a.change) for a in amendments])
    if groups:
        first = min(groups)
        raise Conflict(
            _("Amendments %(a)s and %(b)s touch the same text: decide them apart.")
            % {"a": first, "b": groups[first][0]},
            code="overlap",
        )
    number = (Block.objects.filter(document=locked).aggregate(n=Max("number"))["n"] or 0) + 1
    listed = ", ".join(str(a.number) for a in amendments)
    title = _("Block %(n)s of amendments to «%(doc)s»: %(list)s") % {
        "n": number,
        "doc": locked.title[:80],
        "list": listed,
    }
    text = "\n\n".join(f"- {a.motion.title}" for a in amendments if a.motion is not None)
    motion = _new_motion(locked.body, title, text, "", person, f"block of amendments {listed}")
    block = Block.objects.create(document=locked, number=number, motion=motion, created_by=person)
    Amendment.objects.filter(pk__in=[a.pk for a in amendments]).update(block=block)
    record(
        locked.body,
        "document.block",
        {"document": locked.number, "block": number, "motion": motion.number, "amendments": wanted},
    )
    return block


@transaction.atomic
def final_vote_open(person: Person, document: Document) -> Motion:
    """A facilitator puts the whole text, as amended, to the final vote: a motion on the body's
    agenda, decided by any of the usual means. Refused while amendments before the body are
    undecided. Locks the document row; from now on no amendment is taken."""
    locked = _lock(document)
    require_facilitator(person, locked.body)
    _require_drafting(locked)
    pending = Amendment.objects.filter(
        document=locked, body=locked.body, state__in=Amendment.OPEN_STATES
    ).count()
    if pending:
        raise Conflict(
            _("%(n)s amendments are still to be decided before the final vote.") % {"n": pending},
            code="pending",
        )
    version = DocumentVersion.objects.get(document=locked, number=locked.version)
    title = _("Final vote: adopt «%(doc)s» (version %(v)s)") % {
        "doc": locked.title[:140],
        "v": locked.version,
    }
    text = core.to_markdown(version.text)
    note = f"final vote, version {version.number}"
    motion = _new_motion(locked.body, title, text, "", person, note)
    locked.state, locked.final_motion = Document.State.FINAL_VOTE, motion
    locked.save(update_fields=["state", "final_motion"])
    record(
        locked.body,
        "document.final_vote",
        {
            "document": locked.number,
            "version": version.number,
            "hash": version.hash,
            "motion": motion.number,
        },
    )
    publish_on_commit(_channel(locked), "document", {"document": locked.number})
    return motion
