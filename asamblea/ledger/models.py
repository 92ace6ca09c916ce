"""Stored ledger entries. The ledger knows nothing of the domain: a chain is named by a key
(``body:<id>``) and callers hand it canonical event payloads."""

from django.db import models


class LedgerEntry(models.Model):
    chain = models.CharField(max_length=64, db_index=True)
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=64)
    at = models.CharField(max_length=40)  # ISO 8601 UTC, as hashed
    payload = models.TextField()  # canonical JSON, exactly as hashed
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [models.UniqueConstraint("chain", "seq", name="ledger_chain_seq_unique")]
        ordering = ["chain", "seq"]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.kind}"
