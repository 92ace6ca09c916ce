"""Elections: candidates, their electorate snapshot and their ballots.

An election runs in three phases: nominations (members nominate themselves, or another member
who must then consent), voting, and closed (counted, with the result and its full trace).

The secrecy guarantees are those of yes/no polls (see :mod:`asamblea.voting.models`): who took
part is the ``voted`` flag on the :class:`Elector` snapshot row, flipped once by a conditional
UPDATE; what was chosen is an :class:`ElectionBallot` with a random id, no voter and no
timestamp, and at closing the ballots of a secret election are rewritten in random order.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.bodies.models import Body


class Election(models.Model):
    class Method(models.TextChoices):
        PLURALITY = "plurality", _("Plurality (one mark; most votes win)")
        APPROVAL = "approval", _("Approval (mark every acceptable candidate)")
        SCORE = "score", _("Score (give every candidate a score)")
        IRV = "irv", _("Instant runoff (ranked, one seat)")
        MEEK_STV = "meek_stv", _("Single transferable vote, Meek's method (ranked)")
        SCOTTISH_STV = "scottish_stv", _("Single transferable vote, Scottish rules (ranked)")
        SCHULZE = "schulze", _("Schulze (ranked, Condorcet)")
        CONSENT = "consent", _("Consent (adopted unless someone objects)")

    RANKED_METHODS = frozenset({"irv", "meek_stv", "scottish_stv", "schulze"})
    # Methods whose ballot is a vector of marks, which the verifiable ballot encrypts entry by
    # entry and tallies homomorphically (docs/verifiable-ballots.md); the others need every
    # ballot in the clear to be counted.
    VERIFIABLE_METHODS = frozenset({"plurality", "approval"})
    SINGLE_SEAT_METHODS = frozenset({"irv", "consent"})

    class Secrecy(models.TextChoices):
        NAMED = "named", _("Named (everyone sees who voted what)")
        SECRET = "secret", _("Secret (only the counts are shown)")
        VERIFIABLE = "verifiable", _("Verifiable secret ballot (encrypted in the browser)")

    class Phase(models.TextChoices):
        NOMINATING = "nominating", _("Nominations")
        VOTING = "voting", _("Voting")
        CLOSED = "closed", _("Closed")

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="elections")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    method = models.CharField(_("counting method"), max_length=16, choices=Method.choices)
    seats = models.PositiveSmallIntegerField(_("seats"), default=1)
    secrecy = models.CharField(
        _("secrecy"), max_length=16, choices=Secrecy.choices, default=Secrecy.SECRET
    )
    # A verifiable election: members without JavaScript may cast an ordinary secret ballot,
    # counted apart (the facilitator's choice when choosing the trustees).
    plain_fallback = models.BooleanField(default=False)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.NOMINATING)
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=5)
    # Set by the app that asked for the election (e.g. "delegation:<body id>"); see elect().
    purpose = models.CharField(max_length=80, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    voting_opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    electorate_size = models.PositiveIntegerField(default=0)
    # The seed that decides ties left to lot: drawn when voting opens, its SHA-256 recorded in
    # the ledger then, and the seed itself published in the ledger at closing, before counting.
    seed = models.CharField(max_length=64, blank=True)
    result = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "voting_election"  # the tables keep the names they had in voting
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["body", "phase"])]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="election_seats_ge_1"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_secret(self) -> bool:
        """Secret and verifiable elections alike: no ballot carries its voter."""
        return self.secrecy != self.Secrecy.NAMED

    @property
    def is_verifiable(self) -> bool:
        return self.secrecy == self.Secrecy.VERIFIABLE

    @property
    def is_ranked(self) -> bool:
        return self.method in self.RANKED_METHODS

    @property
    def is_nominating(self) -> bool:
        return self.phase == self.Phase.NOMINATING

    @property
    def is_voting(self) -> bool:
        return self.phase == self.Phase.VOTING

    @property
    def is_closed(self) -> bool:
        return self.phase == self.Phase.CLOSED


class Candidate(models.Model):
    """A nominee (a member of the body) or, for choices between alternatives, an option.

    A member nominated by someone else is on the ballot only once they consent; ``position``
    is the candidate's number on the ballot (0, 1, ...), fixed when voting opens.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the nominee's consent")
        ACCEPTED = "accepted", _("Standing")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("name"), max_length=120)
    statement = models.TextField(_("statement"), max_length=2000, blank=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    position = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        db_table = "voting_candidate"
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                "election",
                "person",
                condition=Q(person__isnull=False),
                name="candidate_person_unique",
            ),
            models.UniqueConstraint(
                "election",
                "position",
                condition=Q(position__isnull=False),
                name="candidate_position_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def on_ballot(self) -> bool:
        return self.position is not None


class Elector(models.Model):
    """The electorate snapshot, taken when voting opens: one row per person allowed to vote.

    ``voted`` is flipped exactly once by a conditional UPDATE under the row's lock; together
    with the unique constraint this is the one-person-one-ballot guarantee.
    """

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="electors")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    weight = models.PositiveIntegerField(default=1)
    voted = models.BooleanField(default=False)

    class Meta:
        db_table = "voting_elector"
        constraints = [models.UniqueConstraint("election", "person", name="elector_unique")]


def _random_id() -> uuid.UUID:
    return uuid.uuid4()


class ElectionBallot(models.Model):
    """A cast election ballot, its content as canonical JSON (see
    :mod:`asamblea.elections.core.ballots`). For a secret election ``voter`` is null, the id
    is random and nothing records when it was cast."""

    id = models.UUIDField(primary_key=True, default=_random_id, editable=False)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="ballots")
    content = models.TextField()
    weight = models.PositiveIntegerField(default=1)
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    receipt_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        db_table = "voting_electionballot"
        constraints = [
            models.UniqueConstraint(
                "election",
                "voter",
                condition=Q(voter__isnull=False),
                name="election_ballot_named_unique",
            ),
        ]
