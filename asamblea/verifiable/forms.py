from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Person
from asamblea.bodies.queries import voting_members
from asamblea.coordination.models import Consultation
from asamblea.coordination.queries import active_delegations
from asamblea.verifiable.subjects import Subject


class SetupForm(forms.Form):
    """The facilitator chooses the trustees of a verifiable vote, t of n, and whether members
    without JavaScript may cast an ordinary secret ballot (counted apart)."""

    trustees = forms.ModelMultipleChoiceField(
        label=_("Trustees"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Members from different groups: any t of them together can decrypt, fewer cannot."
        ),
    )
    threshold = forms.IntegerField(
        label=_("Trustees needed to decrypt (t)"), min_value=1, max_value=12, initial=2
    )
    plain_fallback = forms.BooleanField(
        label=_("Members without JavaScript may cast an ordinary secret ballot (counted apart)"),
        required=False,
    )

    def __init__(self, *args: Any, poll: Subject, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = voting_members(poll.body).values_list("person_id", flat=True)
        field = self.fields["trustees"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Person.objects.filter(pk__in=people).order_by("display_name")
        field.label_from_instance = lambda p: p.display_name  # type: ignore[method-assign]
        self.fields["plain_fallback"].initial = poll.plain_fallback


class ConsultationSetupForm(forms.Form):
    """A facilitator of the coordination chooses the trustees of a verifiable consultation
    among its current delegates, and ``t`` of ``n``."""

    trustees = forms.ModelMultipleChoiceField(
        label=_("Trustees"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Delegates of different assemblies: any t of them together can decrypt the "
            "assemblies' tallies, fewer cannot."
        ),
    )
    threshold = forms.IntegerField(
        label=_("Trustees needed to decrypt (t)"), min_value=1, max_value=12, initial=2
    )

    def __init__(self, *args: Any, consultation: Consultation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = active_delegations(coordination=consultation.coordination).values_list(
            "person_id", flat=True
        )
        field = self.fields["trustees"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Person.objects.filter(pk__in=people).order_by("display_name")
        field.label_from_instance = lambda p: p.display_name  # type: ignore[method-assign]
