from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from asamblea import ratelimit
from asamblea.accounts import devices, names
from asamblea.accounts.models import Person

NEUTRAL_LOGIN_ERROR = _(
    "That login name and passphrase do not match, or there were too many attempts. "
    "Wait a few minutes and try again."
)
USERNAME_RULE = _("Use 3 to 40 letters, digits, dots, dashes or underscores.")


def limit_subjects(request: HttpRequest, username: str) -> list[tuple[str, str]]:
    """What a login attempt for ``username`` from this request counts against.

    A browser with a valid device cookie for the name counts against that cookie only (so
    strangers failing on purpose cannot lock the person out of their own device); any other
    browser counts against the name's skeleton (look-alike spellings share one budget) and its
    address. A device cookie already over the limit is locked: its browser counts as a stranger.
    """
    nonce = devices.trusted_nonce(request, names.normalise(username))
    if nonce is not None and not ratelimit.exceeded("login_account", f"device:{nonce}"):
        return [("login_account", f"device:{nonce}")]
    return [
        ("login_account", f"name:{names.skeleton(username)}"),
        ("login_address", ratelimit.client_address(request)),
    ]


def count_attempt(subjects: list[tuple[str, str]]) -> bool:
    """Count one attempt against every subject; True while all are within their limits.
    Counting before checking the passphrase means a burst cannot slip through."""
    verdicts = [ratelimit.hit(rule, subject) for rule, subject in subjects]
    return all(verdicts)


def forgive_attempt(subjects: list[tuple[str, str]]) -> None:
    """A successful attempt does not count: take it back from every limit."""
    for rule, subject in subjects:
        ratelimit.forgive(rule, subject)


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=200)
    password = forms.CharField(
        label=_("Passphrase"), widget=forms.PasswordInput(render_value=False), max_length=200
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.person: Person | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        username = names.normalise(data.get("username") or "")
        password = data.get("password") or ""
        if not username or not password:
            return data
        subjects = limit_subjects(self.request, username)
        if not count_attempt(subjects):
            raise forms.ValidationError(NEUTRAL_LOGIN_ERROR, code="invalid_login")
        person = authenticate(self.request, username=username, password=password)
        if person is None:
            raise forms.ValidationError(NEUTRAL_LOGIN_ERROR, code="invalid_login")
        forgive_attempt(subjects)
        self.person = person  # type: ignore[assignment]
        data["username"] = username
        return data


class SignupForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        help_text=_("How others see you. A pseudonym is fine."),
    )
    username = forms.CharField(
        label=_("Login name"),
        max_length=200,
        help_text=_("Only for logging in; nobody else sees it."),
    )
    password = forms.CharField(
        label=_("Passphrase"),
        widget=forms.PasswordInput,
        max_length=200,
        help_text=_("At least 10 characters. Several words are easy to remember."),
    )
    password2 = forms.CharField(
        label=_("Passphrase again"), widget=forms.PasswordInput, max_length=200
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def clean_display_name(self) -> str:
        name = " ".join(self.cleaned_data["display_name"].split())
        if not name:
            raise forms.ValidationError(_("Choose a display name."))
        return name

    def clean_username(self) -> str:
        """The normal form of the name (NFKC, case folded); refused if it, or a name that looks
        like it (same TR39 skeleton), is taken. The unique skeleton settles a race."""
        try:
            username = names.validate(self.cleaned_data["username"])
        except names.InvalidName as exc:
            raise forms.ValidationError(USERNAME_RULE, code=exc.code) from exc
        if Person.objects.filter(
            Q(username=username) | Q(login_skeleton=names.skeleton(username))
        ).exists():
            raise forms.ValidationError(
                _("This login name is taken, or one that looks like it. Choose another.")
            )
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password, password2 = data.get("password"), data.get("password2")
        if password and password2 and password != password2:
            self.add_error("password2", _("The two passphrases differ."))
        elif password:
            try:
                password_validation.validate_password(password)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Person
        fields = ["display_name", "language"]


class NewPassphraseForm(forms.Form):
    """A new passphrase, typed twice, checked by the passphrase rules."""

    new_password = forms.CharField(
        label=_("New passphrase"),
        widget=forms.PasswordInput,
        max_length=200,
        help_text=_("At least 10 characters. Several words are easy to remember."),
    )
    new_password2 = forms.CharField(
        label=_("New passphrase again"), widget=forms.PasswordInput, max_length=200
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new, again = data.get("new_password"), data.get("new_password2")
        if new and again and new != again:
            self.add_error("new_password2", _("The two passphrases differ."))
        elif new:
            try:
                password_validation.validate_password(new)
            except forms.ValidationError as exc:
                self.add_error("new_password", exc)
        return data


class PassphraseChangeForm(NewPassphraseForm):
    current_password = forms.CharField(
        label=_("Current passphrase"), widget=forms.PasswordInput, max_length=200
    )
    field_order = ["current_password", "new_password", "new_password2"]


class RecoverForm(NewPassphraseForm):
    username = forms.CharField(label=_("Login name"), max_length=200)
    code = forms.CharField(
        label=_("Recovery code"),
        max_length=64,
        help_text=_("One of the codes you printed or wrote down when you signed up."),
    )
    field_order = ["username", "code", "new_password", "new_password2"]


class ConfirmPassphraseForm(forms.Form):
    current_password = forms.CharField(
        label=_("Your passphrase"), widget=forms.PasswordInput, max_length=200
    )
