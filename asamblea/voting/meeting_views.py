"""Votes held in a meeting: opened on the meeting's page for the members present, counted by
hand for those without a phone, closed there. The meeting's pages show them through the
template tags of ``voting.templatetags.votes``; these views answer their forms and go back to
the meeting's page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from asamblea.errors import Refused
from asamblea.meetings.models import Meeting
from asamblea.meetings.queries import back_to_meeting, viewable_meeting
from asamblea.motions.models import Motion
from asamblea.voting import actions, queries
from asamblea.voting.forms import HandCountForm, MeetingVoteForm
from asamblea.voting.models import Poll
from asamblea.web import form_refusal, handles_refusal


@login_required
@require_POST
@handles_refusal
def vote_open(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    form = MeetingVoteForm(request.POST, motions=queries.votable_motions(meeting))
    if not form.is_valid():
        raise form_refusal(form)
    data = form.cleaned_data
    motion = None
    if data["motion"]:
        motion = Motion.objects.filter(body=meeting.body, number=data["motion"]).first()
        if motion is None:
            raise Refused(_("There is no motion with this number."), code="no_motion")
    title = data["title"]
    if data["decides_agenda"] and not title:
        title = _("Adopt the agenda of: %(meeting)s") % {"meeting": meeting.title}
    actions.poll_open(
        request.user,
        meeting.body,
        motion=motion,
        title=title,
        secrecy=data["secrecy"],
        meeting=meeting,
        decides_agenda=data["decides_agenda"],
    )
    messages.success(request, _("The vote is open to the members present."))
    return back_to_meeting(meeting, request)


def _meeting_poll(meeting: Meeting, poll_pk: int) -> Poll:
    return get_object_or_404(Poll.objects.select_related("body"), meeting=meeting, pk=poll_pk)


@login_required
@require_POST
@handles_refusal
def hands_record(request: HttpRequest, slug: str, pk: int, poll: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    form = HandCountForm(request.POST)
    if not form.is_valid():
        raise form_refusal(form)
    actions.hand_count_record(request.user, _meeting_poll(meeting, poll), **form.cleaned_data)
    messages.success(request, _("Hand count recorded. A second person must attest it."))
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def hands_attest(request: HttpRequest, slug: str, pk: int, poll: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    actions.hand_count_attest(request.user, _meeting_poll(meeting, poll))
    messages.success(request, _("Hand count attested."))
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def vote_close(request: HttpRequest, slug: str, pk: int, poll: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    actions.poll_close(request.user, _meeting_poll(meeting, poll))
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def vote_close_void(request: HttpRequest, slug: str, pk: int, poll: int) -> HttpResponse:
    """Close a vote whose hand count cannot be made valid, as "closed without a valid count"."""
    meeting = viewable_meeting(request, slug, pk)
    actions.poll_close_without_count(
        request.user, _meeting_poll(meeting, poll), reason=request.POST.get("reason", "")[:1000]
    )
    messages.success(request, _("The vote is closed without a valid count. Nothing was adopted."))
    return back_to_meeting(meeting, request)
