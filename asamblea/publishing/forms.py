from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body
from asamblea.publishing.models import TEXT_MAX, TITLE_MAX, StatementRule
from asamblea.publishing.sources import SOURCES

ASSEMBLY_KINDS = ("motion", "vote", "election", "statement", "document")
COORDINATION_KINDS = ("delegate_vote", "consultation", "statement", "document")


class ResolutionFilter(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, body: Body, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = ASSEMBLY_KINDS if body.is_assembly else COORDINATION_KINDS
        self.fields["kind"].choices = [("", _("Every kind"))] + [
            (s.kind, s.label) for s in SOURCES if s.kind in kinds
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        for value in (since, until):
            # The end of the calendar overflows when the filter adds a day to it.
            if value is not None and not 1900 <= value.year <= 9000:
                raise forms.ValidationError(_("Choose a date between 1900 and 9000."))
        if since and until and since > until:
            raise forms.ValidationError(_("The first date is after the second."))
        return data


class StatementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    text = forms.CharField(
        label=_("Text (Markdown)"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 12}),
    )


class StatementRuleForm(forms.Form):
    adoption = forms.ChoiceField(
        label=_("How statements are adopted"), choices=StatementRule.Adoption.choices
    )


class AdoptForm(forms.Form):
    """How a facilitator puts a draft forward: ``vote`` opens the members' vote, ``adopt``
    adopts it at once (where the statute lets facilitators)."""

    how = forms.ChoiceField(choices=[("vote", "vote"), ("adopt", "adopt")])


class EndorseForm(forms.Form):
    body = forms.SlugField(max_length=80)
