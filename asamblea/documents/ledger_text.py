"""How the documents app's ledger entries read (asamblea.ledger.sentences)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from asamblea.documents.models import Amendment, Document
from asamblea.ledger.sentences import labels, sentences

labels("kind", dict(Document.Kind.choices) | dict(Amendment.Kind.choices))
labels("op", dict(Amendment.Op.choices))
sentences(
    {
        "document.created": _(
            "Document no. %(document)s, “%(title)s”, was opened for amendments "
            "(fingerprint %(hash)s)."
        ),
        "document.commission": _(
            "Someone joined the drafting commission of document no. %(document)s."
        ),
        "document.amendment_submitted": _(
            "Amendment %(amendment)s to document no. %(document)s was put (motion no. %(motion)s)."
        ),
        "document.amendment_arrived": _(
            "Amendment %(amendment)s to document no. %(document)s arrived from a member body "
            "with its backing (motion no. %(motion)s)."
        ),
        "document.amendment_applied": _(
            "Amendment %(amendment)s was applied: document no. %(document)s is now at version "
            "%(version)s (fingerprint %(hash)s)."
        ),
        "document.amendment_lapsed": _(
            "Amendment %(amendment)s to document no. %(document)s was adopted but its text had "
            "changed: not applied."
        ),
        "document.proposal_made": _(
            "The drafting commission proposed amendment %(amendment)s to document no. "
            "%(document)s (%(kind)s) in place of others."
        ),
        "document.consent": _("An author answered proposal %(amendment)s for amendment %(for)s."),
        "document.proposal_agreed": _(
            "Every author accepted proposal %(amendment)s to document no. %(document)s: it is "
            "on the agenda."
        ),
        "document.block": _(
            "Amendments to document no. %(document)s were grouped in block %(block)s (motion "
            "no. %(motion)s)."
        ),
        "document.final_vote": _(
            "Version %(version)s of document no. %(document)s was put to the final vote "
            "(fingerprint %(hash)s)."
        ),
        "document.adopted": _(
            "Document no. %(document)s, “%(title)s”, was adopted (version %(version)s, "
            "fingerprint %(hash)s)."
        ),
        "document.final_rejected": _(
            "The final vote on document no. %(document)s did not adopt it: it is open for "
            "amendments again."
        ),
    }
)
