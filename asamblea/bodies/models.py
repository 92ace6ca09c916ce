"""Bodies (assemblies and coordinating bodies), memberships and invitations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Sectors the project names in every language, by slug; a sector a movement adds under
# another slug is shown by the name it was given.
KNOWN_SECTORS = {
    "residents": _("Residents"),
    "construction": _("Construction"),
    "students": _("Students"),
    "rural": _("Rural communities"),
    "agro": _("Agro-industry"),
    "workers": _("Workers"),
    "teachers": _("Teachers"),
    "health": _("Health workers"),
    "transport": _("Transport"),
    "mining": _("Mining"),
    "women": _("Women's organisations"),
}


def sector_label(slug: str, name: str = "") -> str:
    known = KNOWN_SECTORS.get(slug)
    return str(known) if known is not None else (name or slug)


class Sector(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sector")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language."""
        return sector_label(self.slug, self.name)


class Body(models.Model):
    class Kind(models.TextChoices):
        DISTRICT = "district", _("District committee")
        WORKPLACE = "workplace", _("Workplace or union section")
        STUDENT = "student", _("Student assembly")
        RURAL = "rural", _("Rural community")
        OTHER = "other", _("Other assembly")
        SECTOR_FEDERATION = "sector_federation", _("Sector federation")
        DISTRICT_COORDINATION = "district_coordination", _("District coordination")
        REGIONAL_COORDINATION = "regional_coordination", _("Regional coordination")
        NATIONAL_COORDINATION = "national_coordination", _("National coordination")

    ASSEMBLY_KINDS = frozenset({"district", "workplace", "student", "rural", "other"})

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        MEMBERS = "members", _("Members only")

    class Majority(models.TextChoices):
        SIMPLE = "simple", _("Simple majority (more yes than no)")
        ABSOLUTE = "absolute", _("Absolute majority (yes from more than half the electorate)")
        TWO_THIRDS = "two_thirds", _("Two thirds of yes and no")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(unique=True, max_length=80)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    sectors = models.ManyToManyField(Sector, blank=True, verbose_name=_("sectors"))
    region = models.CharField(_("region"), max_length=80, blank=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.MEMBERS
    )
    # The statute: decision rules fixed in advance.
    quorum_percent = models.PositiveSmallIntegerField(
        _("default quorum (% of the electorate that must take part)"), default=50
    )
    majority = models.CharField(
        _("default majority rule"), max_length=16, choices=Majority.choices, default="simple"
    )
    supporters_required = models.PositiveSmallIntegerField(
        _("supporters a motion needs before a vote"), default=0
    )
    # Who took part in a vote and who attended a meeting are lists of members: shown to the
    # body's members only, unless its statute makes them public (membership lists are
    # dangerous data, and a public body's members page is for members too).
    participation_public = models.BooleanField(
        _("who took part in votes and who attended meetings is public"), default=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("body")
        verbose_name_plural = _("bodies")
        constraints = [
            models.CheckConstraint(condition=Q(quorum_percent__lte=100), name="body_quorum_le_100"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_assembly(self) -> bool:
        return self.kind in self.ASSEMBLY_KINDS

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def ledger_chain(self) -> str:
        return f"body:{self.pk}"

    @property
    def channel(self) -> str:
        """The body's live channel: its pages listen to it."""
        return Body.channel_of(self.pk)

    @staticmethod
    def channel_of(body_id: int) -> str:
        """The live channel of the body ``body_id``, without reading the body."""
        return f"body:{body_id}"


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", _("Member")
        FACILITATOR = "facilitator", _("Facilitator")
        OBSERVER = "observer", _("Observer")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REMOVED = "removed", _("Removed")

    VOTING_ROLES = frozenset({"member", "facilitator"})

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint("person", "body", name="membership_person_body_unique")
        ]
        indexes = [models.Index(fields=["body", "status", "role"])]

    def __str__(self) -> str:
        return f"{self.person} @ {self.body} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def can_vote(self) -> bool:
        return self.is_active and self.role in self.VOTING_ROLES

    @property
    def is_facilitator(self) -> bool:
        return self.is_active and self.role == self.Role.FACILITATOR


class Invitation(models.Model):
    """A join link. Only the SHA-256 of the token is stored: a copy of the database does not
    let anyone join. The token is an HMAC, under the server's secret key, of a random
    ``nonce``: the server can derive it again to show a facilitator the link and its QR code
    once more, while the database alone (without the secret key) still admits nobody."""

    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    # Empty for invitations made before links could be shown again: those can only be re-issued.
    nonce = models.CharField(max_length=64, blank=True, default="")
    label = models.CharField(_("label"), max_length=80, blank=True)
    role = models.CharField(
        _("role"), max_length=16, choices=Membership.Role.choices, default="member"
    )
    expires_at = models.DateTimeField(_("expires at"))
    max_uses = models.PositiveIntegerField(_("number of uses"), default=1)
    uses = models.PositiveIntegerField(default=0)
    revoked = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(uses__lte=models.F("max_uses")), name="inv_uses")
        ]

    def __str__(self) -> str:
        return f"{self.body} invitation ({self.role})"

    def usable(self) -> bool:
        return not self.revoked and self.uses < self.max_uses and self.expires_at > timezone.now()
