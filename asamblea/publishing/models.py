"""What a body publishes: the index of its public records (resolutions, statements, minutes),
and its statements with their adoption and endorsements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body
from asamblea.voting.models import Poll

TITLE_MAX = 200
TEXT_MAX = 20_000


class Publication(models.Model):
    """One public record of a body, indexed when its ledger entry is written (see
    :mod:`asamblea.publishing.sources`): a closed vote, an election's result, a consultation's
    result, a published statement or minutes. The resolutions page and the feeds read this one
    table, a page at a time, so a body with 10,000 decisions costs what a body with ten does.

    ``object_id`` is the record's own id (a poll, an election…), ``ref`` a second number its
    address needs (a motion's number), ``ledger_seq`` the entry that recorded it."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="publications")
    kind = models.CharField(max_length=24)
    object_id = models.PositiveBigIntegerField()
    ref = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=TITLE_MAX)
    outcome = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()
    ledger_seq = models.PositiveIntegerField()
    ledger_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.UniqueConstraint("body", "kind", "object_id", name="publication_unique"),
        ]
        indexes = [
            models.Index(fields=["body", "-at", "-id"], name="publication_body_at"),
            models.Index(fields=["body", "kind", "-at", "-id"], name="publication_body_kind_at"),
            models.Index(fields=["-at", "-id"], name="publication_at"),
        ]

    def __str__(self) -> str:
        return f"{self.body_id} {self.kind} {self.object_id}"


class StatementRule(models.Model):
    """How a body adopts its statements (and endorses a coordination's): by a vote of its
    members, or by its facilitators. Part of the body's statute; without a row, by vote."""

    class Adoption(models.TextChoices):
        VOTE = "vote", _("By a vote of the members")
        FACILITATORS = "facilitators", _("By a facilitator")

    body = models.OneToOneField(
        Body, on_delete=models.CASCADE, primary_key=True, related_name="statement_rule"
    )
    adoption = models.CharField(
        _("how statements are adopted"),
        max_length=16,
        choices=Adoption.choices,
        default=Adoption.VOTE,
    )


class Statement(models.Model):
    """A statement to the public: drafted in Markdown, adopted by the statute's rule, then
    published with its date and the body's name."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        VOTING = "voting", _("Being voted on")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="statements")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    text = models.TextField(_("text"), max_length=TEXT_MAX)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    poll = models.OneToOneField(
        Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A coordination's statement is put to its delegates' vote (on a motion carrying its text).
    delegate_vote = models.OneToOneField(
        "coordination.CoordinationVote",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint("body", "number", name="statement_body_number"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT


class Endorsement(models.Model):
    """A member assembly's endorsement of a coordination's published statement, decided by the
    assembly's own rule: its facilitators at once, or a vote of its members (``poll``)."""

    class State(models.TextChoices):
        VOTING = "voting", _("Being voted on")
        ENDORSED = "endorsed", _("Endorsed")
        DECLINED = "declined", _("Declined by vote")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="endorsements")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices)
    poll = models.OneToOneField(
        Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                "statement",
                "body",
                condition=~Q(state="declined"),
                name="endorsement_live_unique",
            ),
        ]
