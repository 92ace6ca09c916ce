"""Surveys: several questions put to a body's members, or down to every assembly of a
coordination; anonymous (stored like secret ballots) or named.

Who may answer is frozen when the survey opens (:class:`Respondent`, written all at once in the
order of its keyed hash, never inserted one by one), and whether they answered is a flag flipped
once. An anonymous :class:`Response` has a random id, the assembly it counts in, no person and
no time, and the responses are rewritten in random order when the survey closes. See
``docs/secret-ballots.md`` (surveys).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body


class Survey(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="surveys")
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), max_length=2000, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    closes_at = models.DateTimeField(_("closes at"))
    closed_at = models.DateTimeField(null=True, blank=True)
    electorate = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [models.Index(fields=["state", "closes_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def past_closing_time(self) -> bool:
        return self.closes_at <= timezone.now()


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        SCALE = "scale", _("Scale")
        TEXT = "text", _("Short text")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.CharField(max_length=300)
    options = models.JSONField(default=list)  # choices, or [low, high] for a scale

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint("survey", "position", name="question_position_unique")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def scale(self) -> list[int]:
        low, high = self.options
        return list(range(int(low), int(high) + 1))


class SurveyAssembly(models.Model):
    """An assembly the survey was sent to, frozen at opening (for the breakdowns)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="scope")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    sectors = models.JSONField(default=list)
    region = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("survey", "body", name="survey_assembly_unique"),
        ]


class Respondent(models.Model):
    """One person who may answer, written when the survey opens: ``holder`` is an HMAC (server
    secret key) of the survey and the person; ``answered`` flips once. No time column."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="respondents")
    holder = models.CharField(max_length=64)
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    answered = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint("survey", "holder", name="respondent_unique"),
        ]


def _random_id() -> uuid.UUID:
    return uuid.uuid4()


class Response(models.Model):
    """One person's answers. Anonymous: random id, no person, no time. Named: ``person``."""

    id = models.UUIDField(primary_key=True, default=_random_id, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # {question id: choice index | [indexes] | scale value | text}
    answers = models.JSONField(default=dict)
