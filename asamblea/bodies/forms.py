from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body, Membership, Sector


class BodyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    # Assemblies only: a coordination has a statute and member bodies, and its own form.
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (value, label) for value, label in Body.Kind.choices if value in Body.ASSEMBLY_KINDS
        ],
    )
    sectors = forms.ModelMultipleChoiceField(
        label=_("Sectors"),
        queryset=Sector.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    region = forms.CharField(label=_("Region"), max_length=80, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=5000, required=False, widget=forms.Textarea
    )
    visibility = forms.ChoiceField(
        label=_("Who can read it"),
        choices=Body.Visibility.choices,
        initial=Body.Visibility.MEMBERS,
        help_text=_("Members only keeps the assembly, its members and its votes private."),
    )
    quorum_percent = forms.IntegerField(
        label=_("Default quorum (%)"),
        min_value=0,
        max_value=100,
        initial=50,
        help_text=_("Share of the electorate that must take part for a vote to count."),
    )
    majority = forms.ChoiceField(label=_("Default majority rule"), choices=Body.Majority.choices)
    supporters_required = forms.IntegerField(
        label=_("Supporters a motion needs before a vote"),
        min_value=0,
        max_value=1000,
        initial=0,
    )
    participation_public = forms.BooleanField(
        label=_("Publish who took part in votes and who attended meetings"),
        required=False,
        help_text=_(
            "Off: only members see these lists; the public sees counts. Speaking groups are "
            "never published."
        ),
    )


class InvitationForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER
    )
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=90, initial=7)
    max_uses = forms.IntegerField(
        label=_("How many people can use it"),
        min_value=1,
        max_value=1000,
        initial=1,
        help_text=_("One for a personal link; more for a QR code shown at a meeting."),
    )
    label = forms.CharField(
        label=_("Note for yourself"),
        max_length=80,
        required=False,
        help_text=_("For example: meeting of 12 March."),
    )


class MemberActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("suspend", _("Suspend")),
            ("reinstate", _("Reinstate")),
            ("remove", _("Remove")),
            ("role", _("Change role")),
        ]
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, required=False)
    reason = forms.CharField(max_length=200, required=False)
