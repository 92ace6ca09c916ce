from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body
from asamblea.dates import BoundedDateTimeField
from asamblea.voting.models import Poll

VERIFIABLE_HELP = _(
    "Verifiable: each member's browser encrypts the vote; trustees you choose next make the key "
    "and decrypt only the total; anyone can check the count on the public board. It needs "
    "JavaScript."
)


class PollForm(forms.Form):
    secrecy = forms.ChoiceField(
        label=_("Secrecy"),
        choices=Poll.Secrecy.choices,
        initial=Poll.Secrecy.SECRET,
        help_text=VERIFIABLE_HELP,
    )
    quorum_percent = forms.IntegerField(label=_("Quorum (%)"), min_value=0, max_value=100)
    majority = forms.ChoiceField(label=_("Majority rule"), choices=Poll.Majority.choices)
    closes_at = BoundedDateTimeField(
        label=_("Closes at (optional)"),
        required=False,
        help_text=_("Leave empty to close it by itself after 7 days."),
    )

    def __init__(self, *args: Any, body: Body, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quorum_percent"].initial = body.quorum_percent
        self.fields["majority"].initial = body.majority


class BallotForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("Your vote"),
        choices=[("yes", _("Yes")), ("no", _("No")), ("abstain", _("Abstain"))],
        widget=forms.RadioSelect,
    )


class ReceiptForm(forms.Form):
    code = forms.CharField(label=_("Receipt code"), max_length=64)


class MeetingVoteForm(forms.Form):
    """A vote in a meeting: on one of the assembly's motions ready for a vote (chosen from a
    list, not typed), or on a question written here."""

    title = forms.CharField(label=_("Question"), max_length=200, required=False)
    motion = forms.TypedChoiceField(
        label=_("Motion"), required=False, coerce=int, empty_value=None, choices=()
    )
    secrecy = forms.ChoiceField(
        label=_("Secrecy"),
        choices=Poll.Secrecy.choices,
        initial=Poll.Secrecy.SECRET,
        help_text=VERIFIABLE_HELP,
    )
    decides_agenda = forms.BooleanField(label=_("This vote adopts the agenda"), required=False)

    def __init__(self, *args: Any, motions: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["motion"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("None: vote on the question above"))] + [
            (str(m.number), f"#{m.number} {m.title}") for m in motions
        ]


class HandCountForm(forms.Form):
    yes = forms.IntegerField(label=_("Yes"), min_value=0, max_value=100_000)
    no = forms.IntegerField(label=_("No"), min_value=0, max_value=100_000)
    abstain = forms.IntegerField(label=_("Abstain"), min_value=0, max_value=100_000)
