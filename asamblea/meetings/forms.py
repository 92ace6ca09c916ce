from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.dates import BoundedDateTimeField
from asamblea.meetings.models import MAX_TIME_LIMIT, NOTES_MAX, REASON_MAX, TEXT_MAX, TITLE_MAX


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    starts_at = BoundedDateTimeField(label=_("Starts at"), future_only=False)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    online_url = forms.URLField(
        label=_("Online link"), max_length=500, required=False, assume_scheme="https"
    )


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"), max_length=TEXT_MAX, required=False, widget=forms.Textarea
    )
    motions = forms.ModelMultipleChoiceField(
        label=_("Motions treated under this item"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, motions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["motions"].queryset = motions


class DecideForm(forms.Form):
    accept = forms.TypedChoiceField(
        choices=[("1", _("Accept")), ("0", _("Decline"))], coerce=lambda v: v == "1"
    )


class PersonForm(forms.Form):
    person = forms.IntegerField(required=False, min_value=1)


class SpeakForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("turn", _("Ask to speak")),
            ("point_of_order", _("Point of order")),
            ("direct_reply", _("Direct reply")),
        ]
    )


class TimerForm(forms.Form):
    run = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")


class MoveForm(forms.Form):
    before = forms.IntegerField(label=_("Put before"), required=False, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX)


class NotesForm(forms.Form):
    text = forms.CharField(
        label=_("Secretary's notes"), max_length=NOTES_MAX, required=False, widget=forms.Textarea
    )
    base = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class PublishForm(forms.Form):
    publish = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")


class RulesForm(forms.Form):
    time_limit = forms.IntegerField(
        label=_("Speaking time per turn (seconds, 0 for no limit)"),
        min_value=0,
        max_value=MAX_TIME_LIMIT,
    )
    alternate_groups = forms.BooleanField(label=_("Alternate between groups"), required=False)
    groups = forms.CharField(
        label=_("Groups (one per line)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea,
        help_text=_("Who belongs to which group is voluntary and never shown publicly."),
    )


class GroupForm(forms.Form):
    group = forms.IntegerField(required=False, min_value=1)
