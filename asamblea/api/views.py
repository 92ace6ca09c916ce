"""The member's access tokens page (an account page): make a token, see it once, revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from asamblea.api import actions
from asamblea.api.forms import TokenForm
from asamblea.api.models import AccessToken
from asamblea.errors import Refused
from asamblea.web import handles_refusal


def _page(
    request: HttpRequest, form: TokenForm, status: int = 200, **extra: object
) -> HttpResponse:
    tokens = AccessToken.objects.filter(person=request.user)
    context = {
        "form": form,
        "active": [t for t in tokens if t.is_active],
        "revoked": [t for t in tokens if not t.is_active][:20],
        "docs_url": reverse("api:openapi-view"),
        **extra,
    }
    response = render(request, "api/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@handles_refusal
def tokens(request: HttpRequest) -> HttpResponse:
    """GET: the person's tokens and a form to make one. POST: make it, and show it this once
    (in this answer only, never stored in a readable form, never sent again)."""
    if request.method == "GET":
        return _page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    token, secret = actions.token_create(
        request.user, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
    )
    return _page(request, TokenForm(), new_token=token, secret=secret)


@login_required
@require_POST
@handles_refusal
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = AccessToken.objects.filter(pk=pk, person=request.user).first()
    if token is None:
        raise Refused(_("This token does not exist."), code="no_token", status=404)
    actions.token_revoke(request.user, token)
    messages.success(request, _("The token is revoked: it no longer works."))
    return redirect("tokens:list")
