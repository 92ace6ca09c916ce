from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.dates import BoundedDateTimeField
from asamblea.surveys.actions import INTRO_MAX, QUESTION_MAX, TEXT_ANSWER_MAX, TITLE_MAX
from asamblea.surveys.models import Question

# Question slots on the form: it works without JavaScript, blank slots are ignored.
SLOTS = 6
KINDS = [("", _("(no question)")), *Question.Kind.choices]


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    intro = forms.CharField(
        label=_("Introduction"), max_length=INTRO_MAX, required=False, widget=forms.Textarea
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous: answers are never linked to a person"), required=False, initial=True
    )
    closes_at = BoundedDateTimeField(label=_("Closes at"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, SLOTS + 1):
            self.fields[f"q{i}_kind"] = forms.ChoiceField(
                label=_("Question %(n)s: kind") % {"n": i}, choices=KINDS, required=False
            )
            self.fields[f"q{i}_text"] = forms.CharField(
                label=_("Question %(n)s") % {"n": i}, max_length=QUESTION_MAX, required=False
            )
            self.fields[f"q{i}_options"] = forms.CharField(
                label=_("Question %(n)s: options, one per line (choice questions)") % {"n": i},
                required=False,
                max_length=2500,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"q{i}_high"] = forms.IntegerField(
                label=_("Question %(n)s: top of the scale (from 1)") % {"n": i},
                required=False,
                min_value=2,
                max_value=10,
                initial=5,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        questions = []
        for i in range(1, SLOTS + 1):
            kind = data.get(f"q{i}_kind")
            if not kind:
                continue
            questions.append(
                {
                    "kind": kind,
                    "text": data.get(f"q{i}_text") or "",
                    "options": (data.get(f"q{i}_options") or "").splitlines(),
                    "high": data.get(f"q{i}_high") or 5,
                }
            )
        if not questions:
            raise forms.ValidationError(_("Add at least one question."))
        data["questions"] = questions
        return data

    def action_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "intro": data["intro"],
            "anonymous": data["anonymous"],
            "closes_at": data["closes_at"],
            "questions": data["questions"],
        }


def answer_form(questions: list[Question], data: Any = None) -> forms.Form:
    """A form with one field per question, named ``q<id>``."""
    form = forms.Form(data)
    for question in questions:
        name = f"q{question.pk}"
        if question.kind == Question.Kind.TEXT:
            form.fields[name] = forms.CharField(
                label=question.text, max_length=TEXT_ANSWER_MAX, required=False
            )
        elif question.kind == Question.Kind.SCALE:
            form.fields[name] = forms.TypedChoiceField(
                label=question.text,
                choices=[(v, str(v)) for v in question.scale],
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
            )
        else:
            choices = list(enumerate(question.options))
            field_class = (
                forms.TypedMultipleChoiceField
                if question.kind == Question.Kind.MULTIPLE
                else forms.TypedChoiceField
            )
            widget = (
                forms.CheckboxSelectMultiple
                if question.kind == Question.Kind.MULTIPLE
                else forms.RadioSelect
            )
            form.fields[name] = field_class(
                label=question.text, choices=choices, coerce=int, required=False, widget=widget
            )
    return form
