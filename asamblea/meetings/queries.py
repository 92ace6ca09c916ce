"""Reads about meetings: the queue, the floor, totals and the minutes record."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import (
    active_membership,
    can_view,
    sees_participation,
    viewable_body,
)
from asamblea.meetings import speakers
from asamblea.meetings.models import (
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
from asamblea.meetings.signals import minutes_sections


def rules_of(body: Body) -> speakers.Rules:
    found = SpeakingRules.objects.filter(body=body).first()
    if found is None:
        return speakers.Rules(alternate_groups=False, time_limit=180)
    return speakers.Rules(alternate_groups=found.alternate_groups, time_limit=found.time_limit)


def _group_key(speech: Speech) -> str | None:
    return str(speech.group_id) if speech.group_id else None


def _spoken(speech: Speech) -> speakers.Spoken:
    return speakers.Spoken(
        person=speech.person_id,
        kind=speakers.Kind(speech.kind),
        group=_group_key(speech),
        seconds=speech.seconds,
    )


def history(speakers_list: SpeakersList) -> list[Speech]:
    """Speeches given or being given on the list, in the order they started."""
    return list(
        Speech.objects.filter(
            speakers_list=speakers_list, state__in=[Speech.State.DONE, Speech.State.SPEAKING]
        )
        .select_related("person")
        .order_by("started_at", "seq")
    )


def queue(speakers_list: SpeakersList) -> list[Speech]:
    """The waiting requests in speaking order (see :mod:`asamblea.meetings.speakers`)."""
    waiting = list(
        Speech.objects.filter(speakers_list=speakers_list, state=Speech.State.WAITING)
        .select_related("person")
        .order_by("seq")
    )
    by_id = {s.pk: s for s in waiting}
    requests = [
        speakers.Request(
            id=s.pk, person=s.person_id, seq=s.seq, kind=speakers.Kind(s.kind), group=_group_key(s)
        )
        for s in waiting
    ]
    moves = [
        speakers.Move(
            request=s.pk,
            before=None if s.move_to_end else (s.moved_before_id or -1),
            seq=s.move_seq,
        )
        for s in waiting
        if s.move_seq is not None
    ]
    done = [_spoken(s) for s in history(speakers_list)]
    ordered = speakers.order(requests, done, rules_of(speakers_list.item.meeting.body), moves)
    return [by_id[r.id] for r in ordered]


def spoken_seconds(speech: Speech, now: datetime | None = None) -> int:
    now = now or timezone.now()
    running = speech.running_since.timestamp() if speech.running_since else None
    return int(speakers.elapsed(speech.seconds, running, now.timestamp()))


@dataclass
class Floor:
    """What a live page shows of a speakers list."""

    speakers_list: SpeakersList | None
    current: Speech | None
    queue: list[Speech]
    spoken: int
    remaining: int | None
    over: bool


def floor(meeting: Meeting) -> Floor:
    speakers_list = meeting.current_list
    if speakers_list is None:
        return Floor(None, None, [], 0, None, False)
    current = (
        Speech.objects.filter(speakers_list=speakers_list, state=Speech.State.SPEAKING)
        .select_related("person")
        .first()
    )
    spoken = spoken_seconds(current) if current else 0
    rules = rules_of(meeting.body)
    left = speakers.remaining(rules, spoken) if current and current.kind == "turn" else None
    return Floor(
        speakers_list,
        current,
        queue(speakers_list),
        spoken,
        None if left is None else int(left),
        left is not None and left < 0,
    )


def totals(meeting: Meeting) -> dict[str, Any]:
    """Speaking totals per person and per group for the whole meeting (facilitators and
    minutes only: groups are aggregated, never attached to a person)."""
    done = list(
        Speech.objects.filter(speakers_list__item__meeting=meeting, state=Speech.State.DONE)
        .select_related("person", "group")
        .order_by("started_at")
    )
    history = [_spoken(s) for s in done]
    names = {s.person_id: s.person.display_name for s in done}
    group_names = {str(s.group_id): s.group.name for s in done if s.group_id}
    per_person = speakers.totals_by_person(history)
    per_group = speakers.totals_by_group(history)
    return {
        "people": sorted(
            (
                {"name": names[pid], "speeches": t.speeches, "seconds": t.seconds}
                for pid, t in per_person.items()
            ),
            key=lambda row: (-row["seconds"], row["name"]),
        ),
        "groups": sorted(
            (
                {
                    "name": group_names.get(key or "", ""),
                    "speeches": t.speeches,
                    "seconds": t.seconds,
                }
                for key, t in per_group.items()
                if key is not None
            ),
            key=lambda row: row["name"],
        )
        + [
            {"name": "", "speeches": t.speeches, "seconds": t.seconds}
            for key, t in per_group.items()
            if key is None
        ],
    }


def present(meeting: Meeting) -> QuerySet[Attendance]:
    return (
        Attendance.objects.filter(meeting=meeting, present=True)
        .select_related("person")
        .order_by("person__display_name")
    )


def present_voters(meeting: Meeting) -> list[int]:
    """Person ids of the members present now who may vote (members and facilitators)."""
    voters = Membership.objects.filter(
        body=meeting.body, status=Membership.Status.ACTIVE, role__in=Membership.VOTING_ROLES
    ).values("person_id")
    return list(
        Attendance.objects.filter(meeting=meeting, present=True, person_id__in=voters)
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )


def can_see_meeting(person: Visitor, meeting: Meeting) -> bool:
    return can_view(person, meeting.body)


def minutes_visible(person: Visitor, meeting: Meeting) -> bool:
    """Published minutes: whoever may read the assembly. Drafts: its facilitators."""
    if not meeting.is_closed or not can_view(person, meeting.body):
        return False
    if meeting.minutes_published_at is not None:
        return True
    membership = active_membership(person, meeting.body)
    return membership is not None and membership.is_facilitator


def minutes_for(person: Visitor, meeting: Meeting, *, printed: bool = False) -> dict[str, Any]:
    """The stored minutes as ``person`` may read them (the stored record is never changed).

    Names (who attended, who spoke, speaking time per person) are for those who see the body's
    participation lists (its members, or everyone if the statute says so); others get the
    counts and the speeches without names. Speaking time per group only for facilitators, and
    never in the ``printed`` leaflet: beside the times per person it would tell who declared
    which group, and groups are never shown publicly."""
    record = copy.deepcopy(meeting.minutes or {})
    names = sees_participation(person, meeting.body)
    membership = active_membership(person, meeting.body)
    groups = not printed and membership is not None and membership.is_facilitator
    attendance = record.get("attendance", [])
    record["attendance_count"] = len(attendance)
    record["names_shown"] = names
    totals = record.get("totals") or {}
    if not groups:
        totals.pop("groups", None)
    if not names:
        record["attendance"] = []
        totals.pop("people", None)
        for item in record.get("items", []):
            for speakers_list in item.get("lists", []):
                speakers_list["speeches"] = [
                    {"kind": speech.get("kind", ""), "seconds": speech.get("seconds", 0)}
                    for speech in speakers_list.get("speeches", [])
                ]
    record["totals"] = totals
    return record


def group_of(person: Visitor, body: Body) -> SpeakerGroup | None:
    if person is None or not person.is_authenticated:
        return None
    choice = GroupChoice.objects.filter(body=body, person=person).select_related("group").first()
    return choice.group if choice else None


def latest_notes(meeting: Meeting) -> NotesVersion | None:
    return NotesVersion.objects.filter(meeting=meeting).order_by("-number").first()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def minutes_record(meeting: Meeting) -> dict[str, Any]:
    """The minutes, produced from the record when the meeting closes: attendance, items,
    speakers with their times, motions and amendments, votes with their results, totals.
    The secretary's notes are kept apart (versioned) and joined when the minutes are shown."""
    attendance = [
        {"name": a.person.display_name, "first_in": _iso(a.first_in_at)}
        for a in Attendance.objects.filter(meeting=meeting)
        .select_related("person")
        .order_by("person__display_name")
    ]
    items = []
    agenda = (
        AgendaItem.objects.filter(meeting=meeting, status=AgendaItem.Status.ON_AGENDA)
        .prefetch_related("motions__amendments")
        .order_by("position", "pk")
    )
    for item in agenda:
        lists = []
        for speakers_list in SpeakersList.objects.filter(item=item).select_related("motion"):
            lists.append(
                {
                    "motion": speakers_list.motion.number if speakers_list.motion else None,
                    "speeches": [
                        {
                            "name": s.person.display_name,
                            "kind": s.kind,
                            "started": _iso(s.started_at),
                            "seconds": s.seconds,
                        }
                        for s in history(speakers_list)
                    ],
                }
            )
        items.append(
            {
                "title": item.title,
                "description": item.description,
                "started": _iso(item.started_at),
                "ended": _iso(item.ended_at),
                "motions": [
                    {
                        "number": m.number,
                        "title": m.title,
                        "state": m.state,
                        "text": m.text,
                        "amendments": [
                            {"number": a.number, "title": a.title, "state": a.state}
                            for a in m.amendments.all()
                        ],
                    }
                    for m in item.motions.all()
                ],
                "lists": lists,
            }
        )
    record: dict[str, Any] = {
        "meeting": meeting.pk,
        "title": meeting.title,
        "body": meeting.body.name,
        "place": meeting.place,
        "online": bool(meeting.online_url),
        "opened": _iso(meeting.opened_at),
        "closed": _iso(meeting.closed_at),
        "agenda_adopted": _iso(meeting.agenda_adopted_at),
        "attendance": attendance,
        "items": items,
        "votes": [],
        "totals": totals(meeting),
    }
    for _receiver, sections in minutes_sections.send(sender=Meeting, meeting=meeting):
        record |= sections
    return record


def viewable_meeting(request: HttpRequest, slug: str, pk: int) -> Meeting:
    """The meeting ``pk`` of the body at ``slug``, if the person may read that body; else 404."""
    body = viewable_body(request, slug)
    return get_object_or_404(Meeting.objects.select_related("body"), body=body, pk=pk)


def back_to_meeting(meeting: Meeting, request: HttpRequest) -> HttpResponse:
    """After a form on a meeting's page: back to that page, or to the projector it came from."""
    target = "meetings:projector" if request.POST.get("from") == "projector" else "meetings:detail"
    return redirect(target, slug=meeting.body.slug, pk=meeting.pk)
