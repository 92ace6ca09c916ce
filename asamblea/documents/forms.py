from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.documents.models import AMENDMENT_MAX, DOCUMENT_MAX, REASON_MAX, Amendment, Document
from asamblea.motions.models import TITLE_MAX


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    kind = forms.ChoiceField(label=_("Kind"), choices=Document.Kind.choices)
    text = forms.CharField(
        label=_("Draft text"),
        max_length=DOCUMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Markdown. Separate paragraphs with a blank line: each gets a number."),
    )


def _paragraph_choices(paragraphs: list[tuple[int, str, str]]) -> list[tuple[str, str]]:
    return [(pid, f"§{index}: {text[:60]}") for index, pid, text in paragraphs]


class ChangeFields(forms.Form):
    op = forms.ChoiceField(
        label=_("Change"), choices=Amendment.Op.choices, widget=forms.RadioSelect
    )
    start = forms.ChoiceField(label=_("Paragraph (first of the range)"))
    end = forms.ChoiceField(
        label=_("Last paragraph of the range (replace or delete several)"), required=False
    )
    markdown = forms.CharField(
        label=_("New text"),
        max_length=AMENDMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Leave empty to delete. A blank line starts a new paragraph."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX, required=False, widget=forms.Textarea
    )

    def __init__(self, *args: Any, paragraphs: list[tuple[int, str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _paragraph_choices(paragraphs)
        self.fields["start"].choices = [("", _("(at the beginning, for an insertion)"))] + choices
        self.fields["start"].required = False
        self.fields["end"].choices = [("", "—")] + choices


class AmendmentForm(ChangeFields):
    in_body = forms.ChoiceField(label=_("Put it in"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    field_order = ["in_body", "op", "start", "end", "markdown", "reason", "version"]

    def __init__(self, *args: Any, bodies: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["in_body"].choices = bodies


class ProposalForm(ChangeFields):
    kind = forms.ChoiceField(
        label=_("Proposal"),
        choices=[
            (Amendment.Kind.MERGE, _("Merge duplicates (keeps the backing of all)")),
            (Amendment.Kind.COMPROMISE, _("Compromise between conflicting amendments")),
        ],
        widget=forms.RadioSelect,
    )
    numbers = forms.TypedMultipleChoiceField(
        label=_("Amendments it replaces"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    field_order = ["kind", "numbers", "op", "start", "end", "markdown", "reason"]

    def __init__(self, *args: Any, amendments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["numbers"].choices = amendments


class BlockForm(forms.Form):
    numbers = forms.TypedMultipleChoiceField(
        label=_("Amendments decided together"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, amendments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["numbers"].choices = amendments


class CommissionForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
