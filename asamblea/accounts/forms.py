from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.validators import RegexValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from asamblea import ratelimit
from asamblea.accounts.models import Person

NEUTRAL_LOGIN_ERROR = _(
    "That login name and passphrase do not match, or there were too many attempts. "
    "Wait a few minutes and try again."
)

username_validator = RegexValidator(
    r"^[A-Za-z0-9._-]{3,40}$",
    _("Use 3 to 40 letters, digits, dots, dashes or underscores."),
)


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=40)
    password = forms.CharField(
        label=_("Passphrase"), widget=forms.PasswordInput(render_value=False), max_length=200
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.person: Person | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        username = (data.get("username") or "").strip().lower()
        password = data.get("password") or ""
        if not username or not password:
            return data
        address = ratelimit.client_address(self.request)
        # Count the attempt against both the account and the address before checking it, so a
        # burst cannot slip through; both give the same neutral message.
        within = ratelimit.hit("login_account", username)
        within = ratelimit.hit("login_address", address) and within
        if not within:
            raise forms.ValidationError(NEUTRAL_LOGIN_ERROR, code="invalid_login")
        person = authenticate(self.request, username=username, password=password)
        if person is None:
            raise forms.ValidationError(NEUTRAL_LOGIN_ERROR, code="invalid_login")
        self.person = person  # type: ignore[assignment]
        return data


class SignupForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        help_text=_("How others see you. A pseudonym is fine."),
    )
    username = forms.CharField(
        label=_("Login name"),
        max_length=40,
        validators=[username_validator],
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
        username = self.cleaned_data["username"].strip().lower()
        if Person.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This login name is taken. Choose another."))
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
