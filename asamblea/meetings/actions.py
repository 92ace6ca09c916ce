"""Writes on meetings. Each checks rights, writes in one transaction, appends to the body's
ledger and publishes on the meeting's live channel after commit.

Races: every write that changes a meeting's running state (agenda, current item and list, the
floor, attendance) first locks the meeting row (``select_for_update``; on SQLite the write
transaction is already exclusive), so two facilitators pressing "next" at once call one speaker.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person, Visitor
from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.bodies.queries import active_membership, require_facilitator, require_member
from asamblea.dates import check_moment
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.meetings import queries
from asamblea.meetings.models import (
    MAX_TIME_LIMIT,
    NOTES_MAX,
    REASON_MAX,
    TEXT_MAX,
    TITLE_MAX,
    AgendaItem,
    Attendance,
    GroupChoice,
    Meeting,
    NotesVersion,
    SpeakerGroup,
    SpeakersList,
    SpeakingRules,
    Speech,
)
from asamblea.meetings.signals import meeting_closing, meeting_due
from asamblea.motions.models import Motion

MAX_ITEMS = 100
MAX_GROUPS = 12


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("body").get(pk=meeting.pk)


def _changed(meeting: Meeting, kind: str, payload: dict[str, Any]) -> None:
    """Ledger entry plus live event for a change of a (locked) meeting."""
    Meeting.objects.filter(pk=meeting.pk).update(revision=F("revision") + 1)
    record(meeting.body, kind, {"meeting": meeting.pk, **payload})
    publish_on_commit(meeting.channel, kind, {"meeting": meeting.pk})


def _require_running(meeting: Meeting) -> None:
    if not meeting.is_open:
        raise Conflict(_("This meeting is not in session."), code="meeting_not_open")


def _require_not_closed(meeting: Meeting) -> None:
    if meeting.is_closed:
        raise Conflict(_("This meeting is closed."), code="meeting_closed")


def _check_title(title: str, description: str = "") -> str:
    title = (title or "").strip()
    if not title:
        raise Refused(_("Give it a title."))
    if len(title) > TITLE_MAX:
        raise Refused(_("The title is too long (at most 200 characters)."))
    if len(description or "") > TEXT_MAX:
        raise Refused(_("The description is too long (at most 5,000 characters)."))
    return title


# -- meetings ------------------------------------------------------------------------------


@transaction.atomic
def meeting_schedule(
    facilitator: Person,
    body: Body,
    *,
    title: str,
    starts_at: datetime,
    place: str = "",
    online_url: str = "",
) -> Meeting:
    require_facilitator(facilitator, body)
    if not body.is_assembly:
        raise Refused(_("Only assemblies hold meetings here."))
    title = _check_title(title)
    check_moment(starts_at, future_only=False)
    if not place.strip() and not online_url.strip():
        raise Refused(_("Say where the meeting is: a place, an online link or both."))
    if online_url and not online_url.startswith(("https://", "http://")):
        raise Refused(_("The online link must start with https://"))
    meeting = Meeting.objects.create(
        body=body,
        title=title,
        starts_at=starts_at,
        place=place.strip()[:200],
        online_url=online_url.strip()[:500],
        created_by=facilitator,
    )
    record(
        body,
        "meeting.scheduled",
        {
            "meeting": meeting.pk,
            "title": title,
            "starts_at": starts_at.isoformat(),
            "place": meeting.place,
            "online": bool(meeting.online_url),
        },
    )
    return meeting


@transaction.atomic
def meeting_open(facilitator: Person, meeting: Meeting) -> Meeting:
    require_facilitator(facilitator, meeting.body)
    locked = _lock(meeting)
    if locked.state != Meeting.State.SCHEDULED:
        raise Conflict(_("This meeting has already been opened."), code="meeting_opened")
    locked.state = Meeting.State.OPEN
    locked.opened_at = timezone.now()
    locked.save(update_fields=["state", "opened_at"])
    _changed(locked, "meeting.opened", {"by": facilitator.pk})
    return locked


def _require_nothing_open(meeting: Meeting) -> None:
    """Refuse to close while an app above says something of the meeting must close first
    (``signals.meeting_closing``: voting answers while one of its votes is open)."""
    for _receiver, reason in meeting_closing.send(sender=Meeting, meeting=meeting):
        if reason:
            raise Conflict(reason, code="vote_open")


@transaction.atomic
def meeting_close(facilitator: Person, meeting: Meeting) -> Meeting:
    """Close the meeting: the floor ends, everyone still present leaves, and the minutes are
    produced from the record and fixed (their hash goes to the ledger)."""
    require_facilitator(facilitator, meeting.body)
    locked = _lock(meeting)
    _require_running(locked)
    _require_nothing_open(locked)
    return _close(locked, {"by": facilitator.pk})


# A meeting left in session closes itself this long after it opened, so no facilitator can
# keep it (and what it decides) open forever (DESIGN invariant 8).
MEETING_MAX_DURATION = timedelta(hours=24)
SELF_CLOSE_REASON = "closed by itself after 24 hours"


@transaction.atomic
def meeting_close_due(meeting: Meeting) -> Meeting:
    """Close a meeting that has been in session ``MEETING_MAX_DURATION``, the same way a
    facilitator does; the ledger says it closed by itself (no actor: a system job). Its open
    votes are closed first (:func:`close_due_meetings` asks the voting app through
    ``signals.meeting_due``): while one is still open this refuses, and the next run closes it."""
    locked = _lock(meeting)
    _require_running(locked)
    if locked.opened_at is None or locked.opened_at > timezone.now() - MEETING_MAX_DURATION:
        raise Conflict(_("This meeting is not due to close yet."), code="not_due")
    _require_nothing_open(locked)
    return _close(locked, {"by": None, "reason": SELF_CLOSE_REASON})


def close_due_meetings(body: Body | None = None) -> int:
    """Close every meeting (of ``body``, if given) in session for more than
    ``MEETING_MAX_DURATION``; returns how many were closed. No actor: a system job
    (``asamblea close-due``, a body page's read). Its open votes close first, as at
    their closing time: the voting app does it on ``signals.meeting_due`` (voting sits above
    meetings), each vote in its own transaction before the meeting's (votes lock poll then
    meeting; doing the same here never deadlocks with a facilitator closing a vote)."""
    cutoff = timezone.now() - MEETING_MAX_DURATION
    due = Meeting.objects.filter(state=Meeting.State.OPEN, opened_at__lte=cutoff)
    if body is not None:
        due = due.filter(body=body)
    closed = 0
    for meeting in due.only("pk"):
        meeting_due.send(sender=Meeting, meeting=meeting)
        try:
            meeting_close_due(meeting)
            closed += 1
        except Conflict:
            continue
    return closed


def _close(locked: Meeting, payload: dict[str, Any]) -> Meeting:
    """Close a (locked, running) meeting with no open vote; ``payload`` says who or why."""
    now = timezone.now()
    for speech in Speech.objects.filter(
        speakers_list__item__meeting=locked, state=Speech.State.SPEAKING
    ):
        _finish(speech, now)
    Speech.objects.filter(speakers_list__item__meeting=locked, state=Speech.State.WAITING).update(
        state=Speech.State.WITHDRAWN
    )
    AgendaItem.objects.filter(meeting=locked, progress=AgendaItem.Progress.CURRENT).update(
        progress=AgendaItem.Progress.DONE, ended_at=now
    )
    Attendance.objects.filter(meeting=locked, present=True).update(present=False, changed_at=now)
    locked.state = Meeting.State.CLOSED
    locked.closed_at = now
    locked.current_item = None
    locked.current_list = None
    locked.save(update_fields=["state", "closed_at", "current_item", "current_list"])
    minutes = queries.minutes_record(locked)
    locked.minutes = minutes
    locked.save(update_fields=["minutes"])
    digest = hashlib.sha256(
        json.dumps(minutes, sort_keys=True, separators=(",", ":")).encode("utf-8")
    ).hexdigest()
    _changed(locked, "meeting.closed", payload | {"minutes_sha256": digest})
    return locked


# -- agenda --------------------------------------------------------------------------------


def _next_position(meeting: Meeting) -> int:
    top = AgendaItem.objects.filter(meeting=meeting).aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


def _check_motions(meeting: Meeting, motions: list[Motion]) -> None:
    for motion in motions:
        if motion.body_id != meeting.body_id:
            raise NotAllowed(_("This motion belongs to another assembly."))


@transaction.atomic
def item_add(
    facilitator: Person,
    meeting: Meeting,
    *,
    title: str,
    description: str = "",
    motions: list[Motion] | None = None,
) -> AgendaItem:
    """A facilitator puts an item on the agenda (at the end)."""
    require_facilitator(facilitator, meeting.body)
    locked = _lock(meeting)
    _require_not_closed(locked)
    title = _check_title(title, description)
    motions = list(motions or [])
    _check_motions(locked, motions)
    if AgendaItem.objects.filter(meeting=locked).count() >= MAX_ITEMS:
        raise Refused(_("An agenda holds at most 100 items."))
    item = AgendaItem.objects.create(
        meeting=locked,
        position=_next_position(locked),
        title=title,
        description=description,
        proposed_by=facilitator,
    )
    item.motions.set(motions)
    _changed(
        locked,
        "agenda.item_added",
        {"item": item.pk, "title": title, "motions": sorted(m.number for m in motions)},
    )
    return item


@transaction.atomic
def item_propose(
    member: Person, meeting: Meeting, *, title: str, description: str = ""
) -> AgendaItem:
    """A member proposes an item; it waits for a facilitator (or the agenda vote) to take it."""
    require_member(member, meeting.body)
    locked = _lock(meeting)
    _require_not_closed(locked)
    title = _check_title(title, description)
    pending = AgendaItem.objects.filter(
        meeting=locked, proposed_by=member, status=AgendaItem.Status.PROPOSED
    ).count()
    if pending >= 5:
        raise Refused(_("You have five proposals waiting already."))
    if AgendaItem.objects.filter(meeting=locked).count() >= MAX_ITEMS:
        raise Refused(_("An agenda holds at most 100 items."))
    item = AgendaItem.objects.create(
        meeting=locked,
        position=_next_position(locked),
        title=title,
        description=description,
        proposed_by=member,
        status=AgendaItem.Status.PROPOSED,
    )
    _changed(locked, "agenda.item_proposed", {"item": item.pk, "title": title, "by": member.pk})
    return item


@transaction.atomic
def item_decide(facilitator: Person, item: AgendaItem, *, accept: bool) -> AgendaItem:
    require_facilitator(facilitator, item.meeting.body)
    locked = _lock(item.meeting)
    _require_not_closed(locked)
    item = AgendaItem.objects.get(pk=item.pk)
    if item.status != AgendaItem.Status.PROPOSED:
        raise Conflict(_("This proposal has already been decided."))
    item.status = AgendaItem.Status.ON_AGENDA if accept else AgendaItem.Status.DECLINED
    item.save(update_fields=["status"])
    _changed(locked, "agenda.item_decided", {"item": item.pk, "accepted": accept})
    return item


@transaction.atomic
def item_start(facilitator: Person, item: AgendaItem) -> AgendaItem:
    """Take up an agenda item: the previous one is done, the item's speakers list opens."""
    require_facilitator(facilitator, item.meeting.body)
    locked = _lock(item.meeting)
    _require_running(locked)
    item = AgendaItem.objects.get(pk=item.pk)
    if item.status != AgendaItem.Status.ON_AGENDA:
        raise Conflict(_("Only items on the agenda can be taken up."))
    if locked.current_item_id == item.pk:
        raise Conflict(_("This item is already under discussion."))
    now = timezone.now()
    if locked.current_list_id:
        _end_floor(locked.current_list_id, now)
    AgendaItem.objects.filter(meeting=locked, progress=AgendaItem.Progress.CURRENT).update(
        progress=AgendaItem.Progress.DONE, ended_at=now
    )
    item.progress = AgendaItem.Progress.CURRENT
    item.started_at = item.started_at or now
    item.save(update_fields=["progress", "started_at"])
    speakers_list, _created = SpeakersList.objects.get_or_create(item=item, motion=None)
    locked.current_item = item
    locked.current_list = speakers_list
    locked.save(update_fields=["current_item", "current_list"])
    _changed(locked, "agenda.item_started", {"item": item.pk, "title": item.title})
    return item


@transaction.atomic
def motion_debate(facilitator: Person, item: AgendaItem, motion: Motion) -> SpeakersList:
    """Open (or return to) the speakers list of a motion carried by the current item."""
    require_facilitator(facilitator, item.meeting.body)
    locked = _lock(item.meeting)
    _require_running(locked)
    if locked.current_item_id != item.pk:
        raise Conflict(_("Take up this agenda item first."))
    if not item.motions.filter(pk=motion.pk).exists():
        raise Refused(_("This motion is not on this agenda item."))
    if locked.current_list_id:
        _end_floor(locked.current_list_id, timezone.now())
    speakers_list, _created = SpeakersList.objects.get_or_create(item=item, motion=motion)
    locked.current_list = speakers_list
    locked.save(update_fields=["current_list"])
    _changed(locked, "speakers.list_opened", {"item": item.pk, "motion": motion.number})
    return speakers_list


# -- attendance ----------------------------------------------------------------------------


@transaction.atomic
def check_in(actor: Visitor, meeting: Meeting, *, person: Visitor | None = None) -> Attendance:
    """Check ``person`` (default: the actor) in. Anyone checks themselves in; a facilitator may
    check in any member. Unique (meeting, person) makes a double check-in a no-op refusal."""
    person = person or actor
    body = meeting.body
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Log in to check in."), code="login_required")
    if person.pk != actor.pk:
        require_facilitator(actor, body)
    if active_membership(person, body) is None:
        raise NotAllowed(_("Only members of this assembly can check in."), code="not_member")
    locked = _lock(meeting)
    _require_not_closed(locked)
    now = timezone.now()
    attendance = Attendance.objects.filter(meeting=locked, person=person).first()
    if attendance is not None and attendance.present:
        raise Conflict(_("Already checked in."), code="already_present")
    if attendance is None:
        attendance = Attendance.objects.create(meeting=locked, person=person, first_in_at=now)
    else:
        attendance.present = True
        attendance.changed_at = now
        attendance.save(update_fields=["present", "changed_at"])
    _changed(locked, "attendance.in", {"person": person.pk, "by": actor.pk})
    return attendance


@transaction.atomic
def check_out(actor: Visitor, meeting: Meeting, *, person: Visitor | None = None) -> Attendance:
    """Record that ``person`` left. Their waiting requests to speak are withdrawn."""
    person = person or actor
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Log in first."), code="login_required")
    if person.pk != actor.pk:
        require_facilitator(actor, meeting.body)
    locked = _lock(meeting)
    _require_not_closed(locked)
    attendance = Attendance.objects.filter(meeting=locked, person=person, present=True).first()
    if attendance is None:
        raise Conflict(_("Not checked in."), code="not_present")
    attendance.present = False
    attendance.changed_at = timezone.now()
    attendance.save(update_fields=["present", "changed_at"])
    Speech.objects.filter(
        speakers_list__item__meeting=locked, person=person, state=Speech.State.WAITING
    ).update(state=Speech.State.WITHDRAWN)
    _changed(locked, "attendance.out", {"person": person.pk, "by": actor.pk})
    return attendance


# -- the floor -----------------------------------------------------------------------------


# No turn outlasts a meeting (which closes itself after 24 hours); a stored start at the far end
# of the calendar must not overflow the column.
MAX_SPEECH_SECONDS = 86_400


def _finish(speech: Speech, now: datetime) -> None:
    if speech.running_since is not None:
        spoken = int((now - speech.running_since).total_seconds())
        speech.seconds = min(MAX_SPEECH_SECONDS, speech.seconds + max(0, spoken))
        speech.running_since = None
    speech.state = Speech.State.DONE
    speech.ended_at = now
    speech.save(update_fields=["seconds", "running_since", "state", "ended_at"])


def _end_floor(list_id: int, now: datetime) -> None:
    for speech in Speech.objects.filter(speakers_list_id=list_id, state=Speech.State.SPEAKING):
        _finish(speech, now)


@transaction.atomic
def speech_request(person: Person, speakers_list: SpeakersList, *, kind: str = "turn") -> Speech:
    """Ask for the floor. Members present at the meeting only; one pending request per kind
    (a partial unique constraint refuses a double click)."""
    if kind not in Speech.Kind.values:
        raise Refused(_("Unknown kind of request."), code="bad_kind")
    meeting = speakers_list.item.meeting
    require_member(person, meeting.body)
    locked = _lock(meeting)
    _require_running(locked)
    if locked.current_list_id != speakers_list.pk:
        raise Conflict(_("This speakers list is not open now."), code="list_not_current")
    if not Attendance.objects.filter(meeting=locked, person=person, present=True).exists():
        raise NotAllowed(_("Check in to the meeting first."), code="not_present")
    current = SpeakersList.objects.select_for_update().get(pk=speakers_list.pk)
    choice = GroupChoice.objects.filter(body=locked.body, person=person).first()
    try:
        with transaction.atomic():
            speech = Speech.objects.create(
                speakers_list=current,
                person=person,
                kind=kind,
                seq=current.next_seq,
                group_id=choice.group_id if choice else None,
            )
    except IntegrityError as exc:
        raise Conflict(_("You are already on this list."), code="already_waiting") from exc
    SpeakersList.objects.filter(pk=current.pk).update(next_seq=F("next_seq") + 1)
    _changed(locked, "speakers.requested", {"speech": speech.pk, "kind": kind})
    return speech


def _lock_speech(speech: Speech) -> tuple[Meeting, Speech]:
    meeting = _lock(speech.speakers_list.item.meeting)
    return meeting, Speech.objects.select_related("speakers_list").get(pk=speech.pk)


@transaction.atomic
def speech_withdraw(actor: Visitor, speech: Speech) -> Speech:
    """Take a waiting request off the list: its owner, or a facilitator."""
    body = speech.speakers_list.item.meeting.body
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Log in first."), code="login_required")
    if speech.person_id != actor.pk:
        require_facilitator(actor, body)
    else:
        require_member(actor, body)
    meeting, speech = _lock_speech(speech)
    if speech.state != Speech.State.WAITING:
        raise Conflict(_("This request is no longer waiting."), code="not_waiting")
    speech.state = Speech.State.WITHDRAWN
    speech.save(update_fields=["state"])
    _changed(meeting, "speakers.withdrawn", {"speech": speech.pk, "by": actor.pk})
    return speech


@transaction.atomic
def speaker_next(facilitator: Person, speakers_list: SpeakersList) -> Speech | None:
    """End the current speech and give the floor to the first of the queue (timer running).
    Returns None when the queue is empty. The meeting row lock makes it one call at a time."""
    meeting = speakers_list.item.meeting
    require_facilitator(facilitator, meeting.body)
    locked = _lock(meeting)
    _require_running(locked)
    if locked.current_list_id != speakers_list.pk:
        raise Conflict(_("This speakers list is not open now."), code="list_not_current")
    now = timezone.now()
    _end_floor(speakers_list.pk, now)
    queue = queries.queue(speakers_list)
    if not queue:
        _changed(locked, "speakers.floor_ended", {"list": speakers_list.pk})
        return None
    speech = queue[0]
    speech.state = Speech.State.SPEAKING
    speech.started_at = now
    speech.running_since = now
    speech.save(update_fields=["state", "started_at", "running_since"])
    _changed(
        locked,
        "speakers.floor_given",
        {"speech": speech.pk, "person": speech.person_id, "kind": speech.kind},
    )
    return speech


@transaction.atomic
def timer_toggle(facilitator: Person, speech: Speech, *, run: bool) -> Speech:
    """Start or stop the current speaker's timer."""
    require_facilitator(facilitator, speech.speakers_list.item.meeting.body)
    meeting, speech = _lock_speech(speech)
    _require_running(meeting)
    if speech.state != Speech.State.SPEAKING:
        raise Conflict(_("This person does not have the floor."), code="not_speaking")
    now = timezone.now()
    if run == (speech.running_since is not None):
        raise Conflict(_("The timer is already in that state."), code="timer_state")
    if run:
        speech.running_since = now
    else:
        speech.seconds += max(0, int((now - speech.running_since).total_seconds()))
        speech.running_since = None
    speech.save(update_fields=["seconds", "running_since"])
    _changed(meeting, "speakers.timer", {"speech": speech.pk, "running": run})
    return speech


@transaction.atomic
def speech_finish(facilitator: Person, speech: Speech) -> Speech:
    require_facilitator(facilitator, speech.speakers_list.item.meeting.body)
    meeting, speech = _lock_speech(speech)
    if speech.state != Speech.State.SPEAKING:
        raise Conflict(_("This person does not have the floor."), code="not_speaking")
    _finish(speech, timezone.now())
    _changed(meeting, "speakers.finished", {"speech": speech.pk, "seconds": speech.seconds})
    return speech


@transaction.atomic
def speech_move(
    facilitator: Person, speech: Speech, *, before: Speech | None, reason: str
) -> Speech:
    """Reorder the queue: put ``speech`` just before ``before`` (None: at the end). The reason
    is required and recorded in the ledger; only ordinary turns are moved."""
    require_facilitator(facilitator, speech.speakers_list.item.meeting.body)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Say why the order changes."), code="reason_required")
    if len(reason) > REASON_MAX:
        raise Refused(_("The reason is too long (at most 300 characters)."))
    meeting, speech = _lock_speech(speech)
    _require_running(meeting)
    if speech.state != Speech.State.WAITING or speech.kind != Speech.Kind.TURN:
        raise Conflict(_("Only waiting turns can be moved."), code="not_movable")
    if before is not None:
        before = Speech.objects.filter(
            pk=before.pk, speakers_list=speech.speakers_list, state=Speech.State.WAITING
        ).first()
        if before is None or before.pk == speech.pk:
            raise Conflict(_("Choose another waiting request of this list."), code="bad_anchor")
    top = Speech.objects.filter(speakers_list=speech.speakers_list).aggregate(m=Max("move_seq"))
    speech.moved_before = before
    speech.move_to_end = before is None
    speech.move_seq = (top["m"] or 0) + 1
    speech.move_reason = reason
    speech.save(update_fields=["moved_before", "move_to_end", "move_seq", "move_reason"])
    _changed(
        meeting,
        "speakers.moved",
        {"speech": speech.pk, "before": before.pk if before else None, "reason": reason},
    )
    return speech


# -- fairness rules and groups -------------------------------------------------------------


@transaction.atomic
def rules_set(
    facilitator: Person,
    body: Body,
    *,
    time_limit: int,
    alternate_groups: bool,
    groups: list[str],
) -> SpeakingRules:
    """Set the assembly's speaking rules and its list of groups (names; removing a group
    forgets who had chosen it)."""
    require_facilitator(facilitator, body)
    if not 0 <= time_limit <= MAX_TIME_LIMIT:
        raise Refused(_("The speaking time is between 0 and 3600 seconds."))
    names = []
    for name in groups:
        name = name.strip()
        if name and name not in names:
            if len(name) > 60:
                raise Refused(_("A group name has at most 60 characters."))
            names.append(name)
    if len(names) > MAX_GROUPS:
        raise Refused(_("At most 12 groups."))
    Body.objects.select_for_update().filter(pk=body.pk).first()
    rules, _created = SpeakingRules.objects.update_or_create(
        body=body, defaults={"time_limit": time_limit, "alternate_groups": alternate_groups}
    )
    SpeakerGroup.objects.filter(body=body).exclude(name__in=names).delete()
    for name in names:
        SpeakerGroup.objects.get_or_create(body=body, name=name)
    # The group names and the rules are public statute; who belongs to which group is not.
    record(
        body,
        "speakers.rules_set",
        {"time_limit": time_limit, "alternate_groups": alternate_groups, "groups": len(names)},
    )
    return rules


@transaction.atomic
def group_choose(person: Person, body: Body, *, group: SpeakerGroup | None) -> None:
    """A member declares (or clears) their own speaking group. Voluntary and private: the
    choice is not in the ledger and never shown to anyone but them and the facilitators."""
    require_member(person, body)
    if group is None:
        GroupChoice.objects.filter(body=body, person=person).delete()
        return
    if group.body_id != body.pk:
        raise Refused(_("Choose one of this assembly's groups."))
    GroupChoice.objects.update_or_create(body=body, person=person, defaults={"group": group})


# -- minutes -------------------------------------------------------------------------------


@transaction.atomic
def notes_save(facilitator: Person, meeting: Meeting, *, text: str, base: int) -> NotesVersion:
    """Save a new version of the secretary's notes. ``base`` is the version the editor
    started from: if someone saved meanwhile, the save is refused instead of overwriting
    (the meeting row lock orders concurrent saves)."""
    require_facilitator(facilitator, meeting.body)
    if len(text) > NOTES_MAX:
        raise Refused(_("The notes are too long (at most 50,000 characters)."))
    locked = _lock(meeting)
    latest = NotesVersion.objects.filter(meeting=locked).order_by("-number").first()
    current = latest.number if latest else 0
    if base != current:
        raise Conflict(
            _("Someone saved the notes meanwhile. Reload, merge and save again."),
            code="stale_notes",
        )
    version = NotesVersion.objects.create(
        meeting=locked, number=current + 1, text=text, author=facilitator
    )
    _changed(
        locked,
        "minutes.notes_saved",
        {
            "version": version.number,
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        },
    )
    return version


@transaction.atomic
def minutes_publish(facilitator: Person, meeting: Meeting, *, publish: bool) -> Meeting:
    require_facilitator(facilitator, meeting.body)
    locked = _lock(meeting)
    if not locked.is_closed:
        raise Conflict(_("Minutes exist once the meeting is closed."), code="meeting_not_closed")
    if publish == (locked.minutes_published_at is not None):
        raise Conflict(_("Nothing to change."), code="no_change")
    locked.minutes_published_at = timezone.now() if publish else None
    locked.save(update_fields=["minutes_published_at"])
    _changed(locked, "minutes.published" if publish else "minutes.withdrawn", {})
    return locked
