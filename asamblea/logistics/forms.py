"""Forms of the logistics board and of trips: they parse what people type; the actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.logistics.models import DETAILS_MAX, NOTE_MAX, PLACE_MAX, QUANTITY_MAX, Kind, Posting

PLACE_HELP = _("The district or city only, never an address: that is shared after a match.")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PostingForm(forms.Form):
    body = forms.ChoiceField(label=_("For the assembly"))
    side = forms.ChoiceField(
        label=_("Need or offer"), choices=Posting.Side.choices, widget=forms.RadioSelect
    )
    kind = forms.ChoiceField(label=_("Kind of help"), choices=Kind.choices)
    quantity = forms.IntegerField(
        label=_("How many (places, seats, meals, people, or the amount of money)"),
        min_value=1,
        max_value=QUANTITY_MAX,
    )
    place = forms.CharField(label=_("Place"), max_length=PLACE_MAX, help_text=PLACE_HELP)
    origin = forms.CharField(
        label=_("Leaving from (transport only)"), max_length=PLACE_MAX, required=False
    )
    starts_on = forms.DateField(label=_("From"), widget=DateInput())
    ends_on = forms.DateField(label=_("Until"), widget=DateInput())
    note = forms.CharField(
        label=_("Note (public to the board: no address, no phone)"),
        max_length=NOTE_MAX,
        required=False,
    )

    def __init__(self, *args: Any, bodies: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].choices = [(b.slug, b.name) for b in bodies]


class BoardFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of help"), choices=[("", _("Every kind")), *Kind.choices], required=False
    )
    place = forms.CharField(label=_("Place"), max_length=PLACE_MAX, required=False)


class ProposeForm(forms.Form):
    need = forms.IntegerField(min_value=1)
    offer = forms.IntegerField(min_value=1)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=QUANTITY_MAX)


class DetailsForm(forms.Form):
    side = forms.ChoiceField(choices=Posting.Side.choices, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("Exact details for the other assembly (address, phone, whom to ask for)"),
        max_length=DETAILS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TripForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    coordination = forms.ChoiceField(label=_("Coordination whose board it asks"))
    origin = forms.CharField(label=_("Leaving from"), max_length=PLACE_MAX, help_text=PLACE_HELP)
    destination = forms.CharField(label=_("Going to"), max_length=PLACE_MAX, help_text=PLACE_HELP)
    starts_on = forms.DateField(label=_("Leaving on"), widget=DateInput())
    ends_on = forms.DateField(label=_("Back on"), widget=DateInput())
    seats = forms.IntegerField(label=_("Seats needed"), min_value=0, max_value=10_000)
    travellers = forms.CharField(
        label=_("Who travels (one per line; seen only by this assembly's facilitators)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    lodging = forms.CharField(
        label=_("Where to sleep"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, coordinations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coordination"].choices = [(c.slug, c.name) for c in coordinations]


class AskForm(forms.Form):
    kinds = forms.MultipleChoiceField(
        label=_("Ask the coordination's board for"),
        choices=[
            (Kind.TRANSPORT.value, Kind.TRANSPORT.label),
            (Kind.LODGING.value, Kind.LODGING.label),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
