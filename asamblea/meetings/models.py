"""Meetings: agenda, attendance, speakers lists, minutes.

The order of a speakers list is not stored: it is computed from the waiting requests, the
list's history and the facilitator's moves by :mod:`asamblea.meetings.speakers`. Membership of
a speaking group is voluntary and only its holder and the facilitators ever see it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body
from asamblea.motions.models import Motion

TITLE_MAX = 200
TEXT_MAX = 5_000
NOTES_MAX = 50_000
REASON_MAX = 300
MAX_TIME_LIMIT = 60 * 60


class SpeakingRules(models.Model):
    """An assembly's fairness rules for its speakers lists."""

    body = models.OneToOneField(Body, on_delete=models.CASCADE, related_name="speaking_rules")
    time_limit = models.PositiveIntegerField(
        _("speaking time per turn (seconds, 0 for no limit)"), default=180
    )
    alternate_groups = models.BooleanField(_("alternate between groups"), default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(time_limit__lte=MAX_TIME_LIMIT), name="rules_time_limit_max"
            )
        ]


class SpeakerGroup(models.Model):
    """A group the assembly alternates between (for example women and men, or sectors)."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="speaker_groups")
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("body", "name", name="speaker_group_unique")]

    def __str__(self) -> str:
        return self.name


class GroupChoice(models.Model):
    """A person's voluntary declaration of a speaking group in one assembly."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(SpeakerGroup, on_delete=models.CASCADE, related_name="choices")

    class Meta:
        constraints = [models.UniqueConstraint("body", "person", name="group_choice_unique")]


class Meeting(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), max_length=500, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.SCHEDULED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    agenda_adopted_at = models.DateTimeField(null=True, blank=True)
    current_item = models.ForeignKey(
        "AgendaItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    current_list = models.ForeignKey(
        "SpeakersList", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    minutes = models.JSONField(null=True, blank=True)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change a live page shows, under the meeting row's lock: the live pages'
    # polling fallback compares it to skip re-rendering when nothing changed.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["body", "state"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_closed(self) -> bool:
        return self.state == self.State.CLOSED

    @property
    def channel(self) -> str:
        """The meeting's live channel: its pages and the projector listen to it."""
        return Meeting.channel_of(self.pk)

    @staticmethod
    def channel_of(meeting_id: int) -> str:
        """The live channel of the meeting ``meeting_id``, without reading the meeting."""
        return f"meeting:{meeting_id}"


class AgendaItem(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ON_AGENDA = "agenda", _("On the agenda")
        DECLINED = "declined", _("Declined")

    class Progress(models.TextChoices):
        PENDING = "pending", _("Pending")
        CURRENT = "current", _("Under discussion")
        DONE = "done", _("Done")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=TEXT_MAX, blank=True)
    motions = models.ManyToManyField(Motion, blank=True, related_name="agenda_items")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ON_AGENDA)
    progress = models.CharField(max_length=16, choices=Progress.choices, default=Progress.PENDING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Whether a person is in the meeting now. Every arrival and departure is in the ledger."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(default=True)
    first_in_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint("meeting", "person", name="attendance_unique")]
        indexes = [models.Index(fields=["meeting", "present"])]


class SpeakersList(models.Model):
    """The speakers list of an agenda item, or of one motion debated under it."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="lists")
    motion = models.ForeignKey(
        Motion, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    closed = models.BooleanField(default=False)
    next_seq = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint("item", condition=Q(motion__isnull=True), name="one_item_list"),
            models.UniqueConstraint("item", "motion", name="one_motion_list"),
        ]

    def __str__(self) -> str:
        return str(self.motion) if self.motion_id else str(self.item)


class Speech(models.Model):
    class Kind(models.TextChoices):
        TURN = "turn", _("Turn")
        POINT_OF_ORDER = "point_of_order", _("Point of order")
        DIRECT_REPLY = "direct_reply", _("Direct reply")

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        SPEAKING = "speaking", _("Speaking")
        DONE = "done", _("Done")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    speakers_list = models.ForeignKey(
        SpeakersList, on_delete=models.CASCADE, related_name="speeches"
    )
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TURN)
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    seq = models.PositiveIntegerField()
    # The group at request time, so later changes of a person's group do not rewrite totals.
    group = models.ForeignKey(
        SpeakerGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    seconds = models.PositiveIntegerField(default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    moved_before = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    move_seq = models.PositiveIntegerField(null=True, blank=True)
    move_to_end = models.BooleanField(default=False)
    move_reason = models.CharField(max_length=REASON_MAX, blank=True)

    class Meta:
        ordering = ["speakers_list", "seq"]
        constraints = [
            models.UniqueConstraint("speakers_list", "seq", name="speech_seq_unique"),
            # One pending request per person and kind: a double click adds nobody twice.
            models.UniqueConstraint(
                "speakers_list",
                "person",
                "kind",
                condition=Q(state="waiting"),
                name="speech_one_waiting",
            ),
            models.UniqueConstraint(
                "speakers_list", condition=Q(state="speaking"), name="speech_one_speaking"
            ),
        ]


class NotesVersion(models.Model):
    """One version of the secretary's notes for a meeting's minutes; the latest is current."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="notes_versions")
    number = models.PositiveIntegerField()
    text = models.TextField(max_length=NOTES_MAX, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["meeting", "-number"]
        constraints = [models.UniqueConstraint("meeting", "number", name="notes_version_unique")]
