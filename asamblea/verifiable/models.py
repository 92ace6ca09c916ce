"""A verifiable vote's server-side records (docs/verifiable-ballots.md).

The server keeps only what is public or opaque to it: the bulletin board's records (manifest,
trustees' commitments and keys, registered public credentials, encrypted ballots, the tally,
partial decryptions, the result), each trustee's channel key, and the key-ceremony shares as
ciphertexts it cannot open. No key share, credential secret or choice is ever sent to it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.coordination.models import Consultation
from asamblea.elections.models import Election
from asamblea.verifiable.core.board import GENESIS
from asamblea.verifiable.subjects import Subject
from asamblea.voting.models import Poll


def _election_id() -> str:
    return str(uuid.uuid4())


class VerifiableVote(models.Model):
    """The verifiable part of a poll or of an election whose secrecy is "verifiable"; created at
    its setup. Exactly one of ``poll``, ``for_election`` and ``consultation`` is set (a
    constraint of the table).

    A verifiable consultation has its own vote (``consultation`` set): its key ceremony among
    the coordination's delegates, the assemblies' encrypted tallies, their products and the
    decryption. Each assembly's poll in it is a ``part_of`` that vote: its board starts with
    the consultation's ceremony records (same election key), it has no trustees of its own,
    and its tally is decrypted on the consultation's board."""

    class Phase(models.TextChoices):
        SETUP = "setup", _("Choosing the trustees")
        CEREMONY = "ceremony", _("Trustees are making the election key")
        REGISTRATION = "registration", _("Registration of credentials")
        OPEN = "open", _("Voting is open")
        CLOSED = "closed", _("Voting closed: trustees are decrypting the tally")
        RESULT = "result", _("Result published")
        CANCELLED = "cancelled", _("Cancelled")

    poll = models.OneToOneField(
        Poll, on_delete=models.CASCADE, related_name="verifiable", null=True, blank=True
    )
    # Not named ``election``: ``election_id`` is the board's election id (the uuid) above.
    for_election = models.OneToOneField(
        Election, on_delete=models.CASCADE, related_name="verifiable", null=True, blank=True
    )
    consultation = models.OneToOneField(
        Consultation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="verifiable_vote",
    )
    part_of = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="parts"
    )
    election_id = models.CharField(max_length=36, unique=True, default=_election_id)
    phase = models.CharField(max_length=16, choices=Phase.choices, default=Phase.SETUP)
    threshold = models.PositiveSmallIntegerField(default=1)
    ceremony_round = models.PositiveSmallIntegerField(default=1)
    # The board's head and length, kept with the row every append locks.
    head = models.CharField(max_length=64, default=GENESIS)
    length = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    poll__isnull=False, for_election__isnull=True, consultation__isnull=True
                )
                | Q(poll__isnull=True, for_election__isnull=False, consultation__isnull=True)
                | Q(poll__isnull=True, for_election__isnull=True, consultation__isnull=False),
                name="verifiable_vote_poll_election_or_consultation",
            )
        ]

    @property
    def subject(self) -> Subject:
        """The poll or the election this vote belongs to."""
        return Subject(poll=self.poll, election=self.for_election, consultation=self.consultation)

    @property
    def is_finished(self) -> bool:
        return self.phase in (self.Phase.RESULT, self.Phase.CANCELLED)


class Trustee(models.Model):
    """A trustee of the vote: ``index`` 1..n in the current ceremony, None once excluded."""

    vote = models.ForeignKey(VerifiableVote, on_delete=models.CASCADE, related_name="trustees")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    index = models.PositiveSmallIntegerField(null=True, blank=True)
    channel_key = models.CharField(max_length=64, blank=True, default="")
    commitment = models.JSONField(null=True, blank=True)
    key = models.JSONField(null=True, blank=True)
    decrypted = models.BooleanField(default=False)
    excluded_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint("vote", "person", name="verifiable_trustee_unique"),
            models.UniqueConstraint(
                "vote", "index", condition=Q(index__isnull=False), name="verifiable_trustee_index"
            ),
        ]


class Share(models.Model):
    """A key share ``f_i(j)`` encrypted by trustee ``sender`` for trustee ``receiver``'s channel
    key in their browser (Belenios specification section 4.8.3): opaque to the server."""

    vote = models.ForeignKey(VerifiableVote, on_delete=models.CASCADE, related_name="shares")
    sender = models.PositiveSmallIntegerField()
    receiver = models.PositiveSmallIntegerField()
    ciphertext = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint("vote", "sender", "receiver", name="verifiable_share_unique")
        ]


class Credential(models.Model):
    """A member's public credential ``g^x`` (the secret ``x`` stays in their browser)."""

    vote = models.ForeignKey(VerifiableVote, on_delete=models.CASCADE, related_name="credentials")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    credential = models.CharField(max_length=64)
    weight = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint("vote", "person", name="verifiable_credential_person"),
            models.UniqueConstraint("vote", "credential", name="verifiable_credential_unique"),
        ]


class Record(models.Model):
    """One record of the bulletin board, exactly as published (core/board.py's format)."""

    vote = models.ForeignKey(VerifiableVote, on_delete=models.CASCADE, related_name="records")
    index = models.PositiveIntegerField()
    kind = models.CharField(max_length=24)
    previous = models.CharField(max_length=64)
    payload = models.JSONField()
    hash = models.CharField(max_length=64)
    tracker = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - ballots only

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint("vote", "index", name="verifiable_record_index"),
        ]
        indexes = [models.Index(fields=["vote", "tracker"])]
