"""Personal access tokens: how a member's own programs use the API in their name.

Only the SHA-256 of a token is stored (a token is 256 random bits, so a plain hash is enough:
nobody can try every token), so a copy of the database lets nobody in. A token carries scopes,
is shown once when it is made, and is revoked, never deleted, so the list says what existed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# What a token may do. Reading what the person may read (members-only bodies, their own
# motions and votes) needs ``read``; public data needs no token at all.
SCOPES = {
    "read": _("Read what you can read (members-only bodies, your motions and votes)"),
    "write:motions": _("Put motions and support motions"),
    "vote": _("Cast ballots"),
}


class AccessToken(models.Model):
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    # The first characters of the token, to tell tokens apart in the list (not a secret: 8 of
    # its 43 random characters leave 210 bits unknown).
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def scope_labels(self) -> list[str]:
        return [str(SCOPES[scope]) for scope in self.scopes if scope in SCOPES]
