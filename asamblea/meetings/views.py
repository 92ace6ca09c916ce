"""Meeting pages. Every action is a plain form POST that redirects back to the page it came
from; the live parts of the pages are fragments that a small static script refreshes when the
meeting's event stream says something changed (or every few seconds when it cannot connect)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea.bodies.queries import active_membership, require_facilitator, viewable_body
from asamblea.errors import Refused
from asamblea.ledger.actions import chain_head
from asamblea.live.http import stream_view
from asamblea.meetings import actions, minutes_pdf, queries
from asamblea.meetings.forms import (
    DecideForm,
    GroupForm,
    ItemForm,
    MeetingForm,
    MoveForm,
    NotesForm,
    PersonForm,
    PublishForm,
    RulesForm,
    SpeakForm,
    TimerForm,
)
from asamblea.meetings.live import channels_for
from asamblea.meetings.models import AgendaItem, Attendance, Meeting, SpeakerGroup, Speech
from asamblea.meetings.queries import back_to_meeting, viewable_meeting
from asamblea.motions.models import Motion
from asamblea.web import absolute_url, form_refusal, handles_refusal, qr_svg

# -- meeting list and scheduling -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@handles_refusal
def meeting_list(request: HttpRequest, slug: str) -> HttpResponse:
    body = viewable_body(request, slug)
    membership = active_membership(request.user, body)
    form = MeetingForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        require_facilitator(request.user, body)
        if not form.is_valid():
            raise form_refusal(form)
        meeting = actions.meeting_schedule(request.user, body, **form.cleaned_data)
        messages.success(request, _("Meeting scheduled. Now prepare its agenda."))
        return redirect("meetings:detail", slug=slug, pk=meeting.pk)
    context = {
        "body": body,
        "membership": membership,
        "meetings": Meeting.objects.filter(body=body),
        "form": form,
    }
    return render(request, "meetings/meeting_list.html", context)


# -- the meeting page and its live fragment ------------------------------------------------


def _live_context(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    body = meeting.body
    membership = active_membership(request.user, body)
    floor = queries.floor(meeting)
    me_present = False
    my_waiting: list[Speech] = []
    if request.user.is_authenticated:
        me_present = Attendance.objects.filter(
            meeting=meeting, person=request.user, present=True
        ).exists()
        if floor.speakers_list is not None:
            my_waiting = [s for s in floor.queue if s.person_id == request.user.pk]
    is_facilitator = membership is not None and membership.is_facilitator
    context: dict[str, Any] = {
        "body": body,
        "meeting": meeting,
        "membership": membership,
        "is_facilitator": is_facilitator,
        "floor": floor,
        "rules": queries.rules_of(body),
        "present_count": Attendance.objects.filter(meeting=meeting, present=True).count(),
        "me_present": me_present,
        "my_waiting": my_waiting,
        "now": timezone.now(),
    }
    if is_facilitator:
        context["totals"] = queries.totals(meeting)
    return context


def _page_context(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    context = _live_context(request, meeting)
    items = list(
        AgendaItem.objects.filter(meeting=meeting)
        .exclude(status=AgendaItem.Status.DECLINED)
        .prefetch_related("motions")
    )
    context |= {
        "items": items,
        "motions": Motion.objects.filter(body=meeting.body, parent=None),
        "item_form": ItemForm(motions=Motion.objects.filter(body=meeting.body)),
        "present": queries.present(meeting) if context["is_facilitator"] else [],
        "members": (
            meeting.body.memberships.filter(status="active").select_related("person")
            if context["is_facilitator"]
            else []
        ),
        "stream_url": reverse("meetings:events", args=[meeting.pk]),
        "live_url": reverse("meetings:live", args=[meeting.body.slug, meeting.pk]),
    }
    return context


@require_GET
def meeting_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    # Compared without adding to the stored date: any stored value must not break the page.
    due = meeting.opened_at is not None and (
        meeting.opened_at <= timezone.now() - actions.MEETING_MAX_DURATION
    )
    if meeting.is_open and due:
        # A meeting left in session closes itself, even where nobody runs close-due.
        actions.close_due_meetings(meeting.body)
        meeting.refresh_from_db()
    return render(request, "meetings/meeting_detail.html", _page_context(request, meeting))


@require_GET
def meeting_live(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The live part of the meeting page (refetched on events, or polled without a stream)."""
    meeting = viewable_meeting(request, slug, pk)
    response = render(request, "meetings/_live.html", _live_context(request, meeting))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def projector(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    context = _live_context(request, meeting)
    checkin_url = absolute_url(
        request, reverse("meetings:checkin", args=[meeting.body.slug, meeting.pk])
    )
    context |= {
        "qr": qr_svg(checkin_url),
        "checkin_url": checkin_url,
        "stream_url": reverse("meetings:events", args=[meeting.pk]),
        "live_url": reverse("meetings:projector_live", args=[meeting.body.slug, meeting.pk]),
    }
    return render(request, "meetings/projector.html", context)


@require_GET
def projector_live(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    response = render(request, "meetings/_projector_live.html", _live_context(request, meeting))
    response["Cache-Control"] = "no-store"
    return response


async def meeting_events(request: HttpRequest, pk: int) -> HttpResponse:
    """The meeting's Server-Sent Events stream from an async Django view. In production the
    same stream is served by the lean ASGI app in front of Django (``asamblea.asgi``), with the
    same permission rule."""
    return await stream_view(request, channels_for, pk)


# -- state ---------------------------------------------------------------------------------


@login_required
@require_POST
@handles_refusal
def meeting_open(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    actions.meeting_open(request.user, meeting)
    messages.success(request, _("The meeting is open."))
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def meeting_close(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    actions.meeting_close(request.user, meeting)
    messages.success(request, _("The meeting is closed; its minutes are ready."))
    return redirect("meetings:minutes", slug=slug, pk=pk)


# -- agenda --------------------------------------------------------------------------------


@login_required
@require_POST
@handles_refusal
def item_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Facilitators put items on the agenda; members propose them."""
    meeting = viewable_meeting(request, slug, pk)
    form = ItemForm(request.POST, motions=Motion.objects.filter(body=meeting.body))
    if not form.is_valid():
        raise form_refusal(form)
    membership = active_membership(request.user, meeting.body)
    data = form.cleaned_data
    if membership is not None and membership.is_facilitator:
        actions.item_add(
            request.user,
            meeting,
            title=data["title"],
            description=data["description"],
            motions=list(data["motions"]),
        )
        messages.success(request, _("Item added to the agenda."))
    else:
        actions.item_propose(
            request.user, meeting, title=data["title"], description=data["description"]
        )
        messages.success(request, _("Your proposal is on the list for the facilitators."))
    return back_to_meeting(meeting, request)


def _item(meeting: Meeting, item_pk: int) -> AgendaItem:
    return get_object_or_404(AgendaItem, meeting=meeting, pk=item_pk)


@login_required
@require_POST
@handles_refusal
def item_decide(request: HttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        raise form_refusal(form)
    actions.item_decide(request.user, _item(meeting, item), accept=form.cleaned_data["accept"])
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def item_start(request: HttpRequest, slug: str, pk: int, item: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    actions.item_start(request.user, _item(meeting, item))
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def motion_debate(request: HttpRequest, slug: str, pk: int, item: int, number: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    motion = get_object_or_404(Motion, body=meeting.body, number=number)
    actions.motion_debate(request.user, _item(meeting, item), motion)
    return back_to_meeting(meeting, request)


# -- attendance ----------------------------------------------------------------------------


def _target_person(request: HttpRequest, meeting: Meeting) -> Any:
    form = PersonForm(request.POST)
    if not form.is_valid():
        raise form_refusal(form)
    pk = form.cleaned_data["person"]
    if not pk or pk == request.user.pk:
        return request.user
    membership = meeting.body.memberships.filter(person_id=pk).select_related("person").first()
    if membership is None:
        raise Refused(_("This person is not a member of this assembly."), code="not_member")
    return membership.person


@require_http_methods(["GET", "POST"])
@handles_refusal
def checkin(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET: the page the projector's QR code opens; POST: check in (self or, by a facilitator,
    a member)."""
    meeting = viewable_meeting(request, slug, pk)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    if request.method == "POST":
        person = _target_person(request, meeting)
        actions.check_in(request.user, meeting, person=person)
        if person.pk == request.user.pk:
            messages.success(request, _("You are checked in."))
        return back_to_meeting(meeting, request)
    present = Attendance.objects.filter(meeting=meeting, person=request.user, present=True)
    return render(
        request,
        "meetings/checkin.html",
        {"body": meeting.body, "meeting": meeting, "present": present.exists()},
    )


@login_required
@require_POST
@handles_refusal
def checkout(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    actions.check_out(request.user, meeting, person=_target_person(request, meeting))
    return back_to_meeting(meeting, request)


# -- the floor -----------------------------------------------------------------------------


def _current_list(meeting: Meeting) -> Any:
    if meeting.current_list is None:
        raise Refused(_("No speakers list is open now."), code="no_list", status=409)
    return meeting.current_list


def _speech(meeting: Meeting, speech_pk: int) -> Speech:
    return get_object_or_404(
        Speech.objects.select_related("speakers_list__item__meeting__body"),
        speakers_list__item__meeting=meeting,
        pk=speech_pk,
    )


@login_required
@require_POST
@handles_refusal
def speak(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    form = SpeakForm(request.POST)
    if not form.is_valid():
        raise Refused(_("Unknown kind of request."), code="bad_kind")
    actions.speech_request(request.user, _current_list(meeting), kind=form.cleaned_data["kind"])
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def speech_withdraw(request: HttpRequest, slug: str, pk: int, speech: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    actions.speech_withdraw(request.user, _speech(meeting, speech))
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def speaker_next(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    actions.speaker_next(request.user, _current_list(meeting))
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def timer(request: HttpRequest, slug: str, pk: int, speech: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    form = TimerForm(request.POST)
    if not form.is_valid():
        raise form_refusal(form)
    actions.timer_toggle(request.user, _speech(meeting, speech), run=form.cleaned_data["run"])
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def speech_finish(request: HttpRequest, slug: str, pk: int, speech: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    actions.speech_finish(request.user, _speech(meeting, speech))
    return back_to_meeting(meeting, request)


@login_required
@require_POST
@handles_refusal
def speech_move(request: HttpRequest, slug: str, pk: int, speech: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        raise form_refusal(form)
    target = _speech(meeting, speech)
    before_pk = form.cleaned_data["before"]
    before = _speech(meeting, before_pk) if before_pk else None
    actions.speech_move(request.user, target, before=before, reason=form.cleaned_data["reason"])
    return back_to_meeting(meeting, request)


# -- minutes -------------------------------------------------------------------------------


def _minutes_meeting(request: HttpRequest, slug: str, pk: int) -> Meeting:
    meeting = viewable_meeting(request, slug, pk)
    if not queries.minutes_visible(request.user, meeting):
        raise Http404
    return meeting


@require_GET
def minutes(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = _minutes_meeting(request, slug, pk)
    membership = active_membership(request.user, meeting.body)
    context = {
        "body": meeting.body,
        "meeting": meeting,
        "membership": membership,
        "record": queries.minutes_for(request.user, meeting),
        "notes": queries.latest_notes(meeting),
        "chain_head": chain_head(meeting.body.ledger_chain),
    }
    return render(request, "meetings/minutes.html", context)


@require_GET
def minutes_download(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = _minutes_meeting(request, slug, pk)
    notes = queries.latest_notes(meeting)
    record = queries.minutes_for(request.user, meeting, printed=True)
    data = minutes_pdf.render(
        record, notes.text if notes else "", chain_head(meeting.body.ledger_chain)
    )
    response = HttpResponse(data, content_type="application/pdf")
    # In the reader's language and ASCII only (every browser keeps it): "acta-junio-3.pdf".
    name = slugify(f"{pgettext('file name', 'minutes')} {meeting.title}")[:60].strip("-")
    response["Content-Disposition"] = f'attachment; filename="{name}-{meeting.pk}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def notes(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    require_facilitator(request.user, meeting.body)
    latest = queries.latest_notes(meeting)
    if request.method == "POST":
        form = NotesForm(request.POST)
        if not form.is_valid():
            raise form_refusal(form)
        actions.notes_save(
            request.user, meeting, text=form.cleaned_data["text"], base=form.cleaned_data["base"]
        )
        messages.success(request, _("Notes saved as a new version."))
        return redirect("meetings:notes", slug=slug, pk=pk)
    form = NotesForm(
        initial={"text": latest.text if latest else "", "base": latest.number if latest else 0}
    )
    return render(
        request,
        "meetings/notes.html",
        {
            "body": meeting.body,
            "meeting": meeting,
            "form": form,
            "versions": meeting.notes_versions.select_related("author"),
        },
    )


@login_required
@require_POST
@handles_refusal
def minutes_publish(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = viewable_meeting(request, slug, pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        raise form_refusal(form)
    actions.minutes_publish(request.user, meeting, publish=form.cleaned_data["publish"])
    return redirect("meetings:minutes", slug=slug, pk=pk)


# -- speaking rules and groups -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def speaking(request: HttpRequest, slug: str) -> HttpResponse:
    """Facilitators set the assembly's fairness rules; every member may declare a group."""
    body = viewable_body(request, slug)
    membership = active_membership(request.user, body)
    if membership is None:
        raise Http404
    rules = queries.rules_of(body)
    groups = SpeakerGroup.objects.filter(body=body)
    if request.method == "POST":
        if "time_limit" in request.POST:
            form = RulesForm(request.POST)
            require_facilitator(request.user, body)
            if not form.is_valid():
                raise form_refusal(form)
            actions.rules_set(
                request.user,
                body,
                time_limit=form.cleaned_data["time_limit"],
                alternate_groups=form.cleaned_data["alternate_groups"],
                groups=form.cleaned_data["groups"].splitlines(),
            )
            messages.success(request, _("Speaking rules saved."))
        else:
            group_form = GroupForm(request.POST)
            if not group_form.is_valid():
                raise form_refusal(group_form)
            group_pk = group_form.cleaned_data["group"]
            group = get_object_or_404(SpeakerGroup, body=body, pk=group_pk) if group_pk else None
            actions.group_choose(request.user, body, group=group)
            messages.success(request, _("Your choice is saved."))
        return redirect("meetings:speaking", slug=slug)
    form = RulesForm(
        initial={
            "time_limit": rules.time_limit,
            "alternate_groups": rules.alternate_groups,
            "groups": "\n".join(g.name for g in groups),
        }
    )
    return render(
        request,
        "meetings/speaking.html",
        {
            "body": body,
            "membership": membership,
            "form": form,
            "groups": groups,
            "mine": queries.group_of(request.user, body),
        },
    )
