"""How the motions app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asamblea.ledger.sentences import first_of, labels, sentences
from asamblea.motions.models import Motion

labels("from", dict(Motion.State.choices))
labels("to", dict(Motion.State.choices))
sentences(
    {
        "motion.submitted": first_of(
            _("%(author)s put motion no. %(motion)s, “%(title)s”."),
            _("Motion no. %(motion)s, “%(title)s”, was put on the agenda."),
        ),
        "motion.state_changed": _("Motion no. %(motion)s: %(from)s → %(to)s."),
        "motion.edited": _("Motion no. %(motion)s was edited (version %(version)s)."),
        "motion.forwarded": _("Motion no. %(motion)s was forwarded to %(coordination)s."),
        "motion.backed": _("%(body)s backed a motion forwarded to %(coordination)s."),
        "motion.forward_vote_opened": _(
            "The members vote on forwarding motion no. %(motion)s to %(coordination)s."
        ),
        "motion.backing_vote_opened": _(
            "The members of %(body)s vote on backing a motion forwarded to %(coordination)s."
        ),
        "motion.forward_lapsed": _(
            "A vote to forward or back a motion was adopted but could no longer apply."
        ),
    }
)
