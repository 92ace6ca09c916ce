from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from asamblea import ratelimit
from asamblea.accounts import devices
from asamblea.accounts.actions import recovery_codes_issue
from asamblea.accounts.context import FRESH_CODES
from asamblea.accounts.forms import SignupForm
from asamblea.accounts.models import Person
from asamblea.bodies import actions, reset_actions
from asamblea.bodies.forms import BodyForm, InvitationForm, MemberActionForm
from asamblea.bodies.models import Body, Invitation, Membership
from asamblea.bodies.queries import (
    active_membership,
    require_facilitator,
    viewable_body,
    visible_bodies,
)
from asamblea.bodies.signals import body_viewed
from asamblea.errors import Conflict, Refused
from asamblea.ledger.actions import chain_head, head_hash
from asamblea.ledger.chain import heads_document
from asamblea.ledger.models import LedgerEntry
from asamblea.ledger.sentences import Reader, describe
from asamblea.web import absolute_url, handles_refusal, qr_svg

LEDGER_PAGE_SIZE = 50


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    bodies = visible_bodies(request.user)
    mine = []
    if request.user.is_authenticated:
        mine = list(
            Membership.objects.filter(person=request.user, status=Membership.Status.ACTIVE)
            .select_related("body")
            .order_by("body__name")
        )
    # Public coordinations, with their member bodies counted (the Affiliation rows of the
    # coordination app, reached by their related name: bodies does not import coordination).
    coordinations = (
        Body.objects.filter(visibility=Body.Visibility.PUBLIC)
        .exclude(kind__in=Body.ASSEMBLY_KINDS)
        .annotate(
            member_count=Count("members", filter=Q(members__left_at__isnull=True), distinct=True)
        )
        .order_by("name")[:50]
    )
    return render(
        request,
        "bodies/home.html",
        {"bodies": bodies, "mine": mine, "coordinations": coordinations},
    )


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def body_create(request: HttpRequest) -> HttpResponse:
    form = BodyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        body = actions.body_create(request.user, **form.cleaned_data)
        messages.success(request, _("Assembly created. Invite its members."))
        return redirect("bodies:invitations", slug=body.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "bodies/body_form.html", {"form": form}, status=status)


@require_GET
def body_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The body's page: what is happening now, motions, votes, meetings and elections. The
    apps above bodies fill their sections through template tags (``body_motions``,
    ``body_polls``, ``meetings_now``, ``body_elections``) and bring the body up to date first
    through ``signals.body_viewed`` (voting closes what is due)."""
    body = viewable_body(request, slug)
    membership = active_membership(request.user, body)
    body_viewed.send(sender=Body, body=body)
    context = {
        "body": body,
        "membership": membership,
        "member_count": body.memberships.filter(status=Membership.Status.ACTIVE).count(),
        "sectors": body.sectors.all(),
        "chain_head": chain_head(body.ledger_chain),
    }
    return render(request, "bodies/body_detail.html", context)


@require_GET
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """Members see who else belongs; outsiders of a public body do not (membership lists are
    dangerous data)."""
    body = viewable_body(request, slug)
    membership = active_membership(request.user, body)
    if membership is None:
        raise Http404
    rows = body.memberships.select_related("person").order_by("person__display_name")
    if not membership.is_facilitator:
        rows = rows.filter(status=Membership.Status.ACTIVE)
    return render(
        request,
        "bodies/members.html",
        {"body": body, "membership": membership, "rows": rows, "roles": Membership.Role.choices},
    )


@login_required
@require_POST
@handles_refusal
def member_action(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    body = viewable_body(request, slug)
    target = get_object_or_404(Membership, pk=pk, body=body)
    form = MemberActionForm(request.POST)
    if not form.is_valid():
        raise Refused(_("Choose a valid action."))
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    if action == "suspend":
        actions.member_suspend(request.user, target, reason=reason)
    elif action == "reinstate":
        actions.member_reinstate(request.user, target, reason=reason)
    elif action == "remove":
        actions.member_remove(request.user, target, reason=reason)
    else:
        actions.member_set_role(request.user, target, role=form.cleaned_data["role"])
    messages.success(request, _("Membership updated."))
    return redirect("bodies:members", slug=body.slug)


@login_required
@require_POST
@handles_refusal
def member_reset(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A facilitator issues a single-use reset link for a member (shown once, with its QR)."""
    body = viewable_body(request, slug)
    target = get_object_or_404(Membership.objects.select_related("person"), pk=pk, body=body)
    token = reset_actions.reset_issue(request.user, target)
    url = absolute_url(request, reverse("accounts:reset", args=[token]))
    context = {"body": body, "target": target, "url": url, "qr": qr_svg(url)}
    response = render(request, "bodies/reset_created.html", context)
    response["Cache-Control"] = "no-store, private"  # the link lets anyone into the account
    return response


def _invitation_page(
    request: HttpRequest, body: Body, invitation: Invitation, token: str | None
) -> HttpResponse:
    """The invitation's link and QR code (or, when it cannot be derived again, the way to
    re-issue it). Never cached: the link lets anyone in."""
    url = absolute_url(request, reverse("bodies:join", args=[token])) if token else ""
    response = render(
        request,
        "bodies/invitation_created.html",
        {"body": body, "invitation": invitation, "url": url, "qr": qr_svg(url) if url else ""},
    )
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def invitations(request: HttpRequest, slug: str) -> HttpResponse:
    body = viewable_body(request, slug)
    require_facilitator(request.user, body)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invitation, token = actions.invitation_create(request.user, body, **form.cleaned_data)
        return _invitation_page(request, body, invitation, token)
    listing = body.invitations.select_related("created_by")[:50]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "bodies/invitations.html",
        {"body": body, "form": form, "invitations": listing},
        status=status,
    )


@login_required
@require_POST
@handles_refusal
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    body = viewable_body(request, slug)
    invitation = get_object_or_404(body.invitations, pk=pk)
    actions.invitation_revoke(request.user, invitation)
    messages.success(request, _("Invitation revoked."))
    return redirect("bodies:invitations", slug=body.slug)


@login_required
@require_GET
@handles_refusal
def invitation_show(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An active invitation's link and QR code again, for the body's facilitators only."""
    body = viewable_body(request, slug)
    require_facilitator(request.user, body)
    invitation = get_object_or_404(body.invitations, pk=pk)
    if not invitation.usable():
        raise Conflict(
            _("This invitation has expired, was revoked or has been used up. Create a new one."),
            code="expired_invitation",
        )
    return _invitation_page(request, body, invitation, actions.recover_token(invitation))


@login_required
@require_POST
@handles_refusal
def invitation_reissue(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    body = viewable_body(request, slug)
    invitation = get_object_or_404(body.invitations, pk=pk)
    new, _token = actions.invitation_reissue(request.user, invitation)
    messages.success(request, _("The old link no longer works. Here is the new one."))
    return redirect("bodies:invitation_show", slug=body.slug, pk=new.pk)


@require_http_methods(["GET", "POST"])
@handles_refusal
def join(request: HttpRequest, token: str) -> HttpResponse:
    """Redeem an invitation: new people choose a display name and a passphrase; people who
    already have an account just confirm."""
    if request.method == "POST" and not ratelimit.hit(
        "invitation_redeem", ratelimit.client_address(request)
    ):
        raise Refused(_("Too many attempts. Wait a few minutes and try again."), status=429)
    invitation = actions.invitation_for_token(token)
    body = invitation.body
    if request.user.is_authenticated:
        if request.method == "POST":
            actions.invitation_redeem(request.user, token)
            # Only failures count against the address: a hall on one Wi-Fi joins together.
            ratelimit.forgive("invitation_redeem", ratelimit.client_address(request))
            messages.success(request, _("Welcome to %(body)s.") % {"body": body.name})
            return redirect("bodies:detail", slug=body.slug)
        return render(request, "bodies/join.html", {"body": body, "invitation": invitation})
    initial = {"language": getattr(request, "LANGUAGE_CODE", "es")}
    form = SignupForm(request.POST or None, initial=initial)
    person = None
    if request.method == "POST" and form.is_valid():
        person = _signup_and_redeem(form, token)
    if person is not None:
        ratelimit.forgive("invitation_redeem", ratelimit.client_address(request))
        login(request, person, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(body)s.") % {"body": body.name})
        response = redirect("bodies:detail", slug=body.slug)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, person.language, samesite="Lax")
        devices.remember(request, response, person.username)  # this phone is theirs
        # Shown at the top of the next pages until the person says they wrote them down.
        request.session[FRESH_CODES] = recovery_codes_issue(person)
        return response
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "bodies/join.html",
        {"body": body, "invitation": invitation, "form": form},
        status=status,
    )


def _signup_and_redeem(form: SignupForm, token: str) -> Person | None:
    """Create the account and redeem the invitation in one transaction. Two people racing for
    one login name both pass the form's check; the unique index lets one in, and the other gets
    the form back with the same message instead of a 500."""
    data = form.cleaned_data
    try:
        with transaction.atomic():
            person = Person.objects.create_user(
                data["username"],
                data["password"],
                display_name=data["display_name"],
                language=data["language"],
            )
            actions.invitation_redeem(person, token)
    except IntegrityError:
        form.add_error("username", _("This login name is taken. Choose another."))
        return None
    return person


@require_GET
def ledger(request: HttpRequest, slug: str) -> HttpResponse:
    """The body's ledger, newest first, a page at a time (it grows without limit), each entry
    as a sentence in the reader's language and time zone with its payload for checking."""
    body = viewable_body(request, slug)
    entries = LedgerEntry.objects.filter(chain=body.ledger_chain).order_by("-seq")
    page = Paginator(entries, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    reader = Reader(body, names_visible=active_membership(request.user, body) is not None)
    return render(
        request,
        "bodies/ledger.html",
        {
            "body": body,
            "lines": describe(page.object_list, reader),
            "page": page,
            "head": head_hash(body.ledger_chain),
            "chain_head": chain_head(body.ledger_chain),
        },
    )


@require_GET
def ledger_heads(request: HttpRequest, slug: str) -> HttpResponse:
    """The ledger's head (length and hash) as a file anyone who may read the ledger can keep:
    ``asamblea verify-ledger --heads FILE`` later proves the chain was not rewritten or cut
    before that point. Not cached: a stale head would prove nothing new."""
    body = viewable_body(request, slug)
    document = heads_document(
        [chain_head(body.ledger_chain)],
        site=settings.SITE_URL,
        body=body.slug,
        saved_at=timezone.now().isoformat(timespec="seconds"),
    )
    response = JsonResponse(document, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="ledger-heads-{body.slug}.json"'
    response["Cache-Control"] = "no-store"
    return response
