"""Settling documents when the motions that carry their decisions change state.

Whatever decides a motion (a poll of the assembly, a vote in a meeting, the delegates' vote, a
consultation of every member assembly, a block's vote) records ``motion.state_changed`` in the
body's ledger; :func:`on_recorded` runs inside that transaction and:

- keeps an amendment's state in step with its motion's; when an amendment before the body
  drafting the text is adopted, it is applied and a new version of the text is stored (or, if
  the paragraphs it changes were changed meanwhile, it is recorded as lapsed);
- carries a block's state to the amendments in it;
- adopts the text when its final vote is adopted (the ledger keeps the text's hash), or opens it
  for amendments again when the final vote fails;
- and, on ``motion.submitted`` with an origin, creates the amendment a coordination receives
  when an assembly's amendment sent up reaches its agenda.

It never raises on a state change: it runs inside someone else's closing transaction. It
refuses one thing, by raising inside the editing transaction (which rolls it back): editing the
text of a motion that carries an amendment, a block or a final vote, since what is decided is
the change stored with it.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.documents import core
from asamblea.documents.models import Amendment, Block, Document, DocumentVersion
from asamblea.errors import Conflict
from asamblea.live.events import publish_on_commit
from asamblea.motions.actions import set_state
from asamblea.motions.models import Motion

BLOCK_REASON = "block"


def on_recorded(sender: Any, body: Body, kind: str, entry: Any, **kwargs: Any) -> None:
    if kind == "motion.state_changed":
        payload = json.loads(entry.payload)
        _state_changed(body, payload["motion"], payload["to"], payload.get("reason") or "")
    elif kind == "motion.edited":
        _refuse_edit(body, json.loads(entry.payload)["motion"])
    elif kind == "motion.submitted":
        payload = json.loads(entry.payload)
        if payload.get("origin"):
            _arrived(body, payload["motion"], payload["origin"])


def _refuse_edit(body: Body, number: int) -> None:
    carries = Motion.objects.filter(body=body, number=number).filter(
        Q(amendment__isnull=False) | Q(document_block__isnull=False) | Q(final_of__isnull=False)
    )
    if carries.exists():
        raise Conflict(
            _(
                "This motion carries a change to a document and cannot be edited: withdraw it "
                "and put a new amendment."
            ),
            code="carries_document",
        )


def _state_changed(body: Body, number: int, to: str, reason: str) -> None:
    motion = (
        Motion.objects.filter(body=body, number=number)
        .select_related("amendment__document", "document_block__document", "final_of")
        .first()
    )
    if motion is None:
        return
    amendment = getattr(motion, "amendment", None)
    if amendment is not None:
        _amendment_moved(amendment, to, reason)
    block = getattr(motion, "document_block", None)
    if block is not None:
        _block_moved(block, to)
    document = getattr(motion, "final_of", None)
    if document is not None:
        _final_moved(document, motion, to)


def _amendment_moved(amendment: Amendment, to: str, reason: str) -> None:
    if amendment.state in (Amendment.State.REPLACED, Amendment.State.LAPSED):
        return
    fields = ["state"]
    if to == Motion.State.VOTING and amendment.block_id and not reason.startswith(BLOCK_REASON):
        amendment.block = None  # decided on its own after all
        fields.append("block")
    if to in (Motion.State.ADOPTED, Motion.State.REJECTED):
        amendment.decided_at = timezone.now()
        fields.append("decided_at")
    document = amendment.document
    if to == Motion.State.ADOPTED and amendment.body_id == document.body_id:
        _apply(amendment, document)
    else:
        amendment.state = to
    amendment.save(update_fields=fields)
    publish_on_commit(f"body:{document.body_id}", "document", {"document": document.number})


def _apply(amendment: Amendment, document: Document) -> None:
    """Make an adopted amendment on the current text: a new version, or lapsed if the text it
    changes is no longer there as its authors read it."""
    document = Document.objects.select_for_update().select_related("body").get(pk=document.pk)
    current = DocumentVersion.objects.get(document=document, number=document.version)
    try:
        text, _undo = core.apply_splice(current.text, amendment.change)
    except core.ChangeError as exc:
        amendment.state = Amendment.State.LAPSED
        record(
            document.body,
            "document.amendment_lapsed",
            {"document": document.number, "amendment": amendment.number, "reason": exc.code},
        )
        return
    amendment.state = Amendment.State.ADOPTED
    number = document.version + 1
    digest = core.text_hash(document.title, text)
    DocumentVersion.objects.create(
        document=document,
        number=number,
        title=document.title,
        paragraphs=[[p.pid, p.text] for p in text],
        hash=digest,
        amendment=amendment,
    )
    document.version = number
    document.save(update_fields=["version"])
    record(
        document.body,
        "document.amendment_applied",
        {
            "document": document.number,
            "amendment": amendment.number,
            "version": number,
            "hash": digest,
        },
    )


def _block_moved(block: Block, to: str) -> None:
    """A block's vote decides each amendment still in it, in number order."""
    members = Amendment.objects.filter(block=block).select_related("motion").order_by("number")
    for amendment in members:
        if amendment.motion is None or amendment.motion.state == to:
            continue
        if to == Motion.State.WITHDRAWN:
            Amendment.objects.filter(pk=amendment.pk).update(block=None)
            continue
        motion = (
            Motion.objects.select_for_update().select_related("body").get(pk=amendment.motion.pk)
        )
        if motion.state in Motion.FINAL_STATES:
            continue
        set_state(None, motion, to_state=to, reason=f"{BLOCK_REASON} {block.number}")


def _final_moved(document: Document, motion: Motion, to: str) -> None:
    document = Document.objects.select_for_update().select_related("body").get(pk=document.pk)
    if document.final_motion_id != motion.pk or document.state != Document.State.FINAL_VOTE:
        return
    if to == Motion.State.ADOPTED:
        version = DocumentVersion.objects.get(document=document, number=document.version)
        document.state = Document.State.ADOPTED
        document.adopted_version, document.adopted_hash = version.number, version.hash
        document.adopted_at = timezone.now()
        document.save(update_fields=["state", "adopted_version", "adopted_hash", "adopted_at"])
        record(
            document.body,
            "document.adopted",
            {
                "document": document.number,
                "title": document.title,
                "version": version.number,
                "hash": version.hash,
                "motion": motion.number,
            },
        )
    elif to in (Motion.State.REJECTED, Motion.State.WITHDRAWN):
        document.state = Document.State.DRAFTING
        document.save(update_fields=["state"])
        record(
            document.body,
            "document.final_rejected",
            {"document": document.number, "motion": motion.number},
        )
    publish_on_commit(f"body:{document.body_id}", "document", {"document": document.number})


def _arrived(coordination: Body, number: int, origin: dict[str, Any]) -> None:
    """An assembly's amendment, sent up and backed enough, reached the agenda of the body
    drafting the document: it becomes an amendment there, keeping its author and change."""
    source = (
        Amendment.objects.filter(
            motion__body_id=origin.get("body"), motion__number=origin.get("motion")
        )
        .select_related("document")
        .first()
    )
    if source is None or source.document.body_id != coordination.pk:
        return
    document = Document.objects.select_for_update().get(pk=source.document_id)
    motion = Motion.objects.get(body=coordination, number=number)
    if document.state != Document.State.DRAFTING:
        set_state(
            None,
            Motion.objects.select_for_update().get(pk=motion.pk),
            to_state=Motion.State.WITHDRAWN,
            reason="the document is no longer open for amendments",
        )
        return
    found = Amendment.objects.filter(document=document).aggregate(n=Max("number"))["n"]
    next_number = (found or 0) + 1
    Amendment.objects.create(
        document=document,
        number=next_number,
        body=coordination,
        motion=motion,
        kind=source.kind,
        op=source.op,
        start=source.start,
        end=source.end,
        markdown=source.markdown,
        reason=source.reason,
        base_version=source.base_version,
        splice=source.splice,
        diff=source.diff,
        where=source.where,
        state=motion.state,
        author=source.author,
        origin=source,
    )
    record(
        coordination,
        "document.amendment_arrived",
        {
            "document": document.number,
            "amendment": next_number,
            "motion": number,
            "from_body": source.body_id,
        },
    )
