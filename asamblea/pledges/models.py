"""Conditional pledges: "we act if at least N people in at least K assemblies commit".

Who committed is never stored as a person: a :class:`Commitment` holds a keyed hash of the
person and the pledge (an HMAC under the server's secret key), the assembly it counts in, and
nothing else — no time, a random id, rewritten in random order when the deadline passes, and
its hash erased when the follow-through question closes. See ``docs/decisions.md``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body
from asamblea.voting.models import Poll


class Pledge(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open for commitments")
        TRIGGERED = "triggered", _("Triggered")
        LAPSED = "lapsed", _("Lapsed")

    class FollowUp(models.TextChoices):
        NONE = "", _("Not asked")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="pledges")
    title = models.CharField(_("what we will do"), max_length=200)
    text = models.TextField(_("details"), max_length=2000, blank=True)
    min_people = models.PositiveIntegerField(_("at least this many people"), null=True)
    min_assemblies = models.PositiveIntegerField(_("in at least this many assemblies"), null=True)
    min_percent = models.PositiveSmallIntegerField(
        _("at least this % of the members of each committing assembly"), null=True
    )
    deadline = models.DateTimeField(_("deadline"))
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    triggered_at = models.DateTimeField(null=True, blank=True)
    # The counts when it triggered, or at the deadline when it lapsed.
    result = models.JSONField(null=True, blank=True)
    # Commitments are rewritten in random order once, when the deadline has passed.
    sealed = models.BooleanField(default=False)
    followup = models.CharField(max_length=8, choices=FollowUp.choices, blank=True, default="")
    followup_closes_at = models.DateTimeField(null=True, blank=True)
    kept = models.PositiveIntegerField(default=0)
    not_kept = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["state", "deadline"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_percent__isnull=True) | Q(min_percent__gte=1, min_percent__lte=100),
                name="pledge_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(min_people__isnull=False)
                | Q(min_assemblies__isnull=False)
                | Q(min_percent__isnull=False),
                name="pledge_has_a_threshold",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_triggered(self) -> bool:
        return self.state == self.State.TRIGGERED

    @property
    def is_lapsed(self) -> bool:
        return self.state == self.State.LAPSED

    def past_deadline(self) -> bool:
        return self.deadline <= timezone.now()

    @property
    def channel(self) -> str:
        return f"body:{self.body_id}"


class PledgeAssembly(models.Model):
    """An assembly the pledge concerns, frozen when it opens: its members (by its statute),
    sectors and region; whether it committed as a whole by its own vote, and that vote."""

    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="scope")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    members = models.PositiveIntegerField()
    sectors = models.JSONField(default=list)
    region = models.CharField(max_length=80, blank=True)
    whole = models.BooleanField(default=False)
    poll = models.OneToOneField(
        Poll, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint("pledge", "body", name="pledge_assembly_unique"),
        ]


def _random_id() -> uuid.UUID:
    return uuid.uuid4()


class Commitment(models.Model):
    """One person's commitment, without the person: ``holder`` is an HMAC (server secret key)
    of the pledge and the person, so the person can find it again to withdraw or answer the
    follow-through question, while the table alone names nobody. No time column; a random id.
    ``answered`` says the follow-through question was answered, never what was answered."""

    id = models.UUIDField(primary_key=True, default=_random_id, editable=False)
    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="commitments")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    holder = models.CharField(max_length=64)
    answered = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint("pledge", "holder", name="commitment_holder_unique"),
        ]
        indexes = [models.Index(fields=["pledge", "body"])]
