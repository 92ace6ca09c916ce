from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.motions.models import COMMENT_MAX, TEXT_MAX, TITLE_MAX, Comment


class MotionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    text = forms.CharField(
        label=_("Text"),
        max_length=TEXT_MAX,
        widget=forms.Textarea,
        help_text=_("What the assembly decides. Markdown: *italic*, **bold**, lists with -."),
    )
    reasons = forms.CharField(
        label=_("Reasons"), max_length=TEXT_MAX, widget=forms.Textarea, required=False
    )


class CommentForm(forms.Form):
    stance = forms.ChoiceField(
        label=_("Your position"),
        choices=Comment.Stance.choices,
        initial=Comment.Stance.NEUTRAL,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(label=_("Your comment"), max_length=COMMENT_MAX, widget=forms.Textarea)
