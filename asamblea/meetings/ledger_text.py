"""How the meetings app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from asamblea.ledger.sentences import Reader, for_body, labels, references, sentences
from asamblea.meetings.models import Meeting, Speech


def _meetings(ids: set[Any], reader: Reader) -> dict[Any, str]:
    return for_body(Meeting, ids, reader)


def _item_decided(values: Mapping[str, str], payload: Mapping[str, Any]) -> str:
    if payload.get("accepted"):
        return _g("A proposed item was put on the agenda of %(meeting)s.") % values
    return _g("A proposed item was not put on the agenda of %(meeting)s.") % values


def _timer(values: Mapping[str, str], payload: Mapping[str, Any]) -> str:
    return (
        _g("The speaking clock started.")
        if payload.get("running")
        else _g("The speaking clock stopped.")
    )


def _closed(values: Mapping[str, str], payload: Mapping[str, Any]) -> str:
    if payload.get("by") is None and payload.get("reason"):
        return _g("The meeting %(meeting)s closed by itself after 24 hours in session.") % values
    return _g("%(by)s closed the meeting %(meeting)s.") % values


references(("meeting",), _meetings)
labels("kind", {str(value): label for value, label in Speech.Kind.choices})
sentences(
    {
        "meeting.scheduled": _("The meeting “%(title)s” was called."),
        "meeting.opened": _("%(by)s opened the meeting %(meeting)s."),
        "meeting.closed": _closed,
        "agenda.item_added": _("“%(title)s” was added to the agenda of %(meeting)s."),
        "agenda.item_proposed": _("%(by)s proposed “%(title)s” for the agenda of %(meeting)s."),
        "agenda.item_decided": _item_decided,
        "agenda.item_started": _("The assembly took up “%(title)s”."),
        "speakers.list_opened": _("A speakers list opened on motion no. %(motion)s."),
        "attendance.in": _("%(person)s is present at %(meeting)s."),
        "attendance.out": _("%(person)s left %(meeting)s."),
        "speakers.requested": _("A request to speak was made (%(kind)s)."),
        "speakers.withdrawn": _("A request to speak was withdrawn."),
        "speakers.floor_given": _("%(person)s has the floor (%(kind)s)."),
        "speakers.floor_ended": _("Nobody is waiting to speak: the floor is free."),
        "speakers.timer": _timer,
        "speakers.finished": _("A speech ended."),
        "speakers.moved": _("A request to speak was moved up: %(reason)s"),
        "speakers.rules_set": _("The speaking rules were changed (see the details)."),
        "minutes.notes_saved": _("The draft minutes of %(meeting)s were saved."),
        "minutes.published": _("The minutes of %(meeting)s were published."),
        "minutes.withdrawn": _("The minutes of %(meeting)s were withdrawn from publication."),
    }
)
