"""Polls, their electorate snapshot, and ballots.

Secret ballots: who took part is the ``voted`` flag on the electorate snapshot row (created at
opening, in person order, and only ever updated), and what was chosen is a :class:`Ballot` with
a random id, no voter and no timestamp. No column, id order or timestamp links the two; at closing
the poll's ballots are rewritten in random order so neither does their physical order.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body
from asamblea.motions.models import Motion


class Poll(models.Model):
    class Method(models.TextChoices):
        YES_NO_ABSTAIN = "yna", _("Yes / no / abstain")

    class Secrecy(models.TextChoices):
        NAMED = "named", _("Named (everyone sees who voted what)")
        SECRET = "secret", _("Secret (only the counts are shown)")
        # Encrypted in the voter's browser, counted by trustees, checkable by anyone: the
        # asamblea.verifiable app runs it (docs/verifiable-ballots.md).
        VERIFIABLE = "verifiable", _("Verifiable secret ballot (encrypted in the browser)")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Majority(models.TextChoices):
        SIMPLE = "simple", _("Simple majority (more yes than no)")
        ABSOLUTE = "absolute", _("Absolute majority (yes from more than half the electorate)")
        TWO_THIRDS = "two_thirds", _("Two thirds of yes and no")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="polls")
    motion = models.ForeignKey(
        Motion, on_delete=models.CASCADE, null=True, blank=True, related_name="polls"
    )
    title = models.CharField(_("question"), max_length=200)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.YES_NO_ABSTAIN)
    secrecy = models.CharField(
        _("secrecy"), max_length=16, choices=Secrecy.choices, default=Secrecy.SECRET
    )
    # A verifiable vote only: members without JavaScript may cast an ordinary secret ballot,
    # counted separately and shown as such in the result.
    plain_fallback = models.BooleanField(default=False)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    quorum_percent = models.PositiveSmallIntegerField(_("quorum (%)"))
    majority = models.CharField(_("majority rule"), max_length=16, choices=Majority.choices)
    electorate_size = models.PositiveIntegerField(default=0)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    # In-meeting votes: the electorate is who was present at opening; hand counts may be added.
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="polls"
    )
    decides_agenda = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["body", "state"])]
        constraints = [
            models.CheckConstraint(condition=Q(quorum_percent__lte=100), name="poll_quorum_le_100")
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_secret(self) -> bool:
        """Secret and verifiable polls alike: no ballot carries its voter."""
        return self.secrecy != self.Secrecy.NAMED

    @property
    def is_verifiable(self) -> bool:
        return self.secrecy == self.Secrecy.VERIFIABLE

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def is_past_closing_time(self) -> bool:
        return self.closes_at is not None and self.closes_at <= timezone.now()


class Eligibility(models.Model):
    """The electorate snapshot: one row per person allowed to vote, taken when the poll opens.

    ``voted`` is flipped exactly once by a conditional UPDATE under the row's lock; together
    with the unique constraint this is the one-person-one-ballot guarantee.
    """

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="eligibilities")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="eligibilities"
    )
    weight = models.PositiveIntegerField(default=1)
    voted = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint("poll", "person", name="eligibility_unique")]


def _random_id() -> uuid.UUID:
    return uuid.uuid4()


class Ballot(models.Model):
    """A cast ballot. For a secret poll ``voter`` is null, the id is random and nothing records
    when it was cast; ``receipt_hash`` lets the voter find it again with their receipt code."""

    id = models.UUIDField(primary_key=True, default=_random_id, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    choice = models.CharField(max_length=16)
    weight = models.PositiveIntegerField(default=1)
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receipt_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "poll", "voter", condition=Q(voter__isnull=False), name="ballot_named_unique"
            ),
        ]


class HandCount(models.Model):
    """A show-of-hands count for people in the room without a phone, recorded by one facilitator
    and attested by a second. It is added to the electronic ballots only once attested."""

    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="hand_count")
    yes = models.PositiveIntegerField(default=0)
    no = models.PositiveIntegerField(default=0)
    abstain = models.PositiveIntegerField(default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attested_at = models.DateTimeField(null=True, blank=True)

    @property
    def total(self) -> int:
        return self.yes + self.no + self.abstain

    @property
    def is_attested(self) -> bool:
        return self.attested_by_id is not None
