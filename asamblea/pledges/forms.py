from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.dates import BoundedDateTimeField
from asamblea.pledges.actions import MAX_ASSEMBLIES, MAX_PEOPLE, TEXT_MAX, TITLE_MAX


class PledgeForm(forms.Form):
    title = forms.CharField(
        label=_("What we will do"),
        max_length=TITLE_MAX,
        help_text=_("For example: we strike on Thursday."),
    )
    text = forms.CharField(
        label=_("Details"), max_length=TEXT_MAX, required=False, widget=forms.Textarea
    )
    min_people = forms.IntegerField(
        label=_("If at least this many people commit"),
        min_value=1,
        max_value=MAX_PEOPLE,
        required=False,
    )
    min_assemblies = forms.IntegerField(
        label=_("In at least this many assemblies"),
        min_value=1,
        max_value=MAX_ASSEMBLIES,
        required=False,
    )
    min_percent = forms.IntegerField(
        label=_("And at least this % of the members of each committing assembly"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_(
            "An assembly commits when this share of its members committed, or when it "
            "committed as a whole by its own vote. Only the people of committing assemblies "
            "count."
        ),
    )
    deadline = BoundedDateTimeField(label=_("Deadline"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data is not None and not any(
            data.get(name) for name in ("min_people", "min_assemblies", "min_percent")
        ):
            raise forms.ValidationError(
                _("Set at least one threshold: people, assemblies or a percentage of members.")
            )
        return data or {}


class CommitForm(forms.Form):
    assembly = forms.SlugField(required=False, max_length=80)


class AssemblyForm(forms.Form):
    assembly = forms.SlugField(max_length=80)


class AnswerForm(forms.Form):
    kept = forms.ChoiceField(
        label=_("Did you take part?"),
        choices=[("yes", _("Yes, I took part")), ("no", _("No, I did not"))],
        widget=forms.RadioSelect,
    )
