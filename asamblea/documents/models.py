"""Documents drafted together (a program, a statute, a statement), their versions, amendments,
compromise proposals and blocks.

Every decision rides on an ordinary :class:`~asamblea.motions.models.Motion` of the body that
decides it: an amendment is supported, voted (online, in a meeting, by the delegates or by a
consultation of every member assembly) and sent up as its motion is; a block of amendments and
the final vote on the whole text are motions too. :mod:`asamblea.documents.settle` follows
those motions' state changes and settles the document.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body
from asamblea.documents.core import Paragraph, Splice, Text, word_diff
from asamblea.motions.models import TITLE_MAX, Motion

Person = settings.AUTH_USER_MODEL
DOCUMENT_MAX = 100_000
AMENDMENT_MAX = 10_000
REASON_MAX = 5_000


class Document(models.Model):
    class Kind(models.TextChoices):
        PROGRAM = "program", _("Program")
        STATUTE = "statute", _("Statute")
        STATEMENT = "statement", _("Public statement")
        OTHER = "other", _("Other")

    class State(models.TextChoices):
        DRAFTING = "drafting", _("Open for amendments")
        FINAL_VOTE = "final_vote", _("Final vote on the whole text")
        ADOPTED = "adopted", _("Adopted")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="documents")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PROGRAM)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFTING)
    version = models.PositiveIntegerField(default=1)
    final_motion = models.OneToOneField(
        Motion, on_delete=models.SET_NULL, null=True, blank=True, related_name="final_of"
    )
    adopted_version = models.PositiveIntegerField(null=True, blank=True)
    adopted_hash = models.CharField(max_length=64, blank=True)
    adopted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint("body", "number", name="document_body_number")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_drafting(self) -> bool:
        return self.state == self.State.DRAFTING


class DocumentVersion(models.Model):
    """One version of the text: the first draft, then one per adopted amendment or block."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=TITLE_MAX)
    paragraphs = models.JSONField()  # [[pid, markdown], ...]
    hash = models.CharField(max_length=64)
    amendment = models.ForeignKey(
        "Amendment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint("document", "number", name="document_version_unique")
        ]

    @property
    def text(self) -> Text:
        return tuple(Paragraph(str(pid), str(md)) for pid, md in self.paragraphs)


class CommissionMember(models.Model):
    """A member of the document's drafting commission: proposes merges and compromises and
    groups uncontested amendments in blocks."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="commission")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint("document", "person", name="commission_member_unique")
        ]


class Block(models.Model):
    """Amendments decided together by one vote on the block's motion."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="blocks")
    number = models.PositiveIntegerField()
    motion = models.OneToOneField(Motion, on_delete=models.CASCADE, related_name="document_block")
    created_by = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint("document", "number", name="block_unique")]


class Amendment(models.Model):
    class Op(models.TextChoices):
        REPLACE = "replace", _("Replace")
        INSERT_AFTER = "insert_after", _("Insert after")
        DELETE = "delete", _("Delete")

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", _("Amendment")
        MERGE = "merge", _("Merged amendment")
        COMPROMISE = "compromise", _("Compromise proposal")

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Looking for supporters")
        SUPPORTED = "supported", _("Waiting for a decision")
        VOTING = "voting", _("Being decided")
        ADOPTED = "adopted", _("Adopted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        PROPOSED = "proposed", _("Waiting for the authors' consent")
        REFUSED = "refused", _("Not accepted by the authors")
        REPLACED = "replaced", _("Replaced by a merge or compromise")
        LAPSED = "lapsed", _("Adopted, but its text had changed: not applied")

    OPEN_STATES = frozenset({"submitted", "supported", "voting", "proposed"})
    MOTION_STATES = frozenset(Motion.State.values)

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="amendments")
    number = models.PositiveIntegerField()
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="amendments")
    # Empty only while a merge or compromise waits for its authors' consent.
    motion = models.OneToOneField(
        Motion, on_delete=models.CASCADE, null=True, blank=True, related_name="amendment"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ORDINARY)
    op = models.CharField(_("change"), max_length=16, choices=Op.choices)
    start = models.CharField(max_length=40)
    end = models.CharField(max_length=40, blank=True)
    markdown = models.TextField(max_length=AMENDMENT_MAX, blank=True)
    reason = models.TextField(max_length=REASON_MAX, blank=True)
    base_version = models.PositiveIntegerField()
    splice = models.JSONField()
    # The word diff of the change ([[op, text], ...]), made once when the amendment is put.
    diff = models.JSONField(default=list)
    # A paragraph label for people ("§4", "§4–6", "after §4") in the base version.
    where = models.CharField(max_length=40)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SUBMITTED)
    author = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, related_name="+")
    # Sent up: the assembly's amendment this one came from (its Forward carries the backing).
    origin = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="sent_up"
    )
    # Tabled by a delegate: the member body whose mandate they carry.
    tabled_for = models.ForeignKey(
        Body, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaces"
    )
    block = models.ForeignKey(
        Block, on_delete=models.SET_NULL, null=True, blank=True, related_name="amendments"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint("document", "number", name="amendment_unique"),
        ]
        indexes = [models.Index(fields=["document", "body", "state"])]

    def __str__(self) -> str:
        return f"{self.document} / {self.number}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @cached_property
    def change(self) -> Splice:
        return Splice.from_json(self.splice)


def splice_diff(splice: Splice) -> list[list[str]]:
    """The word diff between what a change removes and what it inserts, for storing."""
    old = "\n\n".join(p.text for p in splice.removed)
    new = "\n\n".join(p.text for p in splice.inserted)
    return [[op, text] for op, text in word_diff(old, new)]


class Consent(models.Model):
    """An author's answer to a merge or compromise that would replace their amendment."""

    proposal = models.ForeignKey(Amendment, on_delete=models.CASCADE, related_name="consents")
    amendment = models.ForeignKey(Amendment, on_delete=models.CASCADE, related_name="+")
    accepted = models.BooleanField(null=True)
    answered_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["amendment__number"]
        constraints = [
            models.UniqueConstraint("proposal", "amendment", name="consent_unique"),
            models.CheckConstraint(
                condition=~Q(proposal=models.F("amendment")), name="consent_not_self"
            ),
        ]
