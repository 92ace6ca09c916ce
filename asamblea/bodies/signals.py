"""Signals other apps listen to (coordination anchors ledger heads in affiliated bodies)."""

from django.dispatch import Signal

# Sent by ``bodies.actions.record`` inside the caller's transaction, after the entry is
# appended: receivers' writes commit or roll back with it. Arguments: ``body``, ``kind``,
# ``entry`` (the new ``LedgerEntry``).
recorded = Signal()
