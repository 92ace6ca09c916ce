"""Motions, their versions, supporters, state history and discussion."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body

TITLE_MAX = 200
TEXT_MAX = 20_000
COMMENT_MAX = 5_000


class Motion(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        SUPPORTED = "supported", _("Supported")
        VOTING = "voting", _("Voting")
        ADOPTED = "adopted", _("Adopted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN_STATES = frozenset({"submitted", "supported"})
    FINAL_STATES = frozenset({"adopted", "rejected", "withdrawn"})

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="motions")
    number = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    text = models.TextField(_("text"), max_length=TEXT_MAX)
    reasons = models.TextField(_("reasons"), max_length=TEXT_MAX, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="motions"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="amendments"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.SUBMITTED)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint("body", "number", name="motion_body_number")]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class MotionVersion(models.Model):
    """Every version of a motion's text, the first included."""

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=TITLE_MAX)
    text = models.TextField(max_length=TEXT_MAX)
    reasons = models.TextField(max_length=TEXT_MAX, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["motion", "number"]
        constraints = [models.UniqueConstraint("motion", "number", name="motion_version_unique")]


class Support(models.Model):
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="supports")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint("motion", "person", name="support_unique")]


class StateChange(models.Model):
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="state_changes")
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    @property
    def from_label(self) -> str:
        """The translated name of the state left (empty for the first entry)."""
        return str(Motion.State(self.from_state).label) if self.from_state else ""

    @property
    def to_label(self) -> str:
        return str(Motion.State(self.to_state).label)


class Comment(models.Model):
    class Stance(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Against")
        NEUTRAL = "neutral", _("Neutral")

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    stance = models.CharField(_("stance"), max_length=8, choices=Stance.choices, default="neutral")
    text = models.TextField(_("comment"), max_length=COMMENT_MAX)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
