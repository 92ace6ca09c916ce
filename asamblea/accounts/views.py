from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from asamblea import ratelimit
from asamblea.accounts import actions, devices, names
from asamblea.accounts.context import FRESH_CODES
from asamblea.accounts.forms import (
    ConfirmPassphraseForm,
    LoginForm,
    NewPassphraseForm,
    PassphraseChangeForm,
    ProfileForm,
    RecoverForm,
    count_attempt,
    forgive_attempt,
    limit_subjects,
)
from asamblea.accounts.models import AccountNotice, Person
from asamblea.errors import Refused
from asamblea.web import handles_refusal

TOO_MANY = gettext_lazy("Too many attempts. Wait a few minutes and try again.")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return str(settings.LOGIN_REDIRECT_URL)


def notice_text(notice: AccountNotice) -> str:
    when = formats.date_format(timezone.localtime(notice.created_at), "SHORT_DATETIME_FORMAT")
    values = {"when": when, "body": notice.body_name, "by": notice.issued_by_name}
    if notice.kind == AccountNotice.Kind.RESET_ISSUED:
        return (
            _(
                "On %(when)s %(by)s, a facilitator of %(body)s, issued a reset link for your "
                "account. If you did not ask for it, tell your assembly."
            )
            % values
        )
    if notice.kind == AccountNotice.Kind.RESET_USED:
        return (
            _(
                "On %(when)s your passphrase was changed with a reset link issued by %(by)s in "
                "%(body)s. Your other sessions were ended."
            )
            % values
        )
    return (
        _(
            "On %(when)s your passphrase was changed with a recovery code. Your other sessions "
            "were ended."
        )
        % values
    )


def _log_in(request: HttpRequest, person: Person, response: HttpResponse) -> HttpResponse:
    """Log in, trust this browser for the person, and tell them what happened to the account."""
    login(request, person, backend="django.contrib.auth.backends.ModelBackend")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, person.language, samesite="Lax")
    devices.remember(request, response, person.username)
    return response


def _tell_notices(request: HttpRequest, person: Person) -> None:
    for notice in actions.notices_take(person):
        messages.warning(request, notice_text(notice))


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid() and form.person is not None:
        response = _log_in(request, form.person, redirect(_next_url(request)))
        _tell_notices(request, form.person)
        return response
    status = 400 if request.method == "POST" else 200
    return render(
        request, "accounts/login.html", {"form": form, "next": _next_url(request)}, status=status
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        person = form.save()
        messages.success(request, _("Saved."))
        response = redirect("accounts:profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, person.language, samesite="Lax")
        return response
    status = 400 if request.method == "POST" else 200
    person: Any = request.user
    notices = [notice_text(n) for n in AccountNotice.objects.filter(person=person)[:20]]
    context = {
        "form": form,
        "codes_left": actions.recovery_codes_left(person),
        "notices": notices,
        "username": person.username,
    }
    return render(request, "accounts/profile.html", context, status=status)


def _current_passphrase_ok(request: HttpRequest, passphrase: str) -> bool:
    """Check the logged-in person's passphrase, counted like a login attempt (a borrowed
    session must not become a way to guess it)."""
    person: Any = request.user
    subjects = limit_subjects(request, person.username)
    if not count_attempt(subjects) or not person.check_password(passphrase):
        return False
    forgive_attempt(subjects)
    return True


@login_required
@require_http_methods(["GET", "POST"])
def passphrase_change(request: HttpRequest) -> HttpResponse:
    form = PassphraseChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _current_passphrase_ok(request, data["current_password"]):
            try:
                actions.passphrase_change(
                    request.user, current=data["current_password"], new=data["new_password"]
                )
            except Refused as exc:
                form.add_error(None, str(exc.message))
            else:
                # Keep this session; every other session of the person ends.
                update_session_auth_hash(request, request.user)
                messages.success(request, _("Your passphrase is changed."))
                return redirect("accounts:profile")
        else:
            form.add_error("current_password", _("The current passphrase is not right."))
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/passphrase_change.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), after the passphrase is confirmed."""
    form = ConfirmPassphraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if _current_passphrase_ok(request, form.cleaned_data["current_password"]):
            request.session[FRESH_CODES] = actions.recovery_codes_issue(request.user)
            return redirect("accounts:recovery_codes")
        form.add_error("current_password", _("The current passphrase is not right."))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "codes_left": actions.recovery_codes_left(request.user)}
    return render(request, "accounts/recovery_codes.html", context, status=status)


@login_required
@require_POST
def recovery_codes_saved(request: HttpRequest) -> HttpResponse:
    """The person has written the codes down: stop showing them."""
    request.session.pop(FRESH_CODES, None)
    return redirect(_next_url(request))


@require_http_methods(["GET", "POST"])
def recover(request: HttpRequest) -> HttpResponse:
    """Log in name + a recovery code: set a new passphrase, the code is used up."""
    form = RecoverForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        subjects = [
            ("login_account", f"recover:{names.skeleton(data['username'])}"),
            ("login_address", ratelimit.client_address(request)),
        ]
        if not count_attempt(subjects):
            form.add_error(None, TOO_MANY)
        else:
            try:
                person = actions.passphrase_recover(
                    data["username"], code=data["code"], new=data["new_password"]
                )
            except Refused as exc:
                form.add_error(None, str(exc.message))
            else:
                forgive_attempt(subjects)
                response = _log_in(request, person, redirect("accounts:profile"))
                _tell_notices(request, person)
                left = actions.recovery_codes_left(person)
                messages.success(
                    request,
                    ngettext(
                        "Your new passphrase is set. You have %(n)s recovery code left.",
                        "Your new passphrase is set. You have %(n)s recovery codes left.",
                        left,
                    )
                    % {"n": left},
                )
                return response
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/recover.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@handles_refusal
def reset(request: HttpRequest, token: str) -> HttpResponse:
    """A facilitator's single-use reset link: choose a new passphrase and log in."""
    if request.method == "POST" and not ratelimit.hit(
        "invitation_redeem", ratelimit.client_address(request)
    ):
        raise Refused(TOO_MANY, status=429)
    reset_link = actions.reset_for_token(token)
    form = NewPassphraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = actions.reset_use(token, new=form.cleaned_data["new_password"])
        ratelimit.forgive("invitation_redeem", ratelimit.client_address(request))
        response = _log_in(request, person, redirect("accounts:profile"))
        messages.success(request, _("Your new passphrase is set. Print new recovery codes."))
        return response
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "username": reset_link.person.username}
    return render(request, "accounts/reset.html", context, status=status)
