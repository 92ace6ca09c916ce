from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea.bodies.queries import active_membership, require_member, viewable_body
from asamblea.errors import Refused
from asamblea.markup import render_markdown
from asamblea.motions import actions
from asamblea.motions.forms import CommentForm, MotionForm
from asamblea.motions.models import Motion
from asamblea.web import handles_refusal


def _motion(request: HttpRequest, slug: str, number: int) -> Motion:
    body = viewable_body(request, slug)
    return get_object_or_404(
        Motion.objects.select_related("body", "author"), body=body, number=number
    )


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def motion_create(request: HttpRequest, slug: str) -> HttpResponse:
    body = viewable_body(request, slug)
    require_member(request.user, body)
    form = MotionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        motion = actions.motion_submit(request.user, body, **form.cleaned_data)
        messages.success(request, _("Motion submitted."))
        return redirect("motions:detail", slug=body.slug, number=motion.number)
    status = 400 if request.method == "POST" else 200
    return render(request, "motions/motion_form.html", {"body": body, "form": form}, status=status)


@require_GET
def motion_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    motion = _motion(request, slug, number)
    body = motion.body
    membership = active_membership(request.user, body)
    comments = list(motion.comments.select_related("author"))
    balance = {"for": 0, "against": 0, "neutral": 0}
    for row in motion.comments.values("stance").annotate(n=Count("pk")):
        balance[row["stance"]] = row["n"]
    supporters = motion.supports.count()
    supported_by_me = (
        request.user.is_authenticated and motion.supports.filter(person=request.user).exists()
    )
    context = {
        "body": body,
        "motion": motion,
        "membership": membership,
        "text_html": render_markdown(motion.text),
        "reasons_html": render_markdown(motion.reasons),
        "comments": [(c, render_markdown(c.text)) for c in comments],
        "balance": balance,
        "supporters": supporters,
        "supported_by_me": supported_by_me,
        "comment_form": CommentForm(),
        "history": motion.state_changes.select_related("by"),
    }
    return render(request, "motions/motion_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def motion_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    motion = _motion(request, slug, number)
    if motion.author_id != request.user.pk:
        raise Refused(_("Only the author can edit this motion."), status=403)
    initial = {"title": motion.title, "text": motion.text, "reasons": motion.reasons}
    form = MotionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        actions.motion_edit(request.user, motion, **form.cleaned_data)
        messages.success(request, _("A new version was saved."))
        return redirect("motions:detail", slug=slug, number=number)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "motions/motion_form.html",
        {"body": motion.body, "form": form, "motion": motion},
        status=status,
    )


@require_GET
def motion_versions(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    motion = _motion(request, slug, number)
    versions = [(v, render_markdown(v.text)) for v in motion.versions.select_related("created_by")]
    return render(
        request,
        "motions/motion_versions.html",
        {"body": motion.body, "motion": motion, "versions": versions},
    )


@login_required
@require_POST
@handles_refusal
def motion_support(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    motion = _motion(request, slug, number)
    actions.motion_support(request.user, motion)
    messages.success(request, _("You support this motion."))
    return redirect("motions:detail", slug=slug, number=number)


@login_required
@require_POST
@handles_refusal
def motion_withdraw(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    motion = _motion(request, slug, number)
    actions.motion_withdraw(request.user, motion)
    messages.success(request, _("The motion was withdrawn."))
    return redirect("motions:detail", slug=slug, number=number)


@login_required
@require_POST
@handles_refusal
def comment_add(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    motion = _motion(request, slug, number)
    form = CommentForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        raise Refused(" ".join(errors) or _("The comment could not be saved."))
    actions.comment_add(request.user, motion, **form.cleaned_data)
    messages.success(request, _("Comment added."))
    return redirect("motions:detail", slug=slug, number=number)
