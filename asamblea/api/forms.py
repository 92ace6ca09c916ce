from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.api.actions import NAME_MAX
from asamblea.api.models import SCOPES


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_MAX,
        help_text=_("What the token is for, e.g. the program that uses it."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"),
        choices=list(SCOPES.items()),
        widget=forms.CheckboxSelectMultiple,
        initial=["read"],
    )
