from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.forms import BodyForm
from asamblea.bodies.models import Body
from asamblea.coordination.actions import COORDINATION_KINDS, MAX_TERM_DAYS, MAX_THRESHOLD
from asamblea.coordination.models import (
    RECALL_HOURS_DEFAULT,
    RECALL_HOURS_MAX,
    Consultation,
    ConsultedBody,
    Mandate,
    Statute,
)
from asamblea.dates import BoundedDateTimeField
from asamblea.voting.models import Poll

COUNT = {"min_value": 0, "max_value": 10_000_000}


# Django's own message speaks of a "slug"; people know bodies by name and address.
NOT_A_BODY = {
    "invalid": _("No body has that address name: use letters, numbers and hyphens only."),
}


class StatuteForm(forms.Form):
    weighting = forms.ChoiceField(label=_("Delegate weighting"), choices=Statute.WEIGHTINGS)
    forward_threshold = forms.IntegerField(
        label=_("Member bodies that must back a forwarded motion"),
        min_value=1,
        max_value=MAX_THRESHOLD,
        initial=1,
    )
    admission = forms.ChoiceField(
        label=_("How joining and leaving are accepted"), choices=Statute.Admission.choices
    )
    quorum_percent = forms.IntegerField(
        label=_("Quorum (% of the delegates' weight)"), min_value=0, max_value=100, initial=50
    )
    majority = forms.ChoiceField(label=_("Majority rule"), choices=Poll.Majority.choices)
    recall_hours = forms.IntegerField(
        label=_("Hours a recall vote stays open"),
        min_value=1,
        max_value=RECALL_HOURS_MAX,
        initial=RECALL_HOURS_DEFAULT,
        required=False,  # left empty: unchanged
    )
    divergence_allowed = forms.BooleanField(
        label=_(
            "Delegates may diverge from a binding mandate (recorded and reported to their base)"
        ),
        required=False,
    )
    forward_decision = forms.ChoiceField(
        label=_("How a member body decides to forward or back a motion"),
        choices=Statute.ForwardDecision.choices,
        initial=Statute.ForwardDecision.VOTE,
        required=False,  # left empty: unchanged
    )


class CoordinationForm(BodyForm):
    """A body form restricted to coordinating kinds, with the statute's own fields."""

    weighting = StatuteForm.base_fields["weighting"]
    forward_threshold = StatuteForm.base_fields["forward_threshold"]
    admission = StatuteForm.base_fields["admission"]
    forward_decision = StatuteForm.base_fields["forward_decision"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            (value, label) for value, label in Body.Kind.choices if value in COORDINATION_KINDS
        ]

    def clean_forward_decision(self) -> str:
        return str(self.cleaned_data["forward_decision"] or Statute.ForwardDecision.VOTE)


class CoordinationSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a coordinating body by name or region"), max_length=80, required=False
    )


class ProposeForm(forms.Form):
    coordination = forms.SlugField(
        label=_("Coordinating body (its address name)"), error_messages=NOT_A_BODY
    )
    direction = forms.ChoiceField(
        label=_("The assembly decides to"),
        choices=[("join", _("Join")), ("leave", _("Leave"))],
    )


class DecideRequestForm(forms.Form):
    accept = forms.TypedChoiceField(
        coerce=lambda v: v == "yes", choices=[("yes", _("Accept")), ("no", _("Refuse"))]
    )


class ElectionForm(forms.Form):
    """Candidates are the body's voting members; the coordinations are the body's own."""

    coordination = forms.ChoiceField(label=_("Coordinating body"))
    candidates = forms.TypedMultipleChoiceField(
        label=_("Candidates"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=10, initial=1)
    term_days = forms.IntegerField(
        label=_("Term (days)"), min_value=1, max_value=MAX_TERM_DAYS, initial=180
    )
    closes_at = BoundedDateTimeField(label=_("Closes at (optional)"), required=False)
    secrecy = forms.ChoiceField(
        label=_("Secrecy"),
        choices=[
            ("secret", _("Secret ballot (one yes / no vote per candidate)")),
            (
                "verifiable",
                _(
                    "Verifiable secret ballot (one approval election, encrypted in the "
                    "browser; you then choose its trustees on the election's page)"
                ),
            ),
        ],
        initial="secret",
        required=False,
    )

    def __init__(self, *args: Any, body: Body, **kwargs: Any) -> None:
        from asamblea.accounts.models import Person
        from asamblea.coordination.queries import coordinations_of, election_candidates

        super().__init__(*args, **kwargs)
        if not body.is_assembly:
            # A coordinating body's delegates vote in the open: no choice to offer (a posted
            # "verifiable" still reaches the action, which refuses it with the reason).
            self.fields["secrecy"].widget = forms.HiddenInput()
        self.fields["coordination"].choices = [
            (c.slug, c.name) for c in coordinations_of(body).order_by("name")
        ]
        self.fields["candidates"].choices = [
            (p.pk, p.display_name)
            for p in Person.objects.filter(pk__in=election_candidates(body)).order_by(
                "display_name"
            )
        ]

    def clean_secrecy(self) -> str:
        return self.cleaned_data.get("secrecy") or "secret"


class MandateForm(forms.Form):
    motion = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    position = forms.ChoiceField(
        label=_("Mandate"),
        choices=[("vote", _("Put it to a vote of the members")), *Mandate.POSITIONS],
    )
    binding = forms.BooleanField(label=_("Binding: the delegates vote as mandated"), required=False)


class CastForm(forms.Form):
    body = forms.SlugField(label=_("For the body"), error_messages=NOT_A_BODY)
    choice = forms.ChoiceField(
        label=_("Vote"),
        choices=[("yes", _("Yes")), ("no", _("No")), ("abstain", _("Abstain"))],
        required=False,
        widget=forms.RadioSelect,
    )
    split_yes = forms.IntegerField(label=_("Yes in the base"), required=False, **COUNT)
    split_no = forms.IntegerField(label=_("No in the base"), required=False, **COUNT)
    split_abstain = forms.IntegerField(label=_("Abstentions in the base"), required=False, **COUNT)


class VoteOpenForm(forms.Form):
    closes_at = BoundedDateTimeField(label=_("Closes at (optional)"), required=False)


class ConsultationForm(forms.Form):
    rule = forms.ChoiceField(label=_("How results are added up"), choices=Consultation.RULES)
    deadline = BoundedDateTimeField(label=_("Deadline"))
    quorum_percent = forms.IntegerField(label=_("Quorum (%)"), min_value=0, max_value=100)
    majority = forms.ChoiceField(label=_("Majority rule"), choices=Poll.Majority.choices)
    verifiable = forms.BooleanField(
        label=_("Verifiable secret ballot"),
        required=False,
        help_text=_(
            "Every assembly votes online; browsers encrypt the ballots and trustees chosen "
            "among the delegates decrypt only the assemblies' totals. Anyone can check the count."
        ),
    )


class ConsultationDecideForm(forms.Form):
    means = forms.ChoiceField(
        label=_("How the assembly decides"), choices=ConsultedBody.Means.choices
    )
    secrecy = forms.ChoiceField(
        label=_("Secrecy (online vote)"),
        choices=Poll.Secrecy.choices,
        initial=Poll.Secrecy.SECRET,
        required=False,
    )
    yes = forms.IntegerField(label=_("Yes"), required=False, **COUNT)
    no = forms.IntegerField(label=_("No"), required=False, **COUNT)
    abstain = forms.IntegerField(label=_("Abstain"), required=False, **COUNT)
    present = forms.IntegerField(label=_("People present"), required=False, **COUNT)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
    meeting = forms.TypedChoiceField(
        label=_("Or vote in this open meeting"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, body: Body, **kwargs: Any) -> None:
        from asamblea.meetings.models import Meeting

        super().__init__(*args, **kwargs)
        meetings = Meeting.objects.filter(body=body, state=Meeting.State.OPEN).order_by("pk")
        self.fields["meeting"].choices = [("", _("(none: give the counts)"))] + [
            (m.pk, m.title) for m in meetings
        ]

    def clean(self) -> dict[str, Any]:
        """Refuse what would otherwise be quietly ignored: counts (or a meeting) given with an
        online vote, and counts given with a meeting whose members vote themselves."""
        data = super().clean() or {}
        counts = [k for k in ("yes", "no", "abstain", "present") if data.get(k) is not None]
        if data.get("means") == ConsultedBody.Means.ONLINE:
            if counts:
                raise forms.ValidationError(
                    _(
                        "An online vote counts itself: leave the counts empty, or choose a "
                        "recorded show of hands to give them."
                    ),
                    code="counts_with_online",
                )
            if data.get("meeting"):
                raise forms.ValidationError(
                    _(
                        "An online vote is not held in a meeting: leave the meeting empty, or "
                        "choose a vote in a meeting."
                    ),
                    code="meeting_with_online",
                )
        elif data.get("means") == ConsultedBody.Means.MEETING and data.get("meeting") and counts:
            raise forms.ValidationError(
                _(
                    "Either the members present vote in the open meeting, or you give the "
                    "counts: not both."
                ),
                code="counts_with_meeting",
            )
        if data.get("means") == ConsultedBody.Means.HANDS and data.get("meeting"):
            raise forms.ValidationError(
                _("A recorded show of hands gives the counts: leave the meeting empty."),
                code="meeting_with_hands",
            )
        return data


class BackForm(forms.Form):
    body = forms.SlugField(label=_("Backing body"), error_messages=NOT_A_BODY)


class ForwardForm(forms.Form):
    coordination = forms.SlugField(label=_("Coordinating body"), error_messages=NOT_A_BODY)


class SolidarityForm(forms.Form):
    to_body = forms.SlugField(label=_("Sister assembly"), error_messages=NOT_A_BODY)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class AnswerForm(forms.Form):
    take_up = forms.TypedChoiceField(
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Take it up as our motion")), ("no", _("Decline"))],
    )
