"""Forms for elections. The ballot itself is read by :mod:`asamblea.elections.core.ballots`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.models import Body
from asamblea.bodies.queries import voting_members
from asamblea.elections.actions import MAX_SCORE, MAX_SEATS
from asamblea.elections.models import Election


class ElectionForm(forms.Form):
    title = forms.CharField(label=_("What is being elected or decided"), max_length=200)
    description = forms.CharField(
        label=_("Description (optional)"), max_length=5000, required=False, widget=forms.Textarea
    )
    method = forms.ChoiceField(label=_("Counting method"), choices=Election.Method.choices)
    seats = forms.IntegerField(
        label=_("Seats to fill"),
        min_value=1,
        max_value=MAX_SEATS,
        initial=1,
        help_text=_("Instant runoff and consent always fill one."),
    )
    secrecy = forms.ChoiceField(
        label=_("Secrecy"),
        choices=Election.Secrecy.choices,
        initial=Election.Secrecy.SECRET,
        help_text=_(
            "A verifiable secret ballot (encrypted in the browser, counted by trustees, checked "
            "by anyone) is offered for plurality and approval. Ranked methods cannot be: "
            "counting them needs every ranking in the clear, which only a verifiable shuffle "
            "(not built) could provide without linking rankings to voters."
        ),
    )
    max_score = forms.IntegerField(
        label=_("Highest score (score voting only)"), min_value=1, max_value=MAX_SCORE, initial=5
    )


class NominationForm(forms.Form):
    nominee = forms.ModelChoiceField(
        label=_("Nominate a member"), queryset=Person.objects.none(), required=False
    )
    statement = forms.CharField(
        label=_("Why (optional)"), max_length=2000, required=False, widget=forms.Textarea
    )

    def __init__(self, *args: Any, body: Body, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["nominee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Person.objects.filter(
            pk__in=voting_members(body).values("person_id")
        ).order_by("display_name")
        field.label_from_instance = lambda person: person.display_name
        field.help_text = _("They are on the ballot only once they consent.")


class OptionForm(forms.Form):
    name = forms.CharField(label=_("Add an option (not a person)"), max_length=120)


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", "accept"), ("decline", "decline")])
